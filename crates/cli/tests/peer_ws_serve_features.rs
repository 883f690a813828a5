#![cfg(feature = "peer-tests")]
//! `wirestate serve websocket --path --auth-token` against Python
//! `websockets` (installed by scripts/peers/install-websocket-peers.sh into
//! .peers/python): with the token as a Bearer header and as a `?token=`
//! query on the right path it gets its messages echoed; without the token
//! it is refused with 401, on another path with 404.
//!
//! Every process runs on 127.0.0.1 and is stopped by PID.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::Server;

/// The workspace root, where .peers/ is.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Connects to argv[1] with the extra header `Authorization: Bearer
/// argv[2]` unless argv[2] is empty; sends a text and a binary message and
/// prints both echoes, or prints `refused STATUS` when the handshake is
/// refused.
const PYTHON_CLIENT: &str = r#"
import asyncio, sys
import websockets

async def main():
    headers = {"Authorization": "Bearer " + sys.argv[2]} if sys.argv[2] else {}
    try:
        async with websockets.connect(sys.argv[1], additional_headers=headers) as ws:
            await ws.send("hello with a token")
            print(await ws.recv())
            await ws.send(b"\x00\x01\x02")
            print((await ws.recv()).hex())
    except websockets.exceptions.InvalidStatus as refused:
        print("refused", refused.response.status_code)

asyncio.run(main())
"#;

/// What the Python client prints for `url` with `bearer` (empty: none).
fn python(url: &str, bearer: &str) -> Vec<String> {
    let output = Command::new(root().join(".peers/python/bin/python"))
        .args(["-c", PYTHON_CLIENT, url, bearer])
        .output()
        .expect("run the Python websockets client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout.lines().map(str::to_string).collect()
}

#[test]
fn python_websockets_through_auth_token_and_path() {
    let server = Server::start(&[
        "serve",
        "websocket",
        "--listen",
        "127.0.0.1:0",
        "--path",
        "/ws",
        "--auth-token",
        "peer-s3cret",
    ]);
    let addr = server.addr;
    let echoed = ["hello with a token", "000102"];
    assert_eq!(python(&format!("ws://{addr}/ws"), "peer-s3cret"), echoed);
    assert_eq!(
        python(&format!("ws://{addr}/ws?token=peer-s3cret"), ""),
        echoed
    );
    assert_eq!(python(&format!("ws://{addr}/ws"), ""), ["refused 401"]);
    assert_eq!(python(&format!("ws://{addr}/ws"), "wrong"), ["refused 401"]);
    assert_eq!(
        python(
            &format!("ws://{addr}/other?token=peer-s3cret"),
            "peer-s3cret"
        ),
        ["refused 404"]
    );
}
