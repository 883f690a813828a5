//! The driver's bounded waits: the machine's deadlines during flushes and
//! after EOF, the drain deadline, graceful shutdown and the memory budget.
//! Time is tokio's paused clock: no test sleeps.

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wirestate_core::testing::tiny::{frame, Tiny, TinyCommand, TinyError, GOODBYE};
use wirestate_core::{IdleError, IdleTimeout};
use wirestate_length::{LengthCommand, LengthConfig, LengthConnection};
use wirestate_tokio::{now, Connection, Error, Machine, MemoryBudget};

const IDLE: Duration = Duration::from_secs(120);
const SEND: Duration = Duration::from_secs(30);

/// Queues `count` frames of 200 bytes on a tiny machine (its frames are short).
fn queue_frames(machine: &mut Tiny, count: usize) {
    for _ in 0..count {
        machine
            .handle_command(TinyCommand::Send(Bytes::from(vec![7; 200])), now())
            .unwrap();
    }
}

fn guarded<M: Machine>(machine: M) -> IdleTimeout<M> {
    IdleTimeout::new(machine, IDLE, now()).with_send_timeout(Some(SEND))
}

#[tokio::test(start_paused = true)]
async fn a_flush_to_a_peer_that_never_reads_ends_at_the_send_timeout() {
    let (ours, _theirs) = tokio::io::duplex(1024);
    let mut conn = Connection::new(
        ours,
        guarded(LengthConnection::new(LengthConfig::erlang(4))),
    );
    let started = tokio::time::Instant::now();
    let big = Bytes::from(vec![1; 64 << 10]);
    let sent = conn.send(LengthCommand::Send(big)).await;
    let error = sent.expect_err("the peer never reads");
    assert_eq!(
        error.as_io().map(|e| e.kind()),
        Some(std::io::ErrorKind::TimedOut)
    );
    assert_eq!(started.elapsed(), SEND);
    // The machine says why, then the stream ends within the drain timeout.
    match conn.next_event().await {
        Some(Err(Error::Machine(IdleError::SendStalled(limit)))) => assert_eq!(limit, SEND),
        other => panic!("expected the send stall, got {other:?}"),
    }
    assert!(conn.next_event().await.is_none());
    assert!(started.elapsed() <= SEND + wirestate_tokio::DEFAULT_DRAIN_TIMEOUT);
}

#[tokio::test(start_paused = true)]
async fn after_eof_a_peer_that_never_reads_is_released_at_the_send_timeout() {
    let (ours, mut theirs) = tokio::io::duplex(1024);
    let mut conn = Connection::new(ours, guarded(Tiny::new()));
    queue_frames(conn.machine_mut().inner_mut(), 40);
    // The peer half-closes and never reads.
    theirs.shutdown().await.unwrap();
    let started = tokio::time::Instant::now();
    let end = tokio::time::timeout(Duration::from_secs(3600), async {
        let mut errors = Vec::new();
        while let Some(item) = conn.next_event().await {
            errors.extend(item.err());
        }
        errors
    })
    .await
    .expect("released");
    assert!(
        matches!(end.first(), Some(Error::Machine(IdleError::SendStalled(_)))),
        "{end:?}"
    );
    assert!(started.elapsed() >= SEND);
    assert!(started.elapsed() <= SEND + wirestate_tokio::DEFAULT_DRAIN_TIMEOUT);
}

#[tokio::test(start_paused = true)]
async fn a_goodbye_the_peer_never_takes_is_given_up_at_the_drain_deadline() {
    let (ours, mut theirs) = tokio::io::duplex(4);
    let drain = Duration::from_secs(7);
    let mut conn = Connection::new(ours, Tiny::new()).with_drain_timeout(drain);
    conn.machine_mut()
        .handle_command(TinyCommand::Send(Bytes::from(vec![7; 100])), now())
        .unwrap();
    theirs.write_all(&[5, b'x']).await.unwrap();
    theirs.shutdown().await.unwrap();
    let started = tokio::time::Instant::now();
    assert!(matches!(
        conn.next_event().await,
        Some(Err(Error::Machine(TinyError::Truncated(2))))
    ));
    // The error was reported: running out of drain time ends the stream.
    assert!(conn.next_event().await.is_none());
    assert_eq!(started.elapsed(), drain);
    assert!(conn.is_finished());
}

