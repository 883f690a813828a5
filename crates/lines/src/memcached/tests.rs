//! Tables of meta lines: what the parsers make of them, and encoders that
//! give the same bytes back.

use bytes::Bytes;

use super::*;

fn flags(list: &[(&'static str, Option<&'static str>)]) -> MetaFlags {
    list.iter()
        .map(|&(f, t)| MetaFlag {
            flag: f.as_bytes()[0],
            token: t.map(|t| Bytes::from_static(t.as_bytes())),
        })
        .collect()
}

fn key(k: &'static str) -> Bytes {
    Bytes::from_static(k.as_bytes())
}

#[test]
fn commands() {
    let long_key = "k".repeat(MAX_KEY_LEN);
    let too_long = "k".repeat(MAX_KEY_LEN + 1);
    let b64_key = "QUJD".repeat(MAX_BASE64_KEY_LEN / 4);
    let long_opaque = format!("mg k O{}", "o".repeat(MAX_OPAQUE_LEN));
    let too_long_opaque = format!("mg k O{}", "o".repeat(MAX_OPAQUE_LEN + 1));
    let letters = ('a'..='z').chain('A'..='Z');
    let many: String = letters.take(MAX_FLAGS).map(|f| format!(" {f}")).collect();
    let many = format!("mg k{many}");
    let too_many = format!("{many} Z");
    let cases: Vec<(String, Result<Option<MetaCommand>, MetaError>)> = vec![
        (
            "mg foo v f s c k t b".into(),
            Ok(Some(MetaCommand::Get {
                key: key("foo"),
                flags: flags(&[
                    ("v", None),
                    ("f", None),
                    ("s", None),
                    ("c", None),
                    ("k", None),
                    ("t", None),
                    ("b", None),
                ]),
            })),
        ),
        (
            "mg foo".into(),
            Ok(Some(MetaCommand::Get {
                key: key("foo"),
                flags: MetaFlags::new(),
            })),
        ),
        (
            "mg  foo   v  ".into(),
            Ok(Some(MetaCommand::Get {
                key: key("foo"),
                flags: flags(&[("v", None)]),
            })),
        ),
        (
            "ms foo 5 T90 F1 MA q Oab".into(),
            Ok(Some(MetaCommand::Set {
                key: key("foo"),
                data_len: 5,
                flags: flags(&[
                    ("T", Some("90")),
                    ("F", Some("1")),
                    ("M", Some("A")),
                    ("q", None),
                    ("O", Some("ab")),
                ]),
            })),
        ),
        (
            "ms foo 0".into(),
            Ok(Some(MetaCommand::Set {
                key: key("foo"),
                data_len: 0,
                flags: MetaFlags::new(),
            })),
        ),
        (
            format!("ms foo {MAX_DATA_LEN}"),
            Ok(Some(MetaCommand::Set {
                key: key("foo"),
                data_len: MAX_DATA_LEN,
                flags: MetaFlags::new(),
            })),
        ),
        (
            "md foo q C42".into(),
            Ok(Some(MetaCommand::Delete {
                key: key("foo"),
                flags: flags(&[("q", None), ("C", Some("42"))]),
            })),
        ),
        (
            "ma n N0 J10 MD D3 v".into(),
            Ok(Some(MetaCommand::Arithmetic {
                key: key("n"),
                flags: flags(&[
                    ("N", Some("0")),
                    ("J", Some("10")),
                    ("M", Some("D")),
                    ("D", Some("3")),
                    ("v", None),
                ]),
            })),
        ),
        (
            "me foo".into(),
            Ok(Some(MetaCommand::Debug {
                key: key("foo"),
                flags: MetaFlags::new(),
            })),
        ),
        ("mn".into(), Ok(Some(MetaCommand::Noop))),
        ("mn extra".into(), Ok(Some(MetaCommand::Noop))),
        (
            format!("mg {long_key} v"),
            Ok(Some(MetaCommand::Get {
                key: Bytes::from(long_key.clone()),
                flags: flags(&[("v", None)]),
            })),
        ),
        (
            format!("mg {b64_key} b"),
            Ok(Some(MetaCommand::Get {
                key: Bytes::from(b64_key.clone()),
                flags: flags(&[("b", None)]),
            })),
        ),
        // Classic commands and anything else are not meta commands.
        ("get foo".into(), Ok(None)),
        ("set foo 0 0 5".into(), Ok(None)),
        ("mget foo".into(), Ok(None)),
        ("MG foo".into(), Ok(None)),
        ("".into(), Ok(None)),
        ("   ".into(), Ok(None)),
        // Broken meta commands.
        ("mg".into(), Err(MetaError::MissingKey)),
        ("ms".into(), Err(MetaError::MissingKey)),
        ("ms foo".into(), Err(MetaError::BadDataLength)),
        ("ms foo abc".into(), Err(MetaError::BadDataLength)),
        ("ms foo -1".into(), Err(MetaError::BadDataLength)),
        ("ms foo +5".into(), Err(MetaError::BadDataLength)),
        ("ms foo 5x".into(), Err(MetaError::BadDataLength)),
        (
            format!("ms foo {}", MAX_DATA_LEN + 1),
            Err(MetaError::BadDataLength),
        ),
        (
            "ms foo 99999999999999999999999".into(),
            Err(MetaError::BadDataLength),
        ),
        (
            format!("mg {too_long} v"),
            Err(MetaError::KeyTooLong {
                len: MAX_KEY_LEN + 1,
            }),
        ),
        (
            format!("mg {b64_key}QUJD b"),
            Err(MetaError::KeyTooLong {
                len: MAX_BASE64_KEY_LEN + 4,
            }),
        ),
        ("mg k\x01y v".into(), Err(MetaError::BadKey)),
        ("mg foo !".into(), Err(MetaError::InvalidFlag { flag: '!' })),
        ("mg foo 5".into(), Err(MetaError::InvalidFlag { flag: '5' })),
        (
            "mg foo v\x7f".into(),
            Err(MetaError::InvalidFlag { flag: 'v' }),
        ),
        (
            "mg foo v f v".into(),
            Err(MetaError::DuplicateFlag { flag: 'v' }),
        ),
        (
            "ms foo 5 T0 T1".into(),
            Err(MetaError::DuplicateFlag { flag: 'T' }),
        ),
        (
            long_opaque.clone(),
            Ok(Some(MetaCommand::Get {
                key: key("k"),
                flags: [MetaFlag::with_token(b'O', "o".repeat(MAX_OPAQUE_LEN))]
                    .into_iter()
                    .collect(),
            })),
        ),
        (
            too_long_opaque,
            Err(MetaError::OpaqueTooLong {
                len: MAX_OPAQUE_LEN + 1,
            }),
        ),
        (too_many, Err(MetaError::TooManyFlags)),
    ];
    for (line, expected) in cases {
        let parsed = MetaCommand::parse(&Bytes::from(line.clone()));
        assert_eq!(parsed, expected, "{line:?}");
        // Every well-formed command encodes to its canonical form, which
        // parses back to the same command.
        if let Ok(Some(command)) = parsed {
            let encoded = command.to_line().unwrap();
            assert_eq!(MetaCommand::parse(&encoded), Ok(Some(command)), "{line:?}");
        }
    }
    assert!(MetaCommand::parse(&many.into()).unwrap().is_some());
}

