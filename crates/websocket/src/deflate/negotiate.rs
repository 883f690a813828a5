//! Negotiating permessage-deflate parameters (RFC 7692 §7.1).
//!
//! A client offers in `Sec-WebSocket-Extensions`; a server picks the first
//! acceptable offer and answers with the parameters in force; the client
//! checks the answer against what it offered.

use super::{usable_bits, DeflateConfig, DeflateParams};
use crate::handshake::{Extension, HandshakeError};

/// The extension token.
pub(crate) const NAME: &str = "permessage-deflate";

/// One offer's or answer's parameters after validation.
#[derive(Debug, Default, PartialEq, Eq)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (only valid in an offer).
    client_max_window_bits: Option<Option<u8>>,
}

/// Validates the parameters of one entry: known names only, each at most
/// once, window sizes 8-15 written as plain decimal.
fn parse(ext: &Extension, is_offer: bool) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in &ext.params {
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(format!("duplicate parameter {name}"));
        }
        seen.push(lower.clone());
        match (lower.as_str(), value.as_deref()) {
            ("server_no_context_takeover", None) => parsed.server_no_context_takeover = true,
            ("client_no_context_takeover", None) => parsed.client_no_context_takeover = true,
            ("server_max_window_bits", Some(v)) => {
                parsed.server_max_window_bits = Some(window_bits(v)?)
            }
            ("client_max_window_bits", None) if is_offer => {
                parsed.client_max_window_bits = Some(None)
            }
            ("client_max_window_bits", Some(v)) => {
                parsed.client_max_window_bits = Some(Some(window_bits(v)?))
            }
            (_, Some(v)) => return Err(format!("invalid parameter {name}={v}")),
            (_, None) => return Err(format!("invalid parameter {name}")),
        }
    }
    Ok(parsed)
}

/// A window size value: 1*DIGIT without leading zero, 8 to 15.
fn window_bits(value: &str) -> Result<u8, String> {
    let valid = !value.is_empty() && !value.starts_with('0') && value.len() <= 2;
    match value.parse::<u8>() {
        Ok(bits @ 8..=15) if valid => Ok(bits),
        _ => Err(format!("invalid window size {value:?}")),
    }
}

/// Client: the `Sec-WebSocket-Extensions` value offering permessage-deflate
/// as `config` says: `permessage-deflate; client_max_window_bits` by default,
/// with the restrictions it configures. [`WsConnection::client`] adds it to
/// the request when [`WsConfig::deflate`](crate::WsConfig::deflate) is set.
///
/// ```
/// use wirestate_websocket::{deflate_offer, DeflateConfig};
/// assert_eq!(deflate_offer(&DeflateConfig::client()), "permessage-deflate; client_max_window_bits");
/// ```
///
/// [`WsConnection::client`]: crate::WsConnection::client
pub fn deflate_offer(config: &DeflateConfig) -> String {
    let mut out = String::from(NAME);
    if config.server_no_context_takeover {
        out.push_str("; server_no_context_takeover");
    }
    if config.client_no_context_takeover {
        out.push_str("; client_no_context_takeover");
    }
    let server_bits = usable_bits(config.server_max_window_bits);
    if server_bits < 15 {
        out.push_str(&format!("; server_max_window_bits={server_bits}"));
    }
    let client_bits = usable_bits(config.client_max_window_bits);
    if client_bits < 15 {
        out.push_str(&format!("; client_max_window_bits={client_bits}"));
    } else {
        out.push_str("; client_max_window_bits");
    }
    out
}

