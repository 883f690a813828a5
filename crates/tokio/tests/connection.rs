//! The tokio driver against a scripted transport (exact control over reads
//! and partial writes) and against `tokio::io::duplex` pipes, with paused time
//! for timers.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use wirestate_core::testing::tiny::{
    frame, stalling_reads, Tiny, TinyCommand, TinyError, TinyEvent, GOODBYE, PONG,
};
use wirestate_core::testing::transport::{arb_echo, ScriptedTransport, Step};
use wirestate_core::{IdleError, IdleTimeout};
use wirestate_length::LengthConfig;
use wirestate_tokio::{now, Connection, Error, Machine};

/// The shared scripted transport as an async stream: a read beyond the
/// script is `Pending` forever, a stalled write (`stutter`) is `Pending` once.
#[derive(Debug)]
struct Script(ScriptedTransport);

impl Script {
    fn new(reads: Vec<Step>) -> Self {
        Script(ScriptedTransport::new(reads))
    }
}

impl AsyncRead for Script {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut().0.read_step(buf.initialize_unfilled()) {
            Some(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Some(Err(e)) => Poll::Ready(Err(e)),
            None => Poll::Pending,
        }
    }
}

impl AsyncWrite for Script {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().0.write_step(bufs) {
            Some(n) => Poll::Ready(Ok(n)),
            None => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().0.shut_down = true;
        Poll::Ready(Ok(()))
    }
}

fn frame_event(payload: &[u8]) -> TinyEvent {
    TinyEvent::Frame(Bytes::copy_from_slice(payload))
}

/// Whether `next_event` stays pending for a (paused, so instant) minute.
async fn stays_pending<M: Machine, S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<M, S>,
) -> bool {
    tokio::time::timeout(Duration::from_secs(60), conn.next_event())
        .await
        .is_err()
}

#[tokio::test]
async fn frames_cut_across_reads_come_out_whole() {
    let mut wire = frame(b"hello");
    wire.extend(frame(b""));
    wire.extend(frame(b"world"));
    let reads = wire.chunks(3).map(|c| Step::Data(c.to_vec())).collect();
    let mut conn = Connection::new(Script::new(reads), Tiny::new());
    assert_eq!(
        conn.next_event().await.unwrap().unwrap(),
        frame_event(b"hello")
    );
    assert_eq!(conn.next_event().await.unwrap().unwrap(), frame_event(b""));
    assert_eq!(
        conn.next_event().await.unwrap().unwrap(),
        frame_event(b"world")
    );
    assert_eq!(conn.transport().0.reads_done, 5, "nothing read ahead");
}

#[tokio::test]
async fn read_size_bounds_each_read() {
    let reads = vec![Step::Data(frame(&[7; 100]))];
    let mut conn = Connection::new(Script::new(reads), Tiny::new()).with_read_size(10);
    assert_eq!(
        conn.next_event().await.unwrap().unwrap(),
        frame_event(&[7; 100])
    );
    assert_eq!(conn.transport().0.reads_done, 11);
    assert_eq!(conn.machine().inputs, 11);
}

#[tokio::test]
async fn reads_fill_the_room_a_machine_reserved_without_growing_it() {
    // The machine reserves each frame's room once its length is known; a
    // read reserving a full read_size instead would grow (copy) the buffer.
    let payloads: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 150 + usize::from(i)]).collect();
    let wire: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
    let reads = wire.chunks(100).map(|c| Step::Data(c.to_vec())).collect();
    let mut conn = Connection::new(Script::new(reads), Tiny::reserving_frames());
    for payload in &payloads {
        assert_eq!(
            conn.next_event().await.unwrap().unwrap(),
            frame_event(payload)
        );
    }
    assert_eq!(conn.machine().reserved_buffer_grown, 0);
}

#[tokio::test]
async fn partial_and_pending_writes_resume_where_they_stopped() {
    let mut script = Script::new(vec![]);
    script.0.max_write = 3;
    script.0.stutter = true;
    let mut conn = Connection::new(script, Tiny::new());
    let payload: Vec<u8> = (0..200).collect();
    conn.send(TinyCommand::Send(Bytes::from(payload.clone())))
        .await
        .unwrap();
    conn.send(TinyCommand::Send(Bytes::from_static(b"xy")))
        .await
        .unwrap();
    let mut expected = frame(&payload);
    expected.extend(frame(b"xy"));
    assert_eq!(conn.transport().0.written, expected);
    // Header and payload were offered together in one vectored write.
    assert_eq!(conn.transport().0.slices_offered[0], 2);
}