#[test]
fn replies() {
    let cases: Vec<(&str, Result<Option<MetaReply>, MetaError>)> = vec![
        (
            "VA 5 f5 s5 c1 kfoo t-1",
            Ok(Some(MetaReply::Value {
                size: 5,
                flags: flags(&[
                    ("f", Some("5")),
                    ("s", Some("5")),
                    ("c", Some("1")),
                    ("k", Some("foo")),
                    ("t", Some("-1")),
                ]),
            })),
        ),
        (
            "VA 3 kZm9vYg== b",
            Ok(Some(MetaReply::Value {
                size: 3,
                flags: flags(&[("k", Some("Zm9vYg==")), ("b", None)]),
            })),
        ),
        (
            "VA 0",
            Ok(Some(MetaReply::Value {
                size: 0,
                flags: MetaFlags::new(),
            })),
        ),
        // An answer may repeat a flag; only commands may not.
        (
            "VA 0 W Z Z",
            Ok(Some(MetaReply::Value {
                size: 0,
                flags: flags(&[("W", None), ("Z", None), ("Z", None)]),
            })),
        ),
        ("HD", Ok(Some(MetaReply::Header(MetaFlags::new())))),
        (
            "HD Oab kfoo",
            Ok(Some(MetaReply::Header(flags(&[
                ("O", Some("ab")),
                ("k", Some("foo")),
            ])))),
        ),
        ("EN", Ok(Some(MetaReply::Miss(MetaFlags::new())))),
        (
            "EN Oxyz",
            Ok(Some(MetaReply::Miss(flags(&[("O", Some("xyz"))])))),
        ),
        ("NF", Ok(Some(MetaReply::NotFound(MetaFlags::new())))),
        ("NS", Ok(Some(MetaReply::NotStored(MetaFlags::new())))),
        (
            "EX c7",
            Ok(Some(MetaReply::Exists(flags(&[("c", Some("7"))])))),
        ),
        ("MN", Ok(Some(MetaReply::Noop))),
        (
            "ME foo exp=-1 la=0 cas=1",
            Ok(Some(MetaReply::Debug {
                key: key("foo"),
                info: key("exp=-1 la=0 cas=1"),
            })),
        ),
        ("ERROR", Ok(Some(MetaReply::Error))),
        (
            "CLIENT_ERROR bad data chunk",
            Ok(Some(MetaReply::ClientError(key("bad data chunk")))),
        ),
        (
            "SERVER_ERROR object too large for cache",
            Ok(Some(MetaReply::ServerError(key(
                "object too large for cache",
            )))),
        ),
        // Classic answers are not meta answers.
        ("VALUE foo 0 5", Ok(None)),
        ("STORED", Ok(None)),
        ("END", Ok(None)),
        ("ERRORS", Ok(None)),
        ("CLIENT_ERRORX", Ok(None)),
        ("", Ok(None)),
        ("va 5", Ok(None)),
        // Broken meta answers.
        ("VA", Err(MetaError::BadDataLength)),
        ("VA five", Err(MetaError::BadDataLength)),
        ("VA -1", Err(MetaError::BadDataLength)),
        ("HD 1", Err(MetaError::InvalidFlag { flag: '1' })),
        ("ME", Err(MetaError::MissingKey)),
        ("CLIENT_ERROR s\r\n5$", Err(MetaError::BadMessage)),
        ("SERVER_ERROR a\nb", Err(MetaError::BadMessage)),
        ("ME sz\x18b info", Err(MetaError::BadKey)),
        ("ME key a\rb", Err(MetaError::BadMessage)),
    ];
    for (line, expected) in cases {
        let parsed = MetaReply::parse(&Bytes::from_static(line.as_bytes()));
        assert_eq!(parsed, expected, "{line:?}");
        if let Ok(Some(reply)) = parsed {
            let encoded = reply.to_line().unwrap();
            assert_eq!(encoded, line, "{line:?} encodes back");
        }
    }
}

