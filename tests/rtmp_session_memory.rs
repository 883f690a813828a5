//! Heap retained by an idle ServerSession after `connect` was accepted,
//! counted with a global allocator, next to a bare RtmpConnection after the
//! same exchange. (rml_rtmp's ServerSession keeps about 4.2 KiB in 27
//! allocations at the same point.) Run with `--nocapture` for the figures.
#![cfg(feature = "rtmp")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use wirestate::rtmp::session::{
    ClientConfig, ClientSession, ServerConfig, ServerEvent, ServerSession,
};
use wirestate_core::{Machine, SeededRandom};

/// Counts live heap bytes and blocks.
struct Counting;

static BYTES: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size() as isize, Ordering::SeqCst);
        BLOCKS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        BLOCKS.fetch_sub(1, Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> (isize, isize) {
    (BYTES.load(Ordering::SeqCst), BLOCKS.load(Ordering::SeqCst))
}

/// Live heap bytes and blocks of a bare RtmpConnection server after the
/// same exchange (what the session builds on).
fn bare_connection() -> (isize, isize) {
    use wirestate::rtmp::{Event, RtmpConnection};
    let now = Instant::now();
    let before = live();
    let mut server = RtmpConnection::server(SeededRandom::new(1));
    {
        let config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
        let mut client = ClientSession::new(config, SeededRandom::new(2), now);
        for _ in 0..10 {
            while let Some(bytes) = client.poll_transmit() {
                server.handle_input(&bytes, now);
            }
            while let Some(event) = server.poll_event() {
                assert!(!matches!(event, Ok(Event::InvalidMessage { .. })));
            }
            while server.poll_transmit().is_some() {}
        }
    }
    let (bytes, blocks) = live();
    drop(server);
    (bytes - before.0, blocks - before.1)
}

#[test]
fn an_idle_server_session_after_connect_keeps_little_heap() {
    // One test, so no other test allocates while this one counts.
    let (bare_bytes, bare_blocks) = bare_connection();
    println!(
        "bare RtmpConnection server after connect: {bare_bytes} bytes in {bare_blocks} allocations"
    );
    let now = Instant::now();
    let before = live();
    let mut server = Box::new(ServerSession::new(
        ServerConfig::default(),
        SeededRandom::new(1),
        now,
    ));
    {
        let config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
        let mut client = ClientSession::new(config, SeededRandom::new(2), now);
        let mut connected = false;
        for _ in 0..10 {
            while let Some(bytes) = client.poll_transmit() {
                server.handle_input(&bytes, now);
            }
            while let Some(event) = server.poll_event() {
                if let ServerEvent::ConnectRequested(c) = event.unwrap() {
                    server.accept_connect(c.request).unwrap();
                    connected = true;
                }
            }
            while let Some(bytes) = server.poll_transmit() {
                client.handle_input(&bytes, now);
            }
            while client.poll_event().is_some() {}
        }
        assert!(connected);
        assert_eq!(server.app(), "live");
    }
    let (bytes, blocks) = live();
    let (bytes, blocks) = (bytes - before.0, blocks - before.1);
    println!("idle ServerSession after connect: {bytes} bytes in {blocks} allocations");
    // What the session adds to its connection: its own struct (boxed here),
    // the application name, and what sending the connect answer leaves in
    // the connection (the encoder's per-chunk-stream headers, the transmit
    // queue's capacity).
    let (own_bytes, own_blocks) = (bytes - bare_bytes, blocks - bare_blocks);
    println!("of which the session itself: {own_bytes} bytes in {own_blocks} allocations");
    assert!(own_bytes <= 2048, "{own_bytes} bytes");
    assert!(own_blocks <= 4, "{own_blocks} allocations");
    drop(server);
}