#[tokio::test]
async fn queued_transmits_go_out_in_one_vectored_write() {
    let mut conn = Connection::new(Script::new(vec![]), Tiny::new());
    for payload in [&b"a"[..], b"bc", b"def"] {
        conn.machine_mut()
            .handle_command(TinyCommand::Send(Bytes::copy_from_slice(payload)), now())
            .unwrap();
    }
    assert!(
        conn.transport().0.written.is_empty(),
        "nothing written before flush"
    );
    conn.flush().await.unwrap();
    assert_eq!(conn.transport().0.written, b"\x01a\x02bc\x03def");
    assert_eq!(conn.transport().0.slices_offered, [6]);
}

#[tokio::test(start_paused = true)]
async fn no_read_while_the_machine_does_not_want_input() {
    // Three bytes of a nine-byte frame reach the high-water mark of 2; the
    // rest is available but must stay unread.
    let reads = stalling_reads();
    let mut conn = Connection::new(Script::new(reads), Tiny::with_high_water(2));
    assert!(stays_pending(&mut conn).await);
    assert_eq!(conn.transport().0.reads_done, 1);

    // The application lifts the limit: reading resumes.
    conn.machine_mut().high_water = usize::MAX;
    assert_eq!(
        conn.next_event().await.unwrap().unwrap(),
        frame_event(&[1, 2, 3, 4, 5, 6, 7, 8, 9])
    );
    assert_eq!(conn.transport().0.reads_done, 2);
}

