//! The `memcached_meta` example against a real memcached 1.6 on 127.0.0.1
//! (started by tests/peers/memcached.sh in the workspace), through both
//! drivers: `mg` with `v f s c k t b` (base64 keys), `ms` with an invalid
//! data length, `md`, `ma`, quiet pipelines ended by `mn`, values holding
//! `\r\n`, empty and binary. Run with scripts/peer-tests.sh (installs
//! memcached first), or `cargo test -p wirestate-lines --features peer-tests
//! --test peer_memcached_meta -- --test-threads=1`.
#![cfg(feature = "peer-tests")]

// The example's own code, so the interop tests exercise exactly what ships.
#[allow(dead_code)]
#[path = "../examples/memcached_meta.rs"]
mod memcached_meta;

use std::net::TcpListener;

use base64::Engine;
use bytes::Bytes;
use memcached_meta::protocol::{Answer, Request};
use memcached_meta::{BlockingMeta, TokioMeta};
use wirestate_core::testing::peer::Peer;
use wirestate_lines::memcached::{MetaCommand, MetaFlag, MetaFlags, MetaReply};

const MAX_VALUE: usize = 1 << 20;

fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port().to_string()
}

fn start_memcached() -> Peer {
    Peer::start("bash", &["tests/peers/memcached.sh", &free_port()])
}

