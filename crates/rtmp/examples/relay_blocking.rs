//! A live RTMP relay on the blocking driver, one thread per connection:
//! publishers are keyed by app and stream key, players of the same key get
//! the metadata and sequence headers first, then the stream from the next
//! keyframe. (`wirestate serve rtmp` is the same on tokio, plus recording.)
//!
//! ```text
//! cargo run -p wirestate-rtmp --example relay_blocking -- 127.0.0.1:1935
//! ffmpeg -re -i input.flv -c copy -f flv rtmp://127.0.0.1:1935/live/key
//! ffplay rtmp://127.0.0.1:1935/live/key
//! ```
//!
//! A player's thread waits in the driver for its socket, woken every
//! [`TICK`] by a timer to move relayed media from its channel into the
//! session. A player that falls [`BACKLOG`] messages behind is dropped.

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use wirestate_blocking::Connection;
use wirestate_core::{Machine, OsRandom};
use wirestate_rtmp::message::{DataMessage, Message};
use wirestate_rtmp::session::{
    is_keyframe, is_video_config, MediaEvent, SequenceHeaders, ServerConfig, ServerEvent,
    ServerSession, SessionError,
};

/// How often a player's thread looks for relayed media.
const TICK: Duration = Duration::from_millis(10);
/// Relayed messages a player may have waiting before it is dropped.
const BACKLOG: usize = 1024;

type Key = (String, String);

#[derive(Clone)]
enum Relay {
    Metadata(u32, DataMessage),
    Audio(u32, Bytes),
    Video(u32, Bytes, bool),
}

#[derive(Default)]
struct Channel {
    players: Vec<SyncSender<Relay>>,
    headers: SequenceHeaders,
    publishing: bool,
}

type Hub = Arc<Mutex<HashMap<Key, Channel>>>;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:1935".into());
    let listener = TcpListener::bind(&addr)?;
    println!("LISTENING {}", listener.local_addr()?.port());
    let hub = Hub::default();
    for stream in listener.incoming() {
        let stream = stream?;
        let hub = hub.clone();
        std::thread::spawn(move || {
            if let Err(e) = serve(stream, &hub) {
                eprintln!("connection ended: {e}");
            }
        });
    }
    Ok(())
}

/// A [`ServerSession`] that also wakes its driver every [`TICK`] with a
/// `None` event, so the thread can look at its channel.
struct Ticking {
    session: ServerSession,
    next_tick: Instant,
    ticked: bool,
}