#[tokio::test(start_paused = true)]
async fn no_read_while_the_peer_does_not_take_our_bytes() {
    let (ours, mut theirs) = tokio::io::duplex(16);
    let mut conn = Connection::new(ours, Tiny::new()).with_write_high_water(8);
    // 101 bytes queued; the pipe takes 16 of them.
    conn.machine_mut()
        .handle_command(TinyCommand::Send(Bytes::from(vec![1; 100])), now())
        .unwrap();
    theirs.write_all(&frame(b"in")).await.unwrap();
    assert!(stays_pending(&mut conn).await);
    assert_eq!(conn.machine().inputs, 0, "read while the writes were stuck");

    // The peer reads: once fewer than 8 bytes wait, our input is read again.
    // (The rest goes out when the connection is next polled, here by flush.)
    let mut echo = vec![0; 101];
    let ours = async {
        let event = conn.next_event().await;
        conn.flush().await.unwrap();
        event
    };
    let (event, read) = tokio::join!(ours, theirs.read_exact(&mut echo));
    read.unwrap();
    assert_eq!(event.unwrap().unwrap(), frame_event(b"in"));
    assert_eq!(echo, frame(&[1; 100]));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_fires_the_timer() {
    let start = tokio::time::Instant::now();
    let deadline = now() + Duration::from_secs(30);
    let (ours, _theirs) = tokio::io::duplex(64);
    let mut conn = Connection::new(ours, Tiny::with_deadline(deadline));
    assert_eq!(
        conn.next_event().await.unwrap().unwrap(),
        TinyEvent::TimedOut
    );
    assert!(now() >= deadline, "fired early");
    assert!(start.elapsed() < Duration::from_secs(31), "fired late");
}

#[tokio::test(start_paused = true)]
async fn the_deadline_fires_while_not_reading() {
    let deadline = now() + Duration::from_secs(5);
    let mut machine = Tiny::with_deadline(deadline);
    machine.high_water = 0; // never wants input
    let mut conn = Connection::new(Script::new(vec![Step::Data(frame(b"x"))]), machine);
    assert_eq!(
        conn.next_event().await.unwrap().unwrap(),
        TinyEvent::TimedOut
    );
    assert_eq!(conn.transport().0.reads_done, 0);
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_ends_the_connection_and_closes_our_side() {
    let (ours, mut theirs) = tokio::io::duplex(64);
    let idle = Duration::from_secs(120);
    let machine = IdleTimeout::new(Tiny::new(), idle, now());
    let mut conn = Connection::new(ours, machine);

    // Input a minute in pushes the deadline back.
    tokio::time::advance(Duration::from_secs(60)).await;
    theirs.write_all(&frame(b"ping")).await.unwrap();
    assert_eq!(
        conn.next_event().await.unwrap().unwrap(),
        frame_event(b"ping")
    );
    let input_at = tokio::time::Instant::now();

    match conn.next_event().await {
        Some(Err(Error::Machine(IdleError::TimedOut(d)))) => assert_eq!(d, idle),
        other => panic!("expected the idle timeout, got {other:?}"),
    }
    assert!(input_at.elapsed() >= idle);
    assert!(conn.next_event().await.is_none());
    // The write side was shut down: the peer reads EOF.
    let mut rest = Vec::new();
    theirs.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
}

#[tokio::test]
async fn eof_with_a_partial_frame_reports_the_machine_error_then_ends() {
    let (ours, mut theirs) = tokio::io::duplex(64);
    let mut wire = frame(b"ab");
    wire.extend([5, b'x']);
    theirs.write_all(&wire).await.unwrap();
    theirs.shutdown().await.unwrap();
    let mut conn = Connection::new(ours, Tiny::new());
    assert_eq!(
        conn.next_event().await.unwrap().unwrap(),
        frame_event(b"ab")
    );
    match conn.next_event().await {
        Some(Err(Error::Machine(TinyError::Truncated(2)))) => {}
        other => panic!("expected the truncation error, got {other:?}"),
    }
    assert!(conn.next_event().await.is_none());
    assert!(conn.next_event().await.is_none());
    // The goodbye went out, then our side was shut down.
    let mut received = Vec::new();
    theirs.read_to_end(&mut received).await.unwrap();
    assert_eq!(received, GOODBYE);
}

#[tokio::test]
async fn clean_eof_returns_the_last_events_then_ends() {
    let mut wire = frame(b"one");
    wire.extend(frame(b"two"));
    let reads = vec![Step::Data(wire), Step::Eof];
    let conn = Connection::new(Script::new(reads), Tiny::new());
    let events: Vec<_> = conn.map(Result::unwrap).collect().await;
    assert_eq!(events, [frame_event(b"one"), frame_event(b"two")]);
}

#[tokio::test]
async fn close_flushes_every_transmit_then_shuts_down() {
    // A four-byte pipe: the goodbye only fits once the peer has read.
    let (ours, mut theirs) = tokio::io::duplex(4);
    let mut conn = Connection::new(ours, Tiny::new());
    let machine = conn.machine_mut();
    machine
        .handle_command(TinyCommand::Send(Bytes::from_static(b"last words")), now())
        .unwrap();
    machine.handle_command(TinyCommand::Close, now()).unwrap();
    let mut received = Vec::new();
    // The peer reads to our EOF, then closes: the driver lingers until then.
    let peer = async {
        let read = theirs.read_to_end(&mut received).await;
        drop(theirs);
        read
    };
    let (end, read) = tokio::join!(conn.next_event(), peer);
    assert!(end.is_none());
    read.unwrap();
    let mut expected = frame(b"last words");
    expected.extend(GOODBYE);
    assert_eq!(received, expected);
    assert!(conn.is_finished());
}

#[tokio::test]
async fn rejected_command_is_a_machine_error_and_keeps_the_connection() {
    let mut conn = Connection::new(Script::new(vec![]), Tiny::new());
    let too_long = Bytes::from(vec![0; 300]);
    assert!(matches!(
        conn.send(TinyCommand::Send(too_long)).await,
        Err(Error::Machine(TinyError::TooLong))
    ));
    conn.send(TinyCommand::Send(Bytes::from_static(b"ok")))
        .await
        .unwrap();
    assert_eq!(conn.transport().0.written, frame(b"ok"));
    assert!(!conn.is_finished());
}

#[tokio::test]
async fn io_error_is_reported_once_then_the_stream_ends() {
    let reads = vec![Step::Fail(io::ErrorKind::ConnectionReset)];
    let mut conn = Connection::new(Script::new(reads), Tiny::new());
    match conn.next_event().await {
        Some(Err(Error::Io(e))) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("expected an io error, got {other:?}"),
    }
    assert!(conn.next_event().await.is_none());
    assert_eq!(conn.transport().0.reads_done, 1);
}

#[tokio::test]
async fn stream_and_sink_echo_over_a_pipe() {
    let (client_io, server_io) = tokio::io::duplex(1024);
    let server = tokio::spawn(async move {
        let mut conn = Connection::new(server_io, Tiny::new());
        let mut count = 0;
        while let Some(event) = conn.next().await {
            let TinyEvent::Frame(payload) = event.unwrap() else {
                panic!("no timer was set")
            };
            conn.send(TinyCommand::Send(payload)).await.unwrap();
            count += 1;
        }
        count
    });
    let mut client = Connection::new(client_io, Tiny::new());
    for payload in [&b""[..], b"x", &[9; 255]] {
        SinkExt::send(
            &mut client,
            TinyCommand::Send(Bytes::copy_from_slice(payload)),
        )
        .await
        .unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), frame_event(payload));
    }
    SinkExt::close(&mut client).await.unwrap();
    assert!(client.next().await.is_none());
    assert_eq!(server.await.unwrap(), 3);
}

