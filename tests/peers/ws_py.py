"""Python `websockets` peer for tests/peer_websocket.rs.

Usage: ws_py.py client PORT [deflate]  (connects to our server on 127.0.0.1:PORT)
       ws_py.py server [deflate]       (listens on 127.0.0.1, one connection)

With `deflate`, permessage-deflate is offered/accepted (context takeover,
window bits 12), the negotiated `EXT <header>` is printed, and a 1 MiB
compressible text and a 1 MiB incompressible binary go both ways too.

Prints `LISTENING <port>` when ready, then one line per thing it received:
`RECV <text|binary> <len> <sha256>`, `PONG <payload>` and finally
`CLOSED <code> <reason>` (the close frame that came back).
"""
import asyncio
import hashlib
import sys

from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

TEXT = "héllo wörld — 你好 🌍"
BINARY = bytes(range(256))
BIG = bytes((i * 7 + 3) % 251 for i in range(1 << 20))
FRAGMENTS = ["fragment-one|", "fragment-two|", "fragment-three"]
DONE = asyncio.Event()
DEFLATE = sys.argv[-1] == "deflate"
BIG_TEXT = "".join('{"seq":%06d,"sym":"BTC-USD"}\n' % i for i in range(34000))[: 1 << 20]
NOISE = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1 << 15))


def say(*parts):
    print(*parts, flush=True)


async def script(ws):
    await ws.send(TEXT)
    await ws.send(BINARY)
    await ws.send(BIG)
    await ws.send(FRAGMENTS)  # an iterable: one message, one frame per item
    if DEFLATE:
        say("EXT", (ws.response.headers.get("Sec-WebSocket-Extensions") or "none"))
        await ws.send(BIG_TEXT)
        await ws.send(NOISE)
    pong = await ws.ping(b"peer-ping")
    await pong
    say("PONG peer-ping")
    for _ in range(5 if DEFLATE else 3):
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
        extensions = [ClientPerMessageDeflateFactory(client_max_window_bits=12, server_max_window_bits=12)]
        async with connect(
            f"ws://127.0.0.1:{port}/py",
            max_size=None,
            compression=None,
            extensions=extensions if DEFLATE else None,
        ) as ws:
            await script(ws)
    else:
        extensions = [ServerPerMessageDeflateFactory(server_max_window_bits=12, client_max_window_bits=12)]
        async with serve(
            script,
            "127.0.0.1",
            0,
            max_size=None,
            compression=None,
            extensions=extensions if DEFLATE else None,
        ) as server:
            say("LISTENING", server.sockets[0].getsockname()[1])
            await DONE.wait()


asyncio.run(main())
