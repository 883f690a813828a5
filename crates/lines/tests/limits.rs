//! The limit wrappers of core around a line connection, with injected
//! time: the protocol has no goodbye, so the wrapper stops reading and
//! closes once what is queued is flushed.

use std::time::{Duration, Instant};

use wirestate_core::{Machine, MaxAge, RateLimit};
use wirestate_lines::{LineConfig, LineConnection, LineEvent};

fn lines() -> LineConnection {
    LineConnection::new(LineConfig::default())
}

/// The lines `machine` hands out now.
fn events(
    machine: &mut impl Machine<Event = LineEvent, Error = wirestate_lines::LineError>,
) -> Vec<LineEvent> {
    std::iter::from_fn(|| machine.poll_event().map(Result::unwrap)).collect()
}

/// A case: its name, input pushes with their time in ms, the lines handed
/// out, whether the limit was hit.
type Case = (
    &'static str,
    &'static [(u64, &'static str)],
    &'static [&'static str],
    bool,
);

#[test]
fn rate_limit_table() {
    let ms = Duration::from_millis;
    let cases: &[Case] = &[
        ("within capacity", &[(0, "a\nb\n")], &["a", "b"], false),
        ("a burst past it", &[(0, "a\nb\nc\nd\n")], &["a", "b"], true),
        (
            "a new window",
            &[(0, "a\nb\n"), (1000, "c\nd\n")],
            &["a", "b", "c", "d"],
            false,
        ),
        (
            "past it later",
            &[(0, "a\n"), (999, "b\nc\n")],
            &["a", "b"],
            true,
        ),
    ];
    for &(case, pushes, expected, limited) in cases {
        let t0 = Instant::now();
        let mut m = RateLimit::new(lines(), 2, Duration::from_secs(1));
        let mut got = Vec::new();
        for &(at, input) in pushes {
            m.handle_input(input.as_bytes(), t0 + ms(at));
            got.extend(events(&mut m));
        }
        let expected: Vec<_> = expected.iter().map(|l| LineEvent::line(*l)).collect();
        assert_eq!(got, expected, "{case}");
        assert_eq!(m.limited(), limited, "{case}");
        assert_eq!(m.is_closed(), limited, "{case}");
        assert_eq!(m.wants_read(), !limited, "{case}");
    }
}

#[test]
fn past_the_limit_what_was_queued_is_still_flushed() {
    let t0 = Instant::now();
    let mut m = RateLimit::new(lines(), 1, Duration::from_secs(1));
    m.handle_input(b"a\n", t0);
    assert_eq!(events(&mut m), [LineEvent::line("a")]);
    m.inner_mut().send_line("echo a").unwrap();
    m.handle_input(b"b\nc\n", t0);
    assert!(events(&mut m).is_empty());
    assert!(m.is_closed());
    assert_eq!(m.poll_transmit().unwrap(), "echo a");
    assert_eq!(m.poll_transmit().unwrap(), "\n");
    assert_eq!(m.poll_transmit(), None);
}

#[test]
fn max_age_table() {
    let secs = Duration::from_secs;
    // (case, when the timer is driven, closed by then)
    let cases: &[(&str, Duration, bool)] = &[
        ("before the deadline", secs(9), false),
        ("at the deadline", secs(10), true),
        ("after it", secs(11), true),
    ];
    for &(case, at, expired) in cases {
        let t0 = Instant::now();
        let mut m = MaxAge::new(lines(), secs(10));
        m.handle_connected(t0);
        assert_eq!(m.poll_timeout(), Some(t0 + secs(10)), "{case}");
        m.handle_timeout(t0 + at);
        assert_eq!(m.expired(), expired, "{case}");
        assert_eq!(m.is_closed(), expired, "{case}");
        m.handle_input(b"late\n", t0 + at);
        let got = events(&mut m);
        assert_eq!(got.is_empty(), expired, "{case}: {got:?}");
    }
}

#[test]
fn the_age_counts_from_the_first_call_when_never_told_connected() {
    let t0 = Instant::now();
    let mut m = MaxAge::new(lines(), Duration::from_secs(5));
    assert_eq!(m.poll_timeout(), None);
    m.handle_input(b"x\n", t0);
    assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    // A later handle_connected does not restart it.
    m.handle_connected(t0 + Duration::from_secs(1));
    assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(5)));
}

#[test]
fn limits_too_long_for_the_clock_never_end() {
    let t0 = Instant::now();
    let mut aged = MaxAge::new(lines(), Duration::MAX);
    aged.handle_connected(t0);
    assert_eq!(aged.poll_timeout(), None);
    let mut rated = RateLimit::new(lines(), 1, Duration::MAX);
    rated.handle_input(b"a\n", t0);
    assert_eq!(events(&mut rated), [LineEvent::line("a")]);
    rated.handle_input(b"b\n", t0 + Duration::from_secs(1 << 40));
    assert!(events(&mut rated).is_empty());
    assert!(rated.limited());
}

/// A goodbye that awaits no answer ends the connection: an error in input
/// read before it came (here an over-long line) is not reported, so what
/// the application sees does not depend on how much was read at once (the
/// fuzzer's lines_script found it did).
#[test]
fn after_the_goodbye_errors_in_unread_lines_are_dropped() {
    let config = LineConfig::default().max_line(8).unwrap();
    let mut input = b"a\nb\n".to_vec();
    input.extend_from_slice(&[b'x'; 64]);
    input.push(b'\n');
    let now = Instant::now();
    let mut m = RateLimit::new(LineConnection::new(config), 1, Duration::from_secs(10));
    m.handle_input(&input, now);
    let said: Vec<_> = std::iter::from_fn(|| m.poll_event()).collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0].as_ref().unwrap(), &LineEvent::line("a"));
    assert!(m.limited());
    assert!(m.is_closed());
}
