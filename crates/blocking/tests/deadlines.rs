//! The blocking driver's bounded waits, on real Unix sockets: writes to a
//! peer that never reads end at the machine's send timeout, also after the
//! peer's EOF, a shutdown says goodbye within its drain deadline, and the
//! lingering close after it waits for the peer's EOF at most that long.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use bytes::Bytes;
use wirestate_blocking::{Connection, Error};
use wirestate_core::{IdleError, IdleTimeout};
use wirestate_length::{LengthCommand, LengthConfig, LengthConnection};

const SEND: Duration = Duration::from_millis(300);

fn guarded() -> IdleTimeout<LengthConnection> {
    let machine = LengthConnection::new(LengthConfig::erlang(4).max_frame_length(64 << 20));
    IdleTimeout::new(machine, Duration::from_secs(120), Instant::now())
        .with_send_timeout(Some(SEND))
}

#[test]
fn a_send_to_a_peer_that_never_reads_ends_at_the_send_timeout() {
    let (ours, _theirs) = UnixStream::pair().unwrap();
    let mut conn = Connection::new(ours, guarded());
    let started = Instant::now();
    let error = conn
        .send(LengthCommand::Send(Bytes::from(vec![1; 8 << 20])))
        .expect_err("the peer never reads");
    assert_eq!(
        error.as_io().map(|e| e.kind()),
        Some(std::io::ErrorKind::TimedOut)
    );
    assert!(started.elapsed() >= SEND);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    // The machine's reason comes next, then the end.
    match conn.next_event() {
        Some(Err(Error::Machine(IdleError::SendStalled(limit)))) => assert_eq!(limit, SEND),
        other => panic!("expected the send stall, got {other:?}"),
    }
    assert!(conn.next_event().is_none());
}

#[test]
fn after_eof_a_peer_that_never_reads_is_released() {
    let (ours, mut theirs) = UnixStream::pair().unwrap();
    let mut conn = Connection::new(ours, guarded());
    // The peer sends a frame to be echoed many times over, half-closes,
    // and never reads.
    let mut frame = 4u32.to_be_bytes().to_vec();
    frame.extend(b"echo");
    theirs.write_all(&frame).unwrap();
    theirs.shutdown(Shutdown::Write).unwrap();
    let started = Instant::now();
    let mut outcome = None;
    while let Some(item) = conn.next_event() {
        match item {
            Ok(_) => {
                let echo = Bytes::from(vec![2; 8 << 20]);
                conn.machine_mut().inner_mut().send(echo).expect("queued");
            }
            Err(e) => outcome = Some(e),
        }
    }
    assert!(
        matches!(outcome, Some(Error::Machine(IdleError::SendStalled(_)))),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn shutdown_writes_the_rest_then_closes() {
    let (ours, mut theirs) = UnixStream::pair().unwrap();
    let mut conn = Connection::new(ours, guarded());
    conn.machine_mut()
        .inner_mut()
        .send(Bytes::from_static(b"bye"))
        .unwrap();
    // The peer reads to our EOF, then closes, as real peers do (until it
    // does, the shutdown lingers).
    let peer = std::thread::spawn(move || {
        let mut received = Vec::new();
        theirs.read_to_end(&mut received).unwrap();
        received
    });
    conn.shutdown(Duration::from_secs(5)).unwrap();
    assert!(conn.is_finished());
    assert_eq!(peer.join().unwrap(), b"\x00\x00\x00\x03bye");
}

#[test]
fn shutdown_to_a_peer_that_never_reads_gives_up_at_the_drain_deadline() {
    let (ours, _theirs) = UnixStream::pair().unwrap();
    let machine = LengthConnection::new(LengthConfig::erlang(4).max_frame_length(64 << 20));
    let mut conn = Connection::new(ours, machine);
    conn.machine_mut()
        .send(Bytes::from(vec![3; 8 << 20]))
        .unwrap();
    let drain = Duration::from_millis(300);
    let started = Instant::now();
    let error = conn.shutdown(drain).expect_err("the peer took nothing");
    assert_eq!(
        error.as_io().map(|e| e.kind()),
        Some(std::io::ErrorKind::TimedOut)
    );
    assert!(started.elapsed() >= drain);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(conn.is_finished());
}

#[test]
fn after_our_close_input_is_read_and_dropped_until_the_peers_eof() {
    // Closing with unread input would make the kernel reset the
    // connection, which can destroy what the peer has not read yet.
    let (ours, mut theirs) = UnixStream::pair().unwrap();
    let mut conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(4)));
    theirs.write_all(b"input the machine never reads").unwrap();
    let peer = std::thread::spawn(move || {
        let mut rest = Vec::new();
        theirs.read_to_end(&mut rest).unwrap();
        rest // then `theirs` closes: our EOF
    });
    conn.shutdown(Duration::from_secs(60)).unwrap();
    assert!(peer.join().unwrap().is_empty());
    // Everything the peer sent, and its EOF, were read before returning.
    let ours = conn.transport_mut();
    ours.set_nonblocking(true).unwrap();
    assert_eq!(ours.read(&mut [0; 64]).unwrap(), 0);
}

#[test]
fn a_peer_that_never_closes_is_left_at_the_drain_deadline() {
    let (ours, _theirs) = UnixStream::pair().unwrap();
    let mut conn = Connection::new(ours, LengthConnection::new(LengthConfig::erlang(4)));
    let drain = Duration::from_millis(300);
    let started = Instant::now();
    conn.shutdown(drain).unwrap();
    assert!(started.elapsed() >= drain);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}