#[tokio::test(start_paused = true)]
async fn shutdown_flushes_and_shuts_the_write_side() {
    let (ours, mut theirs) = tokio::io::duplex(1024);
    let mut conn = Connection::new(ours, Tiny::new());
    conn.machine_mut()
        .handle_command(TinyCommand::Send(Bytes::from_static(b"bye")), now())
        .unwrap();
    conn.shutdown(Duration::from_secs(5)).await.unwrap();
    assert!(conn.is_finished());
    let mut received = Vec::new();
    theirs.read_to_end(&mut received).await.unwrap();
    assert_eq!(received, frame(b"bye"));
    assert!(conn.next_event().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn shutdown_to_a_peer_that_never_reads_takes_the_drain_timeout() {
    let (ours, _theirs) = tokio::io::duplex(16);
    let mut conn = Connection::new(ours, Tiny::new());
    queue_frames(conn.machine_mut(), 5);
    let started = tokio::time::Instant::now();
    let drain = Duration::from_secs(5);
    let result = conn.shutdown(drain).await;
    let error = result.expect_err("the peer took nothing");
    assert_eq!(
        error.as_io().map(|e| e.kind()),
        Some(std::io::ErrorKind::TimedOut)
    );
    assert_eq!(started.elapsed(), drain);
    assert!(conn.is_finished());
}

#[tokio::test(start_paused = true)]
async fn a_machine_failure_still_writes_its_goodbye() {
    let (ours, mut theirs) = tokio::io::duplex(1024);
    let mut conn = Connection::new(ours, Tiny::new());
    theirs.write_all(&[5, b'x']).await.unwrap();
    theirs.shutdown().await.unwrap();
    assert!(matches!(
        conn.next_event().await,
        Some(Err(Error::Machine(_)))
    ));
    let mut received = Vec::new();
    theirs.read_to_end(&mut received).await.unwrap();
    assert_eq!(received, GOODBYE);
}

#[tokio::test(start_paused = true)]
async fn a_spent_budget_stops_reading_until_bytes_come_back() {
    let budget = MemoryBudget::new(8 << 10);
    // The first connection holds a large unsent output: the budget is spent.
    let (hog_end, _hog_peer) = tokio::io::duplex(16);
    let mut hog = Connection::new(hog_end, Tiny::new())
        .with_memory_budget(budget.clone())
        .with_drain_timeout(Duration::from_secs(1));
    queue_frames(hog.machine_mut(), 80);
    let flushed = tokio::time::timeout(Duration::from_secs(1), hog.flush()).await;
    assert!(flushed.is_err(), "the hog's peer reads nothing");
    assert!(budget.is_spent(), "used {}", budget.used());

    // The second connection's input waits while the budget is spent.
    let (ours, mut theirs) = tokio::io::duplex(1024);
    let mut conn = Connection::new(ours, Tiny::new()).with_memory_budget(budget.clone());
    theirs.write_all(&frame(b"hi")).await.unwrap();
    let early = tokio::time::timeout(Duration::from_secs(60), conn.next_event()).await;
    assert!(early.is_err(), "read while the budget was spent");

    // The hog goes away: its bytes come back, the second connection reads.
    drop(hog);
    assert!(!budget.is_spent());
    let event = tokio::time::timeout(Duration::from_secs(60), conn.next_event())
        .await
        .expect("woken when bytes came back");
    assert!(matches!(event, Some(Ok(_))), "{event:?}");
}
