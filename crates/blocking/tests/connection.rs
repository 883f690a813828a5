//! The blocking driver against a scripted transport (exact control over reads
//! and partial writes) and against real socket pairs (timeouts).

use std::io::{self, IoSlice, Read, Write};
use std::time::{Duration, Instant};

use bytes::Bytes;
use wirestate_blocking::{Connection, Error, Machine, Transport};
use wirestate_core::testing::tiny::{
    frame, stalling_reads, Tiny, TinyCommand, TinyError, TinyEvent, GOODBYE, PONG,
};
use wirestate_core::testing::transport::{arb_echo, ScriptedTransport, Step};
use wirestate_length::LengthConfig;

/// The shared scripted transport with the blocking driver's socket controls.
#[derive(Debug)]
struct Script(ScriptedTransport);

impl Script {
    fn new(reads: Vec<Step>) -> Self {
        Script(ScriptedTransport::new(reads))
    }
}

impl Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Script {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Transport for Script {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.0.timeouts_set.push(timeout);
        Ok(())
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.0.shut_down = true;
        Ok(())
    }
}

fn frame_event(payload: &[u8]) -> TinyEvent {
    TinyEvent::Frame(Bytes::copy_from_slice(payload))
}

#[test]
fn frames_cut_across_reads_come_out_whole() {
    let mut wire = frame(b"hello");
    wire.extend(frame(b""));
    wire.extend(frame(b"world"));
    let reads = wire.chunks(3).map(|c| Step::Data(c.to_vec())).collect();
    let mut conn = Connection::new(Script::new(reads), Tiny::new());
    assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(b"hello"));
    assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(b""));
    assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(b"world"));
    // Five reads of three bytes and one of one: nothing read ahead.
    assert_eq!(conn.transport().0.reads_done, 5);
}

#[test]
fn read_size_bounds_each_read() {
    let wire = frame(&[7; 100]);
    let mut conn =
        Connection::new(Script::new(vec![Step::Data(wire)]), Tiny::new()).with_read_size(10);
    assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(&[7; 100]));
    assert_eq!(conn.transport().0.reads_done, 11);
    assert_eq!(conn.machine().inputs, 11);
}

#[test]
fn reads_fill_the_room_a_machine_reserved_without_growing_it() {
    // The machine reserves each frame's room once its length is known; a
    // read of a full read_size instead would grow (copy) the buffer.
    let payloads: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 150 + usize::from(i)]).collect();
    let wire: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
    let reads = wire.chunks(100).map(|c| Step::Data(c.to_vec())).collect();
    let mut conn = Connection::new(Script::new(reads), Tiny::reserving_frames());
    for payload in &payloads {
        assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(payload));
    }
    assert_eq!(conn.machine().reserved_buffer_grown, 0);
}

#[test]
fn partial_writes_resume_where_they_stopped() {
    let mut script = Script::new(vec![]);
    script.0.max_write = 3;
    let mut conn = Connection::new(script, Tiny::new());
    let payload: Vec<u8> = (0..200).collect();
    conn.send(TinyCommand::Send(Bytes::from(payload.clone())))
        .unwrap();
    conn.send(TinyCommand::Send(Bytes::from_static(b"xy")))
        .unwrap();
    let mut expected = frame(&payload);
    expected.extend(frame(b"xy"));
    assert_eq!(conn.transport().0.written, expected);
    // Header and payload were offered together in one vectored write.
    assert_eq!(conn.transport().0.slices_offered[0], 2);
}

#[test]
fn queued_transmits_are_written_in_one_vectored_write() {
    let mut conn = Connection::new(Script::new(vec![]), Tiny::new());
    for payload in [&b"a"[..], b"bc", b"def"] {
        conn.machine_mut()
            .handle_command(
                TinyCommand::Send(Bytes::copy_from_slice(payload)),
                Instant::now(),
            )
            .unwrap();
    }
    assert!(
        conn.transport().0.written.is_empty(),
        "nothing written before flush"
    );
    conn.flush().unwrap();
    assert_eq!(conn.transport().0.written, b"\x01a\x02bc\x03def");
    assert_eq!(conn.transport().0.slices_offered, [6]);
}

