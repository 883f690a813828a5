//! The connection's span as a subscriber sees it: the driver's EOF line and a
//! user's line inside the connection both carry its id and peer address.

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use wirestate_blocking::Connection;
use wirestate_length::{LengthConfig, LengthConnection, LengthEvent};

/// A subscriber's output, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[test]
fn the_span_carries_the_id_and_peer_of_every_line_logged_in_the_connection() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let (id, other_id, peer) = tracing::subscriber::with_default(subscriber, || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, peer) = listener.accept().unwrap();
        let mut conn =
            Connection::new(stream, LengthConnection::new(LengthConfig::erlang(2))).with_peer(peer);
        let (other_io, _) = std::os::unix::net::UnixStream::pair().unwrap();
        let other = Connection::new(other_io, LengthConnection::new(LengthConfig::erlang(2)));

        client.write_all(b"\x00\x02hi").unwrap();
        let event = conn.next_event().unwrap().unwrap();
        assert_eq!(event, LengthEvent::Frame("hi".into()));
        conn.span()
            .in_scope(|| tracing::info!("user line for the frame"));
        client.shutdown(Shutdown::Write).unwrap();
        assert!(conn.next_event().is_none(), "the connection ends after EOF");
        tracing::info!("user line outside the connection");
        (conn.id(), other.id(), peer)
    });

    assert_ne!(id, other_id, "every connection has its own id");
    let lines = captured.lines();
    let prefix = format!("connection{{id={id} peer={peer}}}");
    let find = |text: &str| {
        lines
            .iter()
            .find(|line| line.contains(text))
            .unwrap_or_else(|| panic!("no line with {text:?} in {lines:#?}"))
    };
    let eof = find("the peer closed its side (EOF)");
    assert!(eof.contains("DEBUG"), "{eof}");
    assert!(eof.contains(&prefix), "{eof} lacks {prefix}");
    let user = find("user line for the frame");
    assert!(user.contains(&prefix), "{user} lacks {prefix}");
    let outside = find("user line outside the connection");
    assert!(!outside.contains("connection{"), "{outside}");
}
