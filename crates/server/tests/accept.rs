//! The shared accept loop on real sockets: connection limits, the memory
//! budget, slots coming back, and a shutdown that drains.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use wirestate_server::{serve_connections, Admission, ServerLimits, Shutdown, ShutdownTrigger};
use wirestate_tokio::MemoryBudget;

const BOUND: Duration = Duration::from_secs(10);

type Server = tokio::task::JoinHandle<std::io::Result<()>>;

/// Starts a server whose admitted connections wait for the shutdown
/// signal, then write "bye"; refused ones get "full". Reports each
/// admission (true) or refusal (false).
async fn start(
    limits: ServerLimits,
    budget: MemoryBudget,
) -> (
    std::net::SocketAddr,
    ShutdownTrigger,
    Server,
    mpsc::UnboundedReceiver<bool>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (trigger, shutdown) = Shutdown::new();
    let (admitted_tx, admitted_rx) = mpsc::unbounded_channel();
    let signal = shutdown.clone();
    let server = tokio::spawn(async move {
        serve_connections(
            listener,
            &limits,
            &budget,
            shutdown,
            move |mut stream, _, admission| {
                let mut signal = signal.clone();
                let admitted_tx = admitted_tx.clone();
                async move {
                    match admission {
                        Admission::Admitted(_slot) => {
                            let _ = admitted_tx.send(true);
                            signal.triggered().await;
                            let _ = stream.write_all(b"bye").await;
                        }
                        Admission::Refused => {
                            let _ = admitted_tx.send(false);
                            let _ = stream.write_all(b"full").await;
                        }
                    }
                }
            },
        )
        .await
    });
    (addr, trigger, server, admitted_rx)
}

async fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    tokio::time::timeout(BOUND, stream.read_to_end(&mut received))
        .await
        .expect("the server answered in time")
        .unwrap();
    received
}

#[tokio::test]
async fn past_max_connections_new_ones_are_refused_and_shutdown_drains() {
    let limits = ServerLimits {
        max_connections: 2,
        ..ServerLimits::default()
    };
    let (addr, trigger, server, mut admitted) = start(limits, MemoryBudget::new(1 << 20)).await;
    let mut first = TcpStream::connect(addr).await.unwrap();
    assert_eq!(admitted.recv().await, Some(true));
    let mut second = TcpStream::connect(addr).await.unwrap();
    assert_eq!(admitted.recv().await, Some(true));
    let mut third = TcpStream::connect(addr).await.unwrap();
    assert_eq!(admitted.recv().await, Some(false));
    assert_eq!(read_all(&mut third).await, b"full");

    trigger.trigger();
    assert_eq!(read_all(&mut first).await, b"bye");
    assert_eq!(read_all(&mut second).await, b"bye");
    tokio::time::timeout(BOUND, server)
        .await
        .expect("the server drained")
        .unwrap()
        .unwrap();
    // The listener closed with the shutdown.
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_spent_memory_budget_refuses_new_connections() {
    let budget = MemoryBudget::new(0);
    let (addr, trigger, _server, mut admitted) = start(ServerLimits::default(), budget).await;
    let mut refused = TcpStream::connect(addr).await.unwrap();
    assert_eq!(admitted.recv().await, Some(false));
    assert_eq!(read_all(&mut refused).await, b"full");
    trigger.trigger();
}

#[tokio::test]
async fn a_slot_comes_back_when_its_connection_ends() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = ServerLimits {
        max_connections: 1,
        ..ServerLimits::default()
    };
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let (_trigger, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        let budget = MemoryBudget::new(1 << 20);
        serve_connections(
            listener,
            &limits,
            &budget,
            shutdown,
            move |mut stream, _, admission| {
                let count = count.clone();
                async move {
                    if let Admission::Admitted(_slot) = admission {
                        count.fetch_add(1, Ordering::SeqCst);
                        let _ = stream.write_all(b"ok").await;
                    }
                }
            },
        )
        .await
    });
    // One after the other, each gets the one slot once the last one ended.
    for _ in 0..3 {
        let mut client = TcpStream::connect(addr).await.unwrap();
        assert_eq!(read_all(&mut client).await, b"ok");
    }
    assert_eq!(served.load(Ordering::SeqCst), 3);
}