#[test]
fn no_read_while_the_machine_does_not_want_input() {
    // Three bytes of a nine-byte frame reach the high-water mark of 2; the
    // rest is available but must stay unread.
    let reads = stalling_reads();
    let mut conn = Connection::new(Script::new(reads), Tiny::with_high_water(2));
    assert!(matches!(conn.next_event(), Some(Err(Error::Stalled))));
    assert!(matches!(conn.next_event(), Some(Err(Error::Stalled))));
    assert_eq!(conn.transport().0.reads_done, 1);
    assert!(!conn.is_finished());

    // The application lifts the limit: reading resumes.
    conn.machine_mut().high_water = usize::MAX;
    assert_eq!(
        conn.next_event().unwrap().unwrap(),
        frame_event(&[1, 2, 3, 4, 5, 6, 7, 8, 9])
    );
    assert_eq!(conn.transport().0.reads_done, 2);
}

#[test]
fn deadline_without_reading_fires_the_timer() {
    let mut machine = Tiny::with_deadline(Instant::now() + Duration::from_millis(20));
    machine.high_water = 0; // never wants input
    let mut conn = Connection::new(Script::new(vec![]), machine);
    assert_eq!(conn.next_event().unwrap().unwrap(), TinyEvent::TimedOut);
    assert_eq!(conn.transport().0.reads_done, 0);
}

#[test]
fn read_timeout_is_the_time_left_until_the_deadline() {
    let deadline = Instant::now() + Duration::from_secs(30);
    let reads = vec![Step::Data(frame(b"a"))];
    let mut conn = Connection::new(Script::new(reads), Tiny::with_deadline(deadline));
    assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(b"a"));
    let set = conn.transport().0.timeouts_set.clone();
    assert_eq!(set.len(), 1, "set once, before the first read");
    let timeout = set[0].expect("a read timeout was set");
    assert!(timeout <= Duration::from_secs(30) && timeout > Duration::from_secs(25));
}

#[test]
fn timeout_fires_on_a_real_socket() {
    let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let start = Instant::now();
    let deadline = start + Duration::from_millis(50);
    let mut conn = Connection::new(ours, Tiny::with_deadline(deadline));
    assert_eq!(conn.next_event().unwrap().unwrap(), TinyEvent::TimedOut);
    assert!(Instant::now() >= deadline, "fired before its deadline");
    // The deadline is gone, so the socket's read timeout is cleared again.
    theirs.write_all(&frame(b"late")).unwrap();
    assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(b"late"));
    assert_eq!(conn.transport().read_timeout().unwrap(), None);
}

#[test]
fn eof_with_a_partial_frame_reports_the_machine_error_then_ends() {
    let mut wire = frame(b"ab");
    wire.extend([5, b'x']);
    let reads = vec![Step::Data(wire), Step::Eof];
    let mut conn = Connection::new(Script::new(reads), Tiny::new());
    assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(b"ab"));
    match conn.next_event() {
        Some(Err(Error::Machine(TinyError::Truncated(2)))) => {}
        other => panic!("expected the truncation error, got {other:?}"),
    }
    // The goodbye went out before the error was returned.
    assert_eq!(conn.transport().0.written, GOODBYE);
    assert!(conn.transport().0.shut_down);
    assert!(conn.next_event().is_none());
    assert!(conn.next_event().is_none());
    assert_eq!(conn.transport().0.reads_done, 2);
}

#[test]
fn clean_eof_returns_the_last_events_then_ends() {
    let mut wire = frame(b"one");
    wire.extend(frame(b"two"));
    let reads = vec![Step::Data(wire), Step::Eof];
    let conn = Connection::new(Script::new(reads), Tiny::new());
    let events: Vec<_> = conn.map(Result::unwrap).collect();
    assert_eq!(events, [frame_event(b"one"), frame_event(b"two")]);
}

