//! Heap retained by an idle ServerSession after `connect` was accepted,
//! counted with a global allocator (rml_rtmp's ServerSession keeps about
//! 4.2 KiB in 27 allocations at the same point). The bound is issue 14's:
//! at most 1 KiB beyond the session's own struct. Run with `--nocapture`
//! for the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

use wirestate_core::{Machine, SeededRandom};
use wirestate_rtmp::session::{
    ClientConfig, ClientSession, ServerConfig, ServerEvent, ServerSession,
};

/// Counts live heap bytes and blocks allocated by the thread that turned
/// counting on: the test harness allocates on its own threads meanwhile
/// (under load, it did so while this test counted).
struct Counting;

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
    static BYTES: Cell<isize> = const { Cell::new(0) };
    static BLOCKS: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize, blocks: isize) {
    if COUNTED.try_with(Cell::get).unwrap_or(false) {
        let _ = BYTES.try_with(|b| b.set(b.get() + bytes));
        let _ = BLOCKS.try_with(|b| b.set(b.get() + blocks));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize, 1);
        // SAFETY: forwarding the caller's valid layout to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize), -1);
        // SAFETY: `ptr` was allocated by this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize, 0);
        // SAFETY: forwarding the caller's valid pointer and layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> (isize, isize) {
    (BYTES.with(Cell::get), BLOCKS.with(Cell::get))
}

#[test]
fn an_idle_server_session_after_connect_keeps_little_heap() {
    let now = Instant::now();
    // Warm up anything lazily allocated by the runtime first.
    let _ = format!("{now:?}");
    COUNTED.with(|c| c.set(true));
    let before = live();
    let config = ServerConfig {
        auto_accept: true,
        ..ServerConfig::default()
    };
    let mut server = Box::new(ServerSession::new(config, SeededRandom::new(1), now));
    {
        let config = ClientConfig::new("live", "rtmp://127.0.0.1/live");
        let mut client = ClientSession::new(config, SeededRandom::new(2), now);
        let mut connected = false;
        for _ in 0..10 {
            while let Some(bytes) = client.poll_transmit() {
                server.handle_input(&bytes, now);
            }
            while let Some(event) = server.poll_event() {
                // Accepted by the session itself (auto-accept).
                if let ServerEvent::ConnectRequested(_) = event.unwrap() {
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
    // The session's struct is boxed here: count what it holds beyond it.
    let inline = std::mem::size_of::<ServerSession>() as isize;
    let (bytes, blocks) = (bytes - before.0 - inline, blocks - before.1 - 1);
    println!(
        "idle ServerSession after connect: {bytes} bytes in {blocks} allocations \
         (plus its {inline}-byte struct)"
    );
    // Was 2,468 bytes in 8 allocations: the encoder's table of 64 chunk
    // streams and queue capacity kept after the handshake's bytes went out.
    assert!(bytes <= 1024, "{bytes} bytes");
    assert!(blocks <= 8, "{blocks} allocations");
    drop(server);
}
