//! Heap held by an idle connection after the handshake, measured with a
//! counting global allocator that counts only the test's own thread (the
//! harness may allocate on other threads meanwhile, and each test runs on a
//! thread of its own).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

use wirestate_core::{Machine, SeededRandom};
use wirestate_websocket::{ClientRequest, DeflateConfig, WsConfig, WsConnection, WsEvent};

struct Counting;

thread_local! {
    /// Whether this thread's allocations are counted.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
    /// This thread's counted live bytes (tests run on threads of their own).
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

fn add_live(delta: isize) {
    let _ = LIVE.try_with(|l| l.set(l.get() + delta));
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            add_live(layout.size() as isize);
        }
        // SAFETY: forwarding the caller's valid layout to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            add_live(-(layout.size() as isize));
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

/// A boxed client with `config`, asking for `/` on host `h`.
fn boxed_client(config: WsConfig) -> Box<WsConnection> {
    Box::new(
        WsConnection::client(ClientRequest::new("h", "/"), config, SeededRandom::new(1)).unwrap(),
    )
}

/// The opening handshake between the two, every event taken.
fn handshake(client: &mut WsConnection, server: &mut WsConnection, now: Instant) {
    pump(client, server, now);
    while let Some(e) = server.poll_event() {
        e.unwrap();
    }
    pump(server, client, now);
    while let Some(e) = client.poll_event() {
        e.unwrap();
    }
}

fn with_deflate(deflate: DeflateConfig) -> WsConfig {
    WsConfig {
        deflate: Some(deflate),
        ..WsConfig::default()
    }
}

#[test]
fn idle_connections_hold_no_input_or_output_buffer() {
    let now = Instant::now();
    // Warm up anything lazily allocated by the runtime first.
    let _ = format!("{now:?}");

    COUNTED.with(|c| c.set(true));
    let before = live();
    let mut server = Box::new(WsConnection::server_auto_accept(WsConfig::default()));
    let mut client = boxed_client(WsConfig::default());
    let machines = live() - before;

    // Handshake, then a message each way, everything drained.
    handshake(&mut client, &mut server, now);
    client.send_binary(vec![1u8; 100_000]).unwrap();
    pump(&mut *client, &mut *server, now);
    let got = server.poll_event();
    assert!(matches!(got, Some(Ok(WsEvent::Message(ref m))) if m.payload().len() == 100_000));
    drop(got);
    server.send_text("reply").unwrap();
    pump(&mut *server, &mut *client, now);
    assert!(matches!(client.poll_event(), Some(Ok(WsEvent::Message(_)))));
    assert!(server.poll_event().is_none() && client.poll_event().is_none());

    let idle = live() - before;
    COUNTED.with(|c| c.set(false));
    let server_heap = std::mem::size_of::<WsConnection>();
    let client_heap = std::mem::size_of::<WsConnection>();
    println!(
        "idle: server {server_heap} B inline, client {client_heap} B inline, \
         {idle} B heap for both (boxes + client random source), {machines} B at creation"
    );
    // Both boxes plus the client's boxed random source (SeededRandom, 32 B):
    // no input buffer, no transmit queue, no reassembly buffer survives.
    let boxes = (server_heap + client_heap) as isize;
    assert_eq!(idle, boxes + 32, "heap beyond the two boxes and the rng");
    // Far below tungstenite's default 128 KiB read buffer.
    assert!(idle < 4096);
}

/// Heap of one idle server and one idle client after a compressed message
/// each way, per side, for a deflate setting.
fn deflate_idle_heap(server_cfg: DeflateConfig, client_cfg: DeflateConfig) -> (isize, isize) {
    let now = Instant::now();
    let text = "{\"compressible\":true}".repeat(5000);
    COUNTED.with(|c| c.set(true));
    let base = live();
    let mut server = Box::new(WsConnection::server_auto_accept(with_deflate(server_cfg)));
    let server_start = live();
    let mut client = boxed_client(with_deflate(client_cfg));
    let client_start = live();
    handshake(&mut client, &mut server, now);
    assert!(server.deflate().is_some());
    let idle_before = live() - base;
    client.send_text(text.clone()).unwrap();
    pump(&mut *client, &mut *server, now);
    assert!(
        matches!(server.poll_event(), Some(Ok(WsEvent::Message(m))) if m.payload().len() == text.len())
    );
    server.send_text(text.clone()).unwrap();
    pump(&mut *server, &mut *client, now);
    assert!(
        matches!(client.poll_event(), Some(Ok(WsEvent::Message(m))) if m.payload().len() == text.len())
    );
    assert!(server.poll_event().is_none() && client.poll_event().is_none());

    // Measure each side by dropping the other.
    let total = live() - base;
    drop(client);
    let server_only = live() - base;
    drop(server);
    COUNTED.with(|c| c.set(false));
    println!(
        "  created: server {} B, client {} B; after handshake both {idle_before} B",
        server_start - base,
        client_start - server_start
    );
    (server_only, total - server_only)
}

#[test]
fn idle_heap_with_permessage_deflate() {
    let boxes = (
        std::mem::size_of::<WsConnection>(),
        std::mem::size_of::<WsConnection>(),
    );
    let takeover = DeflateConfig {
        server_no_context_takeover: false,
        ..DeflateConfig::server()
    };
    let none = DeflateConfig {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        ..DeflateConfig::server()
    };
    let cases = [
        (
            "server defaults (own context dropped, client's 12-bit kept)",
            DeflateConfig::server(),
        ),
        ("context takeover both ways, 12-bit windows", takeover),
        ("no context takeover either way", none),
    ];
    let mut measured = Vec::new();
    for (what, server_cfg) in cases {
        let (server, client) = deflate_idle_heap(server_cfg, DeflateConfig::client());
        println!(
            "{what}: idle server {server} B heap ({} B inline), client {client} B heap",
            boxes.0
        );
        measured.push((server - boxes.0 as isize, client - boxes.1 as isize - 32));
    }
    // No context takeover either way: nothing survives a message.
    assert_eq!(measured[2], (0, 0), "no-takeover idle heap");
    // Server defaults: only the inflate state for the client's 12-bit
    // window, within Python websockets' 64 KiB per compressed connection.
    assert!(
        measured[0].0 > 0 && measured[0].0 <= 64 << 10,
        "{:?}",
        measured[0]
    );
    // Takeover both ways: the deflate state too, the bulk of it zlib's
    // fixed-size hash tables and buffers (memory level 8).
    assert!(measured[1].0 > measured[0].0, "{measured:?}");
}

/// Once the close handshake is done, no zlib state is kept, even with
/// context takeover both ways.
#[test]
fn closed_deflate_connections_free_their_zlib_state() {
    let now = Instant::now();
    let takeover = DeflateConfig {
        server_no_context_takeover: false,
        ..DeflateConfig::server()
    };
    let text = "{\"compressible\":true}".repeat(500);
    COUNTED.with(|c| c.set(true));
    let base = live();
    let mut server = Box::new(WsConnection::server_auto_accept(with_deflate(takeover)));
    let mut client = boxed_client(with_deflate(DeflateConfig::client()));
    let created = live() - base;
    handshake(&mut client, &mut server, now);
    client.send_text(text.clone()).unwrap();
    pump(&mut *client, &mut *server, now);
    assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Message(_)))));
    server.send_text(text.clone()).unwrap();
    pump(&mut *server, &mut *client, now);
    assert!(matches!(client.poll_event(), Some(Ok(WsEvent::Message(_)))));
    assert!(
        live() - base > created + (100 << 10),
        "zlib state while open"
    );
    client.close(1000, "bye").unwrap();
    pump(&mut *client, &mut *server, now);
    assert!(matches!(server.poll_event(), Some(Ok(WsEvent::Close(_)))));
    pump(&mut *server, &mut *client, now);
    assert!(matches!(client.poll_event(), Some(Ok(WsEvent::Close(_)))));
    assert!(server.is_closed() && client.is_closed());
    let after = live() - base;
    COUNTED.with(|c| c.set(false));
    // Only the two boxes and the client's random source (32 B) remain.
    let boxes =
        (std::mem::size_of::<WsConnection>() + std::mem::size_of::<WsConnection>()) as isize;
    assert_eq!(after, boxes + 32, "heap after the close handshake");
}