/// Server: the parameters for the first acceptable permessage-deflate offer
/// among a request's extensions, or `None` to decline them all. Offers with
/// invalid or duplicate parameters are declined (RFC 7692 §5.1 says a server
/// declines them, it does not fail the handshake), as are offers demanding
/// an 8-bit server window (zlib cannot produce a raw deflate stream with
/// one).
///
/// Answer with [`DeflateParams::header_value`] in `Sec-WebSocket-Extensions`
/// ([`accept_response`](crate::accept_response) does) and hand the
/// parameters to [`WsConnection::accepted_server`](crate::WsConnection::accepted_server).
///
/// ```
/// use wirestate_websocket::{negotiate_deflate, parse_extensions, DeflateConfig};
///
/// let offers = parse_extensions(b"permessage-deflate; client_max_window_bits");
/// let agreed = negotiate_deflate(&offers, &DeflateConfig::server()).unwrap();
/// assert_eq!(agreed.client_max_window_bits, 12);
/// assert_eq!(
///     agreed.header_value(),
///     "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12"
/// );
/// ```
pub fn negotiate_deflate(offers: &[Extension], config: &DeflateConfig) -> Option<DeflateParams> {
    let ours_server = usable_bits(config.server_max_window_bits);
    let ours_client = usable_bits(config.client_max_window_bits);
    for offer in offers.iter().filter(|e| e.name.eq_ignore_ascii_case(NAME)) {
        let Ok(parsed) = parse(offer, true) else {
            continue;
        };
        let server_max_window_bits = match parsed.server_max_window_bits {
            Some(8) => continue,
            Some(bits) => bits.min(ours_server),
            None => ours_server,
        };
        let client_max_window_bits = match parsed.client_max_window_bits {
            // The client cannot limit its window: it may use 15 bits.
            None => 15,
            Some(None) => ours_client,
            Some(Some(bits)) => bits.min(ours_client),
        };
        return Some(DeflateParams {
            server_no_context_takeover: parsed.server_no_context_takeover
                || config.server_no_context_takeover,
            client_no_context_takeover: parsed.client_no_context_takeover
                || config.client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        });
    }
    None
}