#[test]
fn close_flushes_every_transmit_then_shuts_down() {
    let mut script = Script::new(vec![]);
    script.0.max_write = 1;
    let mut conn = Connection::new(script, Tiny::new());
    let now = Instant::now();
    let machine = conn.machine_mut();
    machine
        .handle_command(TinyCommand::Send(Bytes::from_static(b"last")), now)
        .unwrap();
    machine.handle_command(TinyCommand::Close, now).unwrap();
    assert!(conn.next_event().is_none());
    let mut expected = frame(b"last");
    expected.extend(GOODBYE);
    assert_eq!(conn.transport().0.written, expected);
    assert!(conn.transport().0.shut_down);
    assert_eq!(conn.transport().0.reads_done, 0);
    assert!(conn.is_finished());
}

#[test]
fn rejected_command_is_a_machine_error_and_keeps_the_connection() {
    let mut conn = Connection::new(Script::new(vec![]), Tiny::new());
    let too_long = Bytes::from(vec![0; 300]);
    assert!(matches!(
        conn.send(TinyCommand::Send(too_long)),
        Err(Error::Machine(TinyError::TooLong))
    ));
    conn.send(TinyCommand::Send(Bytes::from_static(b"ok")))
        .unwrap();
    assert_eq!(conn.transport().0.written, frame(b"ok"));
    assert!(!conn.is_finished());
}

#[test]
fn io_error_is_reported_once_then_the_connection_ends() {
    let reads = vec![Step::Fail(io::ErrorKind::ConnectionReset)];
    let mut conn = Connection::new(Script::new(reads), Tiny::new());
    match conn.next_event() {
        Some(Err(Error::Io(e))) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("expected an io error, got {other:?}"),
    }
    assert!(conn.next_event().is_none());
    assert_eq!(conn.transport().0.reads_done, 1);
}

#[test]
fn interrupted_reads_are_retried() {
    let reads = vec![
        Step::Fail(io::ErrorKind::Interrupted),
        Step::Data(frame(b"z")),
    ];
    let mut conn = Connection::new(Script::new(reads), Tiny::new());
    assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(b"z"));
}

#[test]
fn tcp_round_trip() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let mut conn = Connection::new(socket, Tiny::new());
        let mut count = 0;
        while let Some(event) = conn.next_event() {
            let TinyEvent::Frame(payload) = event.unwrap() else {
                panic!("no timer was set")
            };
            conn.send(TinyCommand::Send(payload)).unwrap();
            count += 1;
        }
        count
    });
    let socket = std::net::TcpStream::connect(addr).unwrap();
    let mut conn = Connection::new(socket, Tiny::new());
    for payload in [&b""[..], b"x", &[9; 255]] {
        conn.send(TinyCommand::Send(Bytes::copy_from_slice(payload)))
            .unwrap();
        assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(payload));
    }
    conn.transport_mut()
        .shutdown(std::net::Shutdown::Write)
        .unwrap();
    assert!(conn.next_event().is_none());
    assert_eq!(server.join().unwrap(), 3);
}

proptest::proptest! {
    /// However the peer's bytes are cut into reads and however little each
    /// write takes, an echo through the driver returns the same frames and
    /// writes exactly the same bytes.
    #[test]
    fn echo_does_not_depend_on_read_or_write_sizes(echo in arb_echo()) {
        use wirestate_length::{LengthCommand, LengthEvent, LengthConnection};
        let machine = LengthConnection::new(LengthConfig::erlang(2));
        let mut conn = Connection::new(Script(echo.transport()), machine).with_read_size(echo.read_size);
        let mut frames = Vec::new();
        while let Some(event) = conn.next_event() {
            let LengthEvent::Frame(payload) = event.unwrap() else { panic!("no limit set") };
            frames.push(payload.to_vec());
            conn.send(LengthCommand::Send(payload)).unwrap();
        }
        proptest::prop_assert_eq!(&frames, &echo.payloads);
        proptest::prop_assert_eq!(&conn.transport().0.written, &echo.wire());
        proptest::prop_assert!(conn.transport().0.shut_down);
    }
}