#[test]
fn encoders_refuse_what_the_parsers_refuse() {
    let get = |key: &'static str, flags: MetaFlags| MetaCommand::Get {
        key: Bytes::from_static(key.as_bytes()),
        flags,
    };
    let cases = [
        (get("", MetaFlags::new()), MetaError::BadKey),
        (get("a b", MetaFlags::new()), MetaError::BadKey),
        (get("a\r\nmn", MetaFlags::new()), MetaError::BadKey),
        (
            get("k", flags(&[("v", None), ("v", None)])),
            MetaError::DuplicateFlag { flag: 'v' },
        ),
        (
            get("k", flags(&[("T", Some("1 2"))])),
            MetaError::InvalidFlag { flag: 'T' },
        ),
        (
            get("k", flags(&[(" ", None)])),
            MetaError::InvalidFlag { flag: ' ' },
        ),
        (
            MetaCommand::Set {
                key: key("k"),
                data_len: MAX_DATA_LEN + 1,
                flags: MetaFlags::new(),
            },
            MetaError::BadDataLength,
        ),
    ];
    for (command, error) in cases {
        assert_eq!(command.to_line(), Err(error), "{command:?}");
    }
    let too_long = "k".repeat(MAX_KEY_LEN + 1);
    let command = MetaCommand::Delete {
        key: too_long.into(),
        flags: MetaFlags::new(),
    };
    assert_eq!(
        command.to_line(),
        Err(MetaError::KeyTooLong {
            len: MAX_KEY_LEN + 1
        })
    );
    assert_eq!(
        MetaReply::ClientError(key("a\r\nHD")).to_line(),
        Err(MetaError::BadMessage)
    );
    assert_eq!(
        MetaReply::Value {
            size: 1,
            flags: flags(&[("O", Some("x y"))])
        }
        .to_line(),
        Err(MetaError::InvalidFlag { flag: 'O' })
    );
}

#[test]
fn errors_answer_with_memcacheds_wording() {
    for (line, answer) in [
        ("ms k abc", "CLIENT_ERROR bad data chunk"),
        ("mg k v v", "CLIENT_ERROR duplicate flag"),
        ("mg k !", "CLIENT_ERROR invalid flag"),
        ("mg", "CLIENT_ERROR bad command line format"),
    ] {
        let error = MetaCommand::parse(&Bytes::from_static(line.as_bytes())).unwrap_err();
        assert_eq!(error.client_error().to_line().unwrap(), answer, "{line}");
    }
}

#[test]
fn parsed_parts_are_slices_of_the_line() {
    let line = Bytes::from_static(b"mg foo Oab v");
    let Ok(Some(MetaCommand::Get { key, flags })) = MetaCommand::parse(&line) else {
        panic!()
    };
    assert_eq!(key.as_ptr(), line[3..].as_ptr());
    assert_eq!(flags.opaque().unwrap().as_ptr(), line[8..].as_ptr());
    assert!(!flags.quiet() && !flags.base64() && flags.has(b'v'));
    assert_eq!(flags.len(), 2);
    assert_eq!(flags.number(b'v'), None);
}

#[test]
fn flags_debug_as_on_the_wire() {
    let flags = flags(&[("v", None), ("T", Some("30")), ("k", Some("a\x01"))]);
    assert_eq!(format!("{flags:?}"), r"MetaFlags([v, T30, ka\x01])");
}
