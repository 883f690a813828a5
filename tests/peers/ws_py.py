"""Python `websockets` peer for tests/peer_websocket.rs.

Usage: ws_py.py client PORT   (connects to our server on 127.0.0.1:PORT)
       ws_py.py server        (listens on 127.0.0.1, one connection)

Prints `LISTENING <port>` when ready, then one line per thing it received:
`RECV <text|binary> <len> <sha256>`, `PONG <payload>` and finally
`CLOSED <code> <reason>` (the close frame that came back).
"""
import asyncio
import hashlib
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

TEXT = "héllo wörld — 你好 🌍"
BINARY = bytes(range(256))
BIG = bytes((i * 7 + 3) % 251 for i in range(1 << 20))
FRAGMENTS = ["fragment-one|", "fragment-two|", "fragment-three"]
DONE = asyncio.Event()


def say(*parts):
    print(*parts, flush=True)


async def script(ws):
    await ws.send(TEXT)
    await ws.send(BINARY)
    await ws.send(BIG)
    await ws.send(FRAGMENTS)  # an iterable: one message, one frame per item
    pong = await ws.ping(b"peer-ping")
    await pong
    say("PONG peer-ping")
    for _ in range(3):
        message = await ws.recv()
        kind = "text" if isinstance(message, str) else "binary"
        data = message.encode() if kind == "text" else message
        say("RECV", kind, len(data), hashlib.sha256(data).hexdigest())
    await ws.close(4001, "peer done ✓")
    say("CLOSED", ws.close_code, ws.close_reason)
    DONE.set()


async def main():
    if sys.argv[1] == "client":
        port = int(sys.argv[2])
        say("LISTENING", port)
        async with connect(f"ws://127.0.0.1:{port}/py", max_size=None, compression=None) as ws:
            await script(ws)
    else:
        async with serve(script, "127.0.0.1", 0, max_size=None, compression=None) as server:
            say("LISTENING", server.sockets[0].getsockname()[1])
            await DONE.wait()


asyncio.run(main())