impl Machine for Ticking {
    type Event = Option<ServerEvent>;
    type Command = std::convert::Infallible;
    type Error = SessionError;
    fn input_buffer(&mut self) -> &mut BytesMut {
        self.session.input_buffer()
    }
    fn handle_buffered_input(&mut self, now: Instant) {
        self.session.handle_buffered_input(now)
    }
    fn handle_eof(&mut self, now: Instant) {
        self.session.handle_eof(now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        if now >= self.next_tick {
            self.ticked = true;
            self.next_tick = now + TICK;
        }
        self.session.handle_timeout(now)
    }
    fn handle_command(&mut self, cmd: Self::Command, _now: Instant) -> Result<(), SessionError> {
        match cmd {}
    }
    fn poll_event(&mut self) -> Option<Result<Self::Event, SessionError>> {
        match self.session.poll_event() {
            Some(event) => Some(event.map(Some)),
            None if std::mem::take(&mut self.ticked) => Some(Ok(None)),
            None => None,
        }
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.session.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Some(match self.session.poll_timeout() {
            Some(deadline) => deadline.min(self.next_tick),
            None => self.next_tick,
        })
    }
    fn wants_read(&self) -> bool {
        self.session.wants_read()
    }
    fn is_closed(&self) -> bool {
        self.session.is_closed()
    }
}

enum Role {
    Idle,
    Publisher(Key),
    Player {
        stream_id: u32,
        feed: Receiver<Relay>,
        need_keyframe: bool,
    },
}

fn serve(stream: TcpStream, hub: &Hub) -> Result<(), Box<dyn std::error::Error>> {
    stream.set_nodelay(true)?;
    let now = Instant::now();
    let config = ServerConfig {
        idle_timeout: Some(Duration::from_secs(120)),
        ..ServerConfig::default()
    };
    let machine = Ticking {
        session: ServerSession::new(config, OsRandom, now),
        next_tick: now + TICK,
        ticked: false,
    };
    let mut conn = Connection::new(stream, machine);
    let mut role = Role::Idle;
    let result = run(&mut conn, &mut role, hub);
    if let Role::Publisher(key) = &role {
        hub.lock().unwrap().remove(key);
    }
    result
}

fn run(
    conn: &mut Connection<Ticking, TcpStream>,
    role: &mut Role,
    hub: &Hub,
) -> Result<(), Box<dyn std::error::Error>> {
    while let Some(event) = conn.next_event() {
        let session = &mut conn.machine_mut().session;
        let mut done = false;
        match event? {
            None => {
                if let Role::Player {
                    stream_id,
                    feed,
                    need_keyframe,
                } = role
                {
                    done = !forward(session, *stream_id, feed, need_keyframe)?;
                }
            }
            Some(ServerEvent::ConnectRequested(c)) => session.accept_connect(c.request)?,
            Some(ServerEvent::PublishRequested {
                request, app, name, ..
            }) => {
                let key = (app, name);
                let mut channels = hub.lock().unwrap();
                let channel = channels.entry(key.clone()).or_default();
                if channel.publishing || !matches!(role, Role::Idle) {
                    session.reject_publish(request, "NetStream.Publish.BadName", "taken")?;
                } else {
                    channel.publishing = true;
                    session.accept_publish(request)?;
                    *role = Role::Publisher(key);
                }
            }
            Some(ServerEvent::PlayRequested {
                request,
                stream_id,
                app,
                name,
                ..
            }) => {
                session.accept_play(request)?;
                let (tx, feed) = mpsc::sync_channel(BACKLOG);
                let mut channels = hub.lock().unwrap();
                let channel = channels.entry((app, name)).or_default();
                for (timestamp, message) in channel.headers.messages() {
                    match message {
                        Message::Data(d) => session.send_metadata(stream_id, timestamp, &d)?,
                        Message::Video(v) => session.send_video(stream_id, timestamp, v.payload)?,
                        Message::Audio(a) => session.send_audio(stream_id, timestamp, a.payload)?,
                        _ => {}
                    }
                }
                channel.players.push(tx);
                *role = Role::Player {
                    stream_id,
                    feed,
                    need_keyframe: true,
                };
            }
            Some(ServerEvent::Media(MediaEvent::Metadata {
                timestamp, data, ..
            })) => {
                let message = Message::Data(data.clone());
                publish(
                    hub,
                    role,
                    timestamp,
                    &message,
                    Relay::Metadata(timestamp, data),
                );
            }
            Some(ServerEvent::Media(MediaEvent::Audio {
                timestamp, audio, ..
            })) => {
                let relay = Relay::Audio(timestamp, audio.payload.clone());
                publish(hub, role, timestamp, &Message::Audio(audio), relay);
            }
            Some(ServerEvent::Media(MediaEvent::Video {
                timestamp, video, ..
            })) => {
                let key = is_keyframe(&video) || is_video_config(&video);
                let relay = Relay::Video(timestamp, video.payload.clone(), key);
                publish(hub, role, timestamp, &Message::Video(video), relay);
            }
            Some(ServerEvent::PublishFinished { .. }) => {
                if let Role::Publisher(key) = role {
                    // Dropping the channel disconnects its players.
                    hub.lock().unwrap().remove(key);
                }
                *role = Role::Idle;
            }
            Some(ServerEvent::PlayFinished { .. }) => *role = Role::Idle,
            Some(ServerEvent::Other(_)) => {}
        }
        conn.flush()?;
        if done {
            break;
        }
    }
    Ok(())
}

/// Hands one publisher message to every player of its key.
fn publish(hub: &Hub, role: &Role, timestamp: u32, message: &Message, relay: Relay) {
    let Role::Publisher(key) = role else { return };
    let mut channels = hub.lock().unwrap();
    let Some(channel) = channels.get_mut(key) else {
        return;
    };
    channel.headers.observe(timestamp, message);
    // A player that is gone or too far behind is dropped.
    channel
        .players
        .retain(|player| match player.try_send(relay.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        });
}

/// Moves waiting relayed media into a player's session; false once the
/// publisher is gone (the player was told) or the player was dropped.
fn forward(
    session: &mut ServerSession,
    stream_id: u32,
    feed: &Receiver<Relay>,
    need_keyframe: &mut bool,
) -> Result<bool, SessionError> {
    loop {
        match feed.try_recv() {
            Ok(Relay::Metadata(timestamp, data)) => {
                session.send_metadata(stream_id, timestamp, &data)?
            }
            Ok(Relay::Audio(timestamp, payload)) => {
                session.send_audio(stream_id, timestamp, payload)?
            }
            Ok(Relay::Video(timestamp, payload, key)) => {
                if key || !*need_keyframe {
                    *need_keyframe = false;
                    session.send_video(stream_id, timestamp, payload)?;
                }
            }
            Err(mpsc::TryRecvError::Empty) => return Ok(true),
            Err(mpsc::TryRecvError::Disconnected) => {
                session.end_play(stream_id)?;
                session.close();
                return Ok(false);
            }
        }
    }
}