/// Records whether it was woken.
struct Flag(std::sync::atomic::AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_command_wakes_the_waiting_event_side() {
    // The machine waits for the application: not reading, no deadline.
    let reads = stalling_reads();
    let mut conn = Connection::new(Script::new(reads), Tiny::with_high_water(2));
    let flag = std::sync::Arc::new(Flag(false.into()));
    let waker = std::task::Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);

    assert!(Pin::new(&mut conn).poll_next(&mut cx).is_pending());
    assert!(!flag.0.load(std::sync::atomic::Ordering::SeqCst));
    // A command through the Sink (as from another task after `split`).
    Pin::new(&mut conn).start_send(TinyCommand::Resume).unwrap();
    assert!(
        flag.0.load(std::sync::atomic::Ordering::SeqCst),
        "not woken"
    );
    match Pin::new(&mut conn).poll_next(&mut cx) {
        Poll::Ready(Some(Ok(event))) => {
            assert_eq!(event, frame_event(&[1, 2, 3, 4, 5, 6, 7, 8, 9]))
        }
        other => panic!("expected the frame, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_fatal_error_is_not_held_back_by_a_peer_that_does_not_read() {
    let (ours, mut theirs) = tokio::io::duplex(4);
    // A drain timeout longer than the wait below: the goodbye is kept.
    let mut conn = Connection::new(ours, Tiny::new()).with_drain_timeout(Duration::from_secs(600));
    conn.machine_mut()
        .handle_command(TinyCommand::Send(Bytes::from(vec![7; 100])), now())
        .unwrap();
    theirs.write_all(&[5, b'x']).await.unwrap();
    theirs.shutdown().await.unwrap();

    // The peer reads nothing, yet the error arrives.
    let first = tokio::time::timeout(Duration::from_secs(60), conn.next_event()).await;
    match first.expect("the error was held back") {
        Some(Err(Error::Machine(TinyError::Truncated(2)))) => {}
        other => panic!("expected the truncation error, got {other:?}"),
    }
    // The queued bytes still go out once the peer reads; then the end.
    assert!(stays_pending(&mut conn).await);
    let mut received = Vec::new();
    let (end, read) = tokio::join!(conn.next_event(), theirs.read_to_end(&mut received));
    assert!(end.is_none());
    read.unwrap();
    let mut expected = frame(&[7; 100]);
    expected.extend(GOODBYE);
    assert_eq!(received, expected);
}

proptest::proptest! {
    /// However the peer's bytes are cut into reads, however little each write
    /// takes and whether writes stall first, an echo through the driver
    /// returns the same frames and writes exactly the same bytes.
    #[test]
    fn echo_does_not_depend_on_read_or_write_sizes(echo in arb_echo(), stutter in proptest::bool::ANY) {
        use wirestate_length::{LengthCommand, LengthEvent, LengthConnection};
        let mut script = Script(echo.transport());
        script.0.stutter = stutter;
        let machine = LengthConnection::new(LengthConfig::erlang(2));
        let mut conn = Connection::new(script, machine).with_read_size(echo.read_size);
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let frames = runtime.block_on(async {
            let mut frames = Vec::new();
            while let Some(event) = conn.next_event().await {
                let LengthEvent::Frame(payload) = event.unwrap() else { panic!("no limit set") };
                frames.push(payload.to_vec());
                conn.send(LengthCommand::Send(payload)).await.unwrap();
            }
            frames
        });
        proptest::prop_assert_eq!(&frames, &echo.payloads);
        proptest::prop_assert_eq!(&conn.transport().0.written, &echo.wire());
        proptest::prop_assert!(conn.transport().0.shut_down);
    }
}

#[tokio::test(start_paused = true)]
async fn bytes_queued_without_an_event_go_out_before_waiting_for_input() {
    // The machine answers a ping inside poll_event and yields no event: the
    // answer must reach the peer while the driver waits for more input.
    let (ours, mut theirs) = tokio::io::duplex(1024);
    let machine = Tiny::answering_pings();
    let driver = tokio::spawn(async move {
        let mut conn = Connection::new(ours, machine);
        conn.next_event().await.unwrap().unwrap()
    });
    theirs.write_all(&frame(b"")).await.unwrap();
    let mut answer = [0; 1];
    tokio::time::timeout(Duration::from_secs(60), theirs.read_exact(&mut answer))
        .await
        .expect("the pong arrives while the driver waits")
        .unwrap();
    assert_eq!(&answer, PONG);
    theirs.write_all(&frame(b"after")).await.unwrap();
    assert_eq!(driver.await.unwrap(), frame_event(b"after"));
}

#[tokio::test(start_paused = true)]
async fn answers_to_events_from_one_read_leave_in_one_write() {
    let payloads: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10]).collect();
    let wire: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
    let mut conn = Connection::new(Script::new(vec![Step::Data(wire)]), Tiny::new());
    for payload in &payloads {
        assert_eq!(
            conn.next_event().await.unwrap().unwrap(),
            frame_event(payload)
        );
        let answer = TinyCommand::Send(Bytes::copy_from_slice(payload));
        conn.machine_mut().handle_command(answer, now()).unwrap();
        assert_eq!(
            conn.transport().0.write_calls,
            0,
            "held while events remain"
        );
    }
    assert!(stays_pending(&mut conn).await);
    let expected: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
    assert_eq!(conn.transport().0.written, expected);
    assert_eq!(conn.transport().0.write_calls, 1);
}