#[test]
fn bytes_queued_without_an_event_go_out_before_waiting_for_input() {
    // The machine answers a ping inside poll_event and yields no event: the
    // answer must reach the peer while the driver waits for more input.
    let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let machine = Tiny::answering_pings();
    let driver = std::thread::spawn(move || {
        let mut conn = Connection::new(ours, machine);
        conn.next_event().unwrap().unwrap()
    });
    theirs.write_all(&frame(b"")).unwrap();
    theirs
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = [0; 1];
    theirs.read_exact(&mut answer).expect("the pong arrives");
    assert_eq!(&answer, PONG);
    theirs.write_all(&frame(b"after")).unwrap();
    assert_eq!(driver.join().unwrap(), frame_event(b"after"));
}

#[test]
fn answers_to_events_from_one_read_leave_in_one_write() {
    let payloads: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10]).collect();
    let wire: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
    let mut conn = Connection::new(Script::new(vec![Step::Data(wire), Step::Eof]), Tiny::new());
    for payload in &payloads {
        assert_eq!(conn.next_event().unwrap().unwrap(), frame_event(payload));
        let answer = TinyCommand::Send(Bytes::copy_from_slice(payload));
        conn.machine_mut()
            .handle_command(answer, Instant::now())
            .unwrap();
        assert_eq!(
            conn.transport().0.write_calls,
            0,
            "held while events remain"
        );
    }
    assert!(conn.next_event().is_none());
    let expected: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
    assert_eq!(conn.transport().0.written, expected);
    assert_eq!(conn.transport().0.write_calls, 1);
}

#[test]
fn a_batch_takes_events_in_place_and_its_answers_leave_in_one_write() {
    // `next_event_with` hands the machine to the batch before each poll:
    // here the batch takes every event itself and answers each one.
    let payloads: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10]).collect();
    let wire: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
    let script = Script::new(vec![Step::Data(wire.clone()), Step::Eof]);
    let mut conn = Connection::new(script, Tiny::new());
    let mut seen = Vec::new();
    let end = conn.next_event_with(|tiny| {
        while let Some(event) = tiny.poll_event() {
            let TinyEvent::Frame(payload) = event.unwrap() else {
                panic!("only frames were sent");
            };
            seen.push(payload.to_vec());
            tiny.handle_command(TinyCommand::Send(payload), Instant::now())
                .unwrap();
        }
    });
    assert!(end.is_none(), "every event went to the batch: {end:?}");
    assert_eq!(seen, payloads);
    assert_eq!(conn.transport().0.written, wire);
    assert_eq!(conn.transport().0.write_calls, 1);
}

#[test]
fn a_peer_error_that_stops_a_batch_comes_out_of_next_event_with() {
    // Two good frames, then a length over the limit: the batch takes the
    // frames, and the machine's error is what the call returns.
    use std::ops::ControlFlow;
    use wirestate_length::{LengthConnection, LengthError};
    let wire = b"\x02hi\x03you\x09".to_vec();
    let script = Script::new(vec![Step::Data(wire), Step::Eof]);
    let machine = LengthConnection::new(LengthConfig::erlang(1).max_frame_length(4));
    let mut conn = Connection::new(script, machine);
    let mut total = 0;
    let end = conn.next_event_with(|machine| {
        machine.for_each_frame(|frame| {
            total += frame.len();
            ControlFlow::Continue(())
        });
    });
    assert_eq!(total, 5);
    assert!(
        matches!(
            end,
            Some(Err(Error::Machine(LengthError::Oversize {
                len: 9,
                max: 4,
                offset: 7
            })))
        ),
        "{end:?}"
    );
    assert!(
        conn.next_event().is_none(),
        "the stream ends after the error"
    );
}
