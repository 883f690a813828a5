//! Heap held by an idle connection after the handshake, measured with a
//! counting global allocator that counts only the test's own thread (the
//! harness may allocate on other threads meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::{ClientRequest, Config, Event, WsClient, WsServer};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// Whether this thread's allocations are counted.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        }
        // SAFETY: forwarding the caller's valid layout to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        }
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn pump(from: &mut impl Machine, to: &mut impl Machine, now: Instant) {
    while let Some(bytes) = from.poll_transmit() {
        to.handle_input(&bytes, now);
    }
}

#[test]
fn idle_connections_hold_no_input_or_output_buffer() {
    let now = Instant::now();
    // Warm up anything lazily allocated by the runtime first.
    let _ = format!("{now:?}");

    COUNTED.with(|c| c.set(true));
    let before = LIVE.load(Ordering::SeqCst);
    let mut server = Box::new(WsServer::auto_accept(Config::default()));
    let mut client = Box::new(
        WsClient::new(
            ClientRequest::new("h", "/"),
            Config::default(),
            SeededRandom::new(1),
        )
        .unwrap(),
    );
    let machines = LIVE.load(Ordering::SeqCst) - before;

    // Handshake, then a message each way, everything drained.
    pump(&mut *client, &mut *server, now);
    while let Some(e) = server.poll_event() {
        e.unwrap();
    }
    pump(&mut *server, &mut *client, now);
    while let Some(e) = client.poll_event() {
        e.unwrap();
    }
    client.send_binary(vec![1u8; 100_000]).unwrap();
    pump(&mut *client, &mut *server, now);
    let got = server.poll_event();
    assert!(matches!(got, Some(Ok(Event::Message(ref m))) if m.payload().len() == 100_000));
    drop(got);
    server.send_text("reply").unwrap();
    pump(&mut *server, &mut *client, now);
    assert!(matches!(client.poll_event(), Some(Ok(Event::Message(_)))));
    assert!(server.poll_event().is_none() && client.poll_event().is_none());

    let idle = LIVE.load(Ordering::SeqCst) - before;
    COUNTED.with(|c| c.set(false));
    let server_heap = std::mem::size_of::<WsServer>();
    let client_heap = std::mem::size_of::<WsClient>();
    println!(
        "idle: WsServer {server_heap} B inline, WsClient {client_heap} B inline, \
         {idle} B heap for both (boxes + client random source), {machines} B at creation"
    );
    // Both boxes plus the client's boxed random source (SeededRandom, 32 B):
    // no input buffer, no transmit queue, no reassembly buffer survives.
    let boxes = (server_heap + client_heap) as isize;
    assert_eq!(idle, boxes + 32, "heap beyond the two boxes and the rng");
    // Far below tungstenite's default 128 KiB read buffer.
    assert!(idle < 4096);
}