/// Client: checks the server's answer (the extensions of its response)
/// against the offer made from `config` ([`deflate_offer`]); returns the
/// parameters in force, or `Ok(None)` when the server declined (no
/// permessage-deflate entry). [`parse_response`](crate::parse_response)
/// calls it.
///
/// ```
/// use wirestate_websocket::{check_deflate_answer, parse_extensions, DeflateConfig};
///
/// let answer = parse_extensions(b"permessage-deflate; client_max_window_bits=10");
/// let agreed = check_deflate_answer(&answer, &DeflateConfig::client()).unwrap().unwrap();
/// assert_eq!(agreed.client_max_window_bits, 10);
/// ```
///
/// # Errors
///
/// [`HandshakeError::InvalidExtension`] when the answer is malformed,
/// answers twice, or does not honour what the offer required (the handshake
/// must then fail).
pub fn check_deflate_answer(
    answers: &[Extension],
    config: &DeflateConfig,
) -> Result<Option<DeflateParams>, HandshakeError> {
    let mut entries = answers.iter().filter(|e| e.name.eq_ignore_ascii_case(NAME));
    let Some(answer) = entries.next() else {
        return Ok(None);
    };
    let invalid = |why: String| HandshakeError::InvalidExtension(why);
    if entries.next().is_some() {
        return Err(invalid("permessage-deflate answered twice".into()));
    }
    let parsed = parse(answer, false).map_err(invalid)?;
    if config.server_no_context_takeover && !parsed.server_no_context_takeover {
        return Err(invalid(
            "server_no_context_takeover was not confirmed".into(),
        ));
    }
    let asked_server = usable_bits(config.server_max_window_bits);
    let server_max_window_bits = match parsed.server_max_window_bits {
        Some(bits) if bits > asked_server => {
            return Err(invalid(format!(
                "server_max_window_bits={bits} is more than the {asked_server} offered"
            )))
        }
        Some(bits) => bits,
        None if asked_server < 15 => {
            return Err(invalid("server_max_window_bits was not confirmed".into()))
        }
        None => 15,
    };
    let ours_client = usable_bits(config.client_max_window_bits);
    let client_max_window_bits = match parsed.client_max_window_bits.flatten() {
        Some(8) => {
            return Err(invalid(
                "client_max_window_bits=8 cannot be honoured (zlib's smallest raw window is 9)"
                    .into(),
            ))
        }
        Some(bits) if bits > ours_client => {
            return Err(invalid(format!(
                "client_max_window_bits={bits} is more than the {ours_client} offered"
            )))
        }
        Some(bits) => bits,
        None => ours_client,
    };
    Ok(Some(DeflateParams {
        server_no_context_takeover: parsed.server_no_context_takeover,
        client_no_context_takeover: parsed.client_no_context_takeover
            || config.client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(value: &str) -> Vec<Extension> {
        crate::parse_extensions(value.as_bytes())
    }

    fn params(snct: bool, cnct: bool, sbits: u8, cbits: u8) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: sbits,
            client_max_window_bits: cbits,
        }
    }

    /// (offer header, server config, expected answer)
    #[test]
    fn server_answers_table() {
        let open = DeflateConfig {
            server_no_context_takeover: false,
            ..DeflateConfig::client()
        };
        let server = DeflateConfig::server();
        let cases: &[(&str, &DeflateConfig, Option<DeflateParams>)] = &[
            ("permessage-deflate", &open, Some(params(false, false, 15, 15))),
            (
                "permessage-deflate; client_max_window_bits",
                &open,
                Some(params(false, false, 15, 15)),
            ),
            (
                "permessage-deflate; client_max_window_bits",
                &server,
                Some(params(true, false, 12, 12)),
            ),
            // Without client_max_window_bits the client may use 15 bits.
            ("permessage-deflate", &server, Some(params(true, false, 12, 15))),
            (
                "permessage-deflate; server_max_window_bits=10",
                &server,
                Some(params(true, false, 10, 15)),
            ),
            (
                "permessage-deflate; client_max_window_bits=9",
                &server,
                Some(params(true, false, 12, 9)),
            ),
            (
                "permessage-deflate; client_no_context_takeover",
                &open,
                Some(params(false, true, 15, 15)),
            ),
            (
                "permessage-deflate; server_no_context_takeover",
                &open,
                Some(params(true, false, 15, 15)),
            ),
            ("x-webkit-deflate-frame", &open, None),
            // Invalid or duplicate parameters: declined.
            ("permessage-deflate; foo", &open, None),
            ("permessage-deflate; server_max_window_bits", &open, None),
            ("permessage-deflate; server_max_window_bits=16", &open, None),
            ("permessage-deflate; server_max_window_bits=010", &open, None),
            ("permessage-deflate; client_max_window_bits=7", &open, None),
            ("permessage-deflate; server_no_context_takeover=1", &open, None),
            (
                "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
                &open,
                None,
            ),
            // An 8-bit server window cannot be produced: declined.
            ("permessage-deflate; server_max_window_bits=8", &open, None),
            // The first acceptable of several offers wins.
            (
                "permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=11, permessage-deflate",
                &open,
                Some(params(false, false, 11, 15)),
            ),
            (
                "permessage-deflate; bogus, permessage-deflate; client_max_window_bits=10",
                &open,
                Some(params(false, false, 15, 10)),
            ),
        ];
        for (offer, config, expected) in cases {
            assert_eq!(&negotiate_deflate(&ext(offer), config), expected, "{offer}");
        }
    }

    #[test]
    fn client_offers() {
        assert_eq!(
            deflate_offer(&DeflateConfig::client()),
            "permessage-deflate; client_max_window_bits"
        );
        let strict = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 10,
            client_max_window_bits: 8,
            ..DeflateConfig::client()
        };
        assert_eq!(
            deflate_offer(&strict),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9"
        );
    }

    /// (answer header, client config, expected)
    #[test]
    fn client_checks_answers_table() {
        let default = DeflateConfig::client();
        let strict = DeflateConfig {
            server_no_context_takeover: true,
            server_max_window_bits: 10,
            client_max_window_bits: 11,
            ..DeflateConfig::client()
        };
        type Case<'a> = (
            &'a str,
            &'a DeflateConfig,
            Result<Option<DeflateParams>, ()>,
        );
        let ok = |p| Ok(Some(p));
        let cases: &[Case] = &[
            ("", &default, Ok(None)),
            ("permessage-deflate", &default, ok(params(false, false, 15, 15))),
            (
                "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
                &default,
                ok(params(false, false, 12, 12)),
            ),
            (
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                &default,
                ok(params(true, true, 15, 15)),
            ),
            (
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=9",
                &strict,
                ok(params(true, false, 9, 11)),
            ),
            // The server must confirm what we required.
            ("permessage-deflate; server_max_window_bits=10", &strict, Err(())),
            ("permessage-deflate; server_no_context_takeover", &strict, Err(())),
            (
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",
                &strict,
                Err(()),
            ),
            (
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
                &strict,
                Err(()),
            ),
            // Invalid answers.
            ("permessage-deflate; client_max_window_bits", &default, Err(())),
            ("permessage-deflate; client_max_window_bits=8", &default, Err(())),
            ("permessage-deflate; what", &default, Err(())),
            ("permessage-deflate; server_max_window_bits=1a", &default, Err(())),
            ("permessage-deflate, permessage-deflate", &default, Err(())),
        ];
        for (answer, config, expected) in cases {
            let got = check_deflate_answer(&ext(answer), config).map_err(|_| ());
            assert_eq!(&got, expected, "{answer}");
        }
    }
}