/// One client on either driver: a pipeline (ended by `mn`) in, answers out.
trait Client {
    fn pipeline(&mut self, requests: &[Request]) -> Vec<Answer>;
    fn raw(&mut self, bytes: &'static [u8]) -> Vec<Answer>;
}

struct Tokio(tokio::runtime::Runtime, TokioMeta);

impl Client for Tokio {
    fn pipeline(&mut self, requests: &[Request]) -> Vec<Answer> {
        self.0.block_on(self.1.pipeline(requests)).unwrap()
    }
    fn raw(&mut self, bytes: &'static [u8]) -> Vec<Answer> {
        self.0.block_on(self.1.raw(bytes)).unwrap()
    }
}

impl Client for BlockingMeta {
    fn pipeline(&mut self, requests: &[Request]) -> Vec<Answer> {
        BlockingMeta::pipeline(self, requests).unwrap()
    }
    fn raw(&mut self, bytes: &'static [u8]) -> Vec<Answer> {
        BlockingMeta::raw(self, bytes).unwrap()
    }
}

/// Runs `scenario` on a fresh memcached through each driver, with a key
/// prefix per driver.
fn both_drivers(scenario: fn(&mut dyn Client, &str)) {
    let peer = start_memcached();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime
        .block_on(TokioMeta::connect(peer.addr, MAX_VALUE))
        .unwrap();
    scenario(&mut Tokio(runtime, client), "tokio");
    let mut client = BlockingMeta::connect(peer.addr, MAX_VALUE).unwrap();
    scenario(&mut client, "blocking");
}

fn flags(list: &[&str]) -> Vec<MetaFlag> {
    list.iter()
        .map(|f| MetaFlag::with_token(f.as_bytes()[0], Bytes::copy_from_slice(&f.as_bytes()[1..])))
        .collect()
}

fn get(key: impl Into<Bytes>, list: &[&str]) -> Request {
    Request::new(MetaCommand::Get {
        key: key.into(),
        flags: flags(list).into_iter().collect(),
    })
}

fn answer(reply: MetaReply) -> Answer {
    Answer { reply, value: None }
}

fn hd() -> Answer {
    answer(MetaReply::Header(MetaFlags::new()))
}

fn mn() -> Answer {
    answer(MetaReply::Noop)
}

/// Values that a line-only client would get wrong.
fn values() -> Vec<(&'static str, Bytes)> {
    vec![
        ("crlf", Bytes::from_static(b"ab\r\ncd\r\n\r\nef")),
        ("just-crlf", Bytes::from_static(b"\r\n")),
        ("ends-in-cr", Bytes::from_static(b"ab\r")),
        (
            "fake-answers",
            Bytes::from_static(b"HD\r\nVA 1\r\nz\r\nMN\r\n"),
        ),
        ("empty", Bytes::new()),
        ("binary", (0..=255u8).collect::<Vec<u8>>().into()),
    ]
}

fn mg_returns_value_and_flags(client: &mut dyn Client, prefix: &str) {
    let b64 = base64::engine::general_purpose::STANDARD;
    for (name, value) in values() {
        let key = format!("{prefix}-{name}");
        // A binary key (NUL, space, CR, LF, 0xff) only travels as base64.
        let binary_key =
            b64.encode([&[0u8, b' ', b'\r', b'\n', 0xff][..], key.as_bytes()].concat());
        let set = |key: &str, extra: &[&str]| {
            Request::set(
                key.to_owned(),
                value.clone(),
                flags(&[&["F42", "T3600"][..], extra].concat()),
            )
        };
        let answers = client.pipeline(&[
            set(&key, &[]),
            set(&binary_key, &["b"]),
            get(key.clone(), &["v", "f", "s", "c", "k", "t"]),
            get(binary_key.clone(), &["b", "k", "v"]),
        ]);
        assert_eq!(answers.len(), 5, "{key}: {answers:?}");
        assert_eq!(answers[..2], [hd(), hd()], "{key}");
        let MetaReply::Value { size, flags } = &answers[2].reply else {
            panic!("{key}: {answers:?}")
        };
        assert_eq!(*size, value.len(), "{key}");
        assert_eq!(answers[2].value.as_ref(), Some(&value), "{key}");
        assert_eq!(flags.number(b'f'), Some(42), "{key}");
        assert_eq!(flags.number(b's'), Some(value.len() as i64), "{key}");
        assert!(flags.number(b'c').unwrap() > 0, "{key}");
        assert_eq!(flags.token(b'k').unwrap(), key.as_str(), "{key}");
        let ttl = flags.number(b't').unwrap();
        assert!((3590..=3600).contains(&ttl), "{key}: ttl {ttl}");
        // The order of the returned flags follows the request.
        let order: Vec<u8> = flags.iter().map(|f| f.flag).collect();
        assert_eq!(order, b"fsckt", "{key}");
        let MetaReply::Value { flags, .. } = &answers[3].reply else {
            panic!("{key}: {answers:?}")
        };
        assert_eq!(answers[3].value.as_ref(), Some(&value), "{key}");
        assert!(flags.base64(), "{key}: the returned key is base64 too");
        assert_eq!(flags.token(b'k').unwrap(), binary_key.as_str(), "{key}");
        assert_eq!(answers[4], mn());
    }
    // A miss: EN, with the key and opaque echoed.
    let miss = format!("{prefix}-missing");
    let answers = client.pipeline(&[get(miss.clone(), &["v", "k", "Oq1"])]);
    let MetaReply::Miss(flags) = &answers[0].reply else {
        panic!("{answers:?}")
    };
    assert_eq!(flags.token(b'k').unwrap(), miss.as_str());
    assert_eq!(flags.opaque().unwrap(), "q1");
    assert_eq!(answers[1..], [mn()]);
}

#[test]
fn mg_returns_value_and_flags_through_both_drivers() {
    both_drivers(mg_returns_value_and_flags);
}

fn ms_with_an_invalid_data_length(client: &mut dyn Client, prefix: &str) {
    // A length that is not a number announces no block: memcached answers
    // CLIENT_ERROR and reads the data as the next command (ERROR).
    let answers = client.raw(b"ms bad abc\r\nhello\r\n");
    assert!(
        matches!(answers[0].reply, MetaReply::ClientError(_)),
        "{answers:?}"
    );
    assert_eq!(answers[1..], [answer(MetaReply::Error), mn()]);
    // Our parser says the same, with the wording a server would answer.
    let error = MetaCommand::parse(&"ms bad abc".into()).unwrap_err();
    assert_eq!(
        error.client_error().to_line().unwrap(),
        "CLIENT_ERROR bad data chunk"
    );
    // A negative length is refused too.
    let answers = client.raw(b"ms bad -1\r\nhello\r\n");
    assert!(
        matches!(answers[0].reply, MetaReply::ClientError(_)),
        "{answers:?}"
    );
    assert_eq!(answers[1..], [answer(MetaReply::Error), mn()]);
    // With a readable length but a bad flag, the block is read and dropped.
    let answers = client.raw(b"ms bad 5 !\r\nhello\r\n");
    assert_eq!(
        answers,
        [answer(MetaReply::ClientError("invalid flag".into())), mn()]
    );
    // The client side never sends such a line: the encoder refuses it.
    let too_long = MetaCommand::Set {
        key: "k".into(),
        data_len: usize::MAX,
        flags: MetaFlags::new(),
    };
    assert!(too_long.to_line().is_err());
    // The connection is still in step.
    let key = format!("{prefix}-after-error");
    let answers = client.pipeline(&[
        Request::set(key.clone(), "ok".into(), vec![]),
        get(key, &["v"]),
    ]);
    assert_eq!(answers[0], hd());
    assert_eq!(answers[1].value.as_deref(), Some(&b"ok"[..]));
}

#[test]
fn ms_with_an_invalid_data_length_through_both_drivers() {
    both_drivers(ms_with_an_invalid_data_length);
}

fn md_deletes(client: &mut dyn Client, prefix: &str) {
    let key = format!("{prefix}-md");
    let delete = |list: &[&str]| {
        Request::new(MetaCommand::Delete {
            key: key.clone().into(),
            flags: flags(list).into_iter().collect(),
        })
    };
    let answers = client.pipeline(&[
        Request::set(key.clone(), "x".into(), vec![]),
        delete(&["C999999"]),
        delete(&[]),
        delete(&[]),
        Request::set(key.clone(), "y".into(), vec![]),
        delete(&["q"]),
        delete(&["q", "Oz"]),
        get(key.clone(), &["v"]),
    ]);
    let not_found = |list: &[&str]| answer(MetaReply::NotFound(flags(list).into_iter().collect()));
    let expected = [
        hd(),
        answer(MetaReply::Exists(MetaFlags::new())),
        hd(),
        not_found(&[]),
        hd(),
        // The quiet hit says nothing; the quiet miss still answers.
        not_found(&["Oz"]),
        answer(MetaReply::Miss(MetaFlags::new())),
        mn(),
    ];
    assert_eq!(answers, expected);
}

#[test]
fn md_deletes_through_both_drivers() {
    both_drivers(md_deletes);
}

fn ma_counts(client: &mut dyn Client, prefix: &str) {
    let key = format!("{prefix}-ma");
    let arithmetic = |list: &[&str]| {
        Request::new(MetaCommand::Arithmetic {
            key: key.clone().into(),
            flags: flags(list).into_iter().collect(),
        })
    };
    let answers = client.pipeline(&[
        arithmetic(&[]),
        arithmetic(&["N0", "J10", "v"]),
        arithmetic(&["v"]),
        arithmetic(&["MD", "D5", "v", "t"]),
        arithmetic(&["q"]),
        arithmetic(&["MD", "D100", "v"]),
        get(key.clone(), &["v"]),
    ]);
    let values: Vec<Option<&[u8]>> = answers.iter().map(|a| a.value.as_deref()).collect();
    // The quiet increment (to 7) says nothing. memcached decrements in
    // place and pads with spaces: `ma v` answers the number ("0"), `mg`
    // the stored bytes ("0 ").
    let expected: [Option<&[u8]>; 7] = [
        None,
        Some(b"10"),
        Some(b"11"),
        Some(b"6"),
        Some(b"0"),
        Some(b"0 "),
        None,
    ];
    assert_eq!(values, expected, "{answers:?}");
    assert_eq!(answers[0], answer(MetaReply::NotFound(MetaFlags::new())));
    // N0 created the item without expiry.
    assert_eq!(answers[3].reply.flags().unwrap().number(b't'), Some(-1));
    assert_eq!(answers[6], mn());
}

#[test]
fn ma_counts_through_both_drivers() {
    both_drivers(ma_counts);
}

fn quiet_pipeline_ends_at_mn(client: &mut dyn Client, prefix: &str) {
    let mut requests = Vec::new();
    for i in 0..10 {
        if i % 3 == 0 {
            requests.push(Request::set(
                format!("{prefix}-p{i}"),
                format!("v{i}\r\n").into(),
                flags(&["q"]),
            ));
        }
    }
    requests.push(Request::new(MetaCommand::Noop));
    for i in 0..10 {
        requests.push(get(format!("{prefix}-p{i}"), &["v", "q", &format!("O{i}")]));
    }
    let answers = client.pipeline(&requests);
    // Quiet sets answer nothing; the first MN; then only the hits, in order.
    assert_eq!(answers[0], mn());
    let hits: Vec<(String, Bytes)> = answers[1..answers.len() - 1]
        .iter()
        .map(|a| {
            let opaque = a.reply.flags().unwrap().opaque().unwrap();
            (
                String::from_utf8(opaque.to_vec()).unwrap(),
                a.value.clone().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, Bytes)> = [0, 3, 6, 9]
        .iter()
        .map(|i| (i.to_string(), format!("v{i}\r\n").into()))
        .collect();
    assert_eq!(hits, expected);
    assert_eq!(answers.last(), Some(&mn()));
}

#[test]
fn quiet_pipeline_ends_at_mn_through_both_drivers() {
    both_drivers(quiet_pipeline_ends_at_mn);
}