#[tokio::test(start_paused = true)]
async fn answers_past_the_high_water_mark_are_written_before_the_next_event() {
    let wire: Vec<u8> = (0..3u8).flat_map(|i| frame(&[i; 10])).collect();
    let mut conn =
        Connection::new(Script::new(vec![Step::Data(wire)]), Tiny::new()).with_write_high_water(8);
    conn.next_event().await.unwrap().unwrap();
    let answer = TinyCommand::Send(Bytes::from_static(&[9; 20]));
    conn.machine_mut().handle_command(answer, now()).unwrap();
    conn.next_event().await.unwrap().unwrap();
    assert_eq!(conn.transport().0.written, frame(&[9; 20]));
}

#[tokio::test(start_paused = true)]
async fn after_closing_our_side_input_is_read_and_dropped_until_the_peers_eof() {
    // Closing with unread input would make the kernel reset the connection,
    // which can destroy what the peer has not read yet.
    let reads = vec![
        Step::Data(b"late".to_vec()),
        Step::Data(b"acks".to_vec()),
        Step::Eof,
    ];
    let mut conn = Connection::new(Script::new(reads), Tiny::new());
    conn.machine_mut()
        .handle_command(TinyCommand::Close, now())
        .unwrap();
    let started = tokio::time::Instant::now();
    assert!(conn.next_event().await.is_none());
    assert!(conn.transport().0.shut_down);
    assert_eq!(conn.transport().0.reads_done, 3, "read up to the EOF");
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_never_closes_is_left_at_the_drain_deadline() {
    let mut conn = Connection::new(Script::new(vec![]), Tiny::new())
        .with_drain_timeout(Duration::from_secs(3));
    conn.machine_mut()
        .handle_command(TinyCommand::Close, now())
        .unwrap();
    let started = tokio::time::Instant::now();
    assert!(conn.next_event().await.is_none());
    assert!(conn.is_finished());
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_batch_takes_events_in_place_and_its_answers_leave_in_one_write() {
    // `next_event_with` hands the machine to the batch before each poll:
    // here the batch takes every event itself and answers each one.
    let payloads: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10]).collect();
    let wire: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
    let script = Script::new(vec![Step::Data(wire.clone()), Step::Eof]);
    let mut conn = Connection::new(script, Tiny::new());
    let mut seen = Vec::new();
    let end = conn
        .next_event_with(|tiny| {
            while let Some(event) = tiny.poll_event() {
                let TinyEvent::Frame(payload) = event.unwrap() else {
                    panic!("only frames were sent");
                };
                seen.push(payload.to_vec());
                tiny.handle_command(TinyCommand::Send(payload), now())
                    .unwrap();
            }
        })
        .await;
    assert!(end.is_none(), "every event went to the batch: {end:?}");
    assert_eq!(seen, payloads);
    assert_eq!(conn.transport().0.written, wire);
    assert_eq!(conn.transport().0.write_calls, 1);
}
