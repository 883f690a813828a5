#!/usr/bin/env python3
"""Regenerates the committed seed corpus, fuzz/corpus/<target>/, from the
recorded captures in tests/captures/: each seed is the start of a real
session in the format its target reads (the script targets' format is
documented in fuzz/src/script.rs). Seeds are capped in size so that the
corpus stays small and each run is fast.

Usage: scripts/fuzz-corpus.py   (from anywhere; rewrites fuzz/corpus/)
"""
import base64
import hashlib
import shutil
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "tests" / "captures"
CORPUS = ROOT / "fuzz" / "corpus"
# Each seed holds at most this much of a capture's bytes.
CAP = 24 * 1024
# The key the ws_client_session target sends (RFC 6455's example key).
CLIENT_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RTMP_HANDSHAKE = 1 + 2 * 1536


def feed(data):
    """Feed operations for `data`, at most 65,535 bytes each."""
    out = b""
    for at in range(0, len(data), 0xFFFF):
        piece = data[at:at + 0xFFFF]
        out += b"\x00" + struct.pack("<H", len(piece)) + piece
    return out


def advance(millis):
    return b"\x04" + struct.pack("<H", min(millis // 10, 0xFFFF))


def command(code, arg=b""):
    return bytes([5, code, len(arg)]) + arg


EOF_OP = b"\x06"
STALL = b"\x07"
SHUTDOWN = b"\x08"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def captures(protocol, suffix):
    return sorted((CAPTURES / protocol).glob(f"*{suffix}"))


def head_end(data):
    end = data.find(b"\r\n\r\n")
    return len(data) if end < 0 else end + 4


def websocket():
    accept = base64.b64encode(
        hashlib.sha1((CLIENT_KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC11B65").encode()).digest()
    )
    for c2s in captures("websocket", ".c2s.bin"):
        stem = c2s.name[: -len(".c2s.bin")]
        request = c2s.read_bytes()[:CAP]
        end = head_end(request)
        head, frames = request[:end], request[end:]
        deflate = b"permessage-deflate" in head
        # Manual accept: the head, accept, the frames, time, a close.
        manual = bytes([1 if deflate else 0]) + feed(head) + command(0) + feed(frames)
        manual += advance(6000) + command(6, b"\x03\xe8bye") + EOF_OP
        write("ws_server_session", stem, manual)
        # Automatic accept, keepalive and idle timeout, a stalled peer.
        auto = bytes([0x39 if deflate else 0x38]) + feed(request) + STALL
        auto += advance(40_000) + STALL + SHUTDOWN
        write("ws_server_session", stem + "-auto", auto)
        write("ws_handshake_server", stem, b"\x00" + head)
        # The client side: the capture's response with the accept value of
        # the target's fixed key, then the server's frames.
        response = (CAPTURES / "websocket" / f"{stem}.s2c.bin").read_bytes()[:CAP]
        end = head_end(response)
        lines = [
            line if not line.lower().startswith(b"sec-websocket-accept:")
            else b"Sec-WebSocket-Accept: " + accept
            for line in response[: end - 4].split(b"\r\n")
        ]
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        client = bytes([1 if deflate else 0]) + feed(head + response[end:])
        client += command(2, "héllo".encode()) + advance(1000) + EOF_OP
        write("ws_client_session", stem, client)
        write("ws_handshake_client", stem, b"\x00" + head)
        # The frame targets take one options byte, then frames.
        write("ws_frames_server", stem, bytes([8 if deflate else 0]) + frames)
        write("ws_frames_client", stem, bytes([8 if deflate else 0]) + response[end:])


def rtmp():
    for c2s in captures("rtmp", ".c2s.bin"):
        stem = c2s.name[: -len(".c2s.bin")]
        upstream = c2s.read_bytes()[:CAP]
        downstream = (CAPTURES / "rtmp" / f"{stem}.s2c.bin").read_bytes()[:CAP]
        # Bit 2: automatic answers, so the capture gets to its media.
        server = b"\x04" + feed(upstream) + advance(25_000) + SHUTDOWN + EOF_OP
        write("rtmp_server_session", stem, server)
        # By hand: connect, publish or play answered as request 0, 1, 2.
        manual = b"\x00" + feed(upstream[:RTMP_HANDSHAKE + 2048])
        manual += command(0, b"\x00") + command(2, b"\x01") + command(4, b"\x01")
        manual += feed(upstream[RTMP_HANDSHAKE + 2048:]) + EOF_OP
        write("rtmp_server_session", stem + "-manual", manual)
        publish = b"publish" in stem.encode()
        play = command(0 if publish else 1, b"key")
        client = b"\x00" + feed(downstream[:RTMP_HANDSHAKE + 1024]) + play
        client += feed(downstream[RTMP_HANDSHAKE + 1024:]) + advance(30_000) + EOF_OP
        write("rtmp_client_session", stem, client)
        write("rtmp_connection_client", stem, b"\x00" + feed(downstream) + EOF_OP)
        write("rtmp_handshake", stem, b"\x01" + upstream[:RTMP_HANDSHAKE + 64])
        # rtmp_chunks: split point (2 bytes), flags, then the chunk stream.
        chunks = upstream[RTMP_HANDSHAKE:]
        write("rtmp_chunks", stem, struct.pack("<H", len(chunks) // 2) + b"\x00" + chunks)


def framing():
    for c2s in captures("lines", ".c2s.bin"):
        stem = c2s.name[: -len(".c2s.bin")]
        data = c2s.read_bytes()[:CAP]
        crlf = stem.startswith("memcached")
        options = 1 if crlf else 0
        script = bytes([options]) + feed(data) + command(0, b"STORED")
        script += STALL + advance(12_000) + EOF_OP
        write("lines_script", stem, script)
        # lines: delimiter, byte, overflow, flags; a cut point; the stream.
        write("lines", stem, bytes([options, 0, 0, 0]) + struct.pack("<H", len(data) // 3) + data)
        if crlf:
            for i, line in enumerate(data.split(b"\r\n")[:40]):
                if line:
                    write("memcached", f"{stem}-{i}", line)
    for c2s in captures("length", ".c2s.bin"):
        stem = c2s.name[: -len(".c2s.bin")]
        data = c2s.read_bytes()[:CAP]
        options = 1 if "packet2" in stem else 2
        script = bytes([options]) + feed(data) + command(0, b"pong") + advance(31_000)
        write("length_script", stem, script)
        # length: field, flags, offset, adjustment, limit (LE), cut; the stream.
        field = 1 if "packet2" in stem else 3
        write("length", stem, bytes([field, 0, 0, 0, 0xFF, 0xFF, 128]) + data)


def flv():
    """Small FLV files: a header and tags of each type."""
    def tag(kind, timestamp, body):
        size = struct.pack(">I", len(body))[1:]
        stamp = struct.pack(">I", timestamp)
        header = bytes([kind]) + size + stamp[1:] + stamp[:1] + b"\x00\x00\x00"
        return header + body + struct.pack(">I", 11 + len(body))

    head = b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00\x00\x00\x00"
    script = b"\x02\x00\x0aonMetaData\x08\x00\x00\x00\x00\x00\x00\x09"
    avc = bytes([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1F, 0xFF, 0xE1])
    body = head + tag(18, 0, script) + tag(9, 0, avc) + tag(8, 0, b"\xaf\x00\x12\x10")
    body += tag(9, 40, b"\x27\x01\x00\x00\x00" + b"\x00" * 32) + tag(8, 0x01020304, b"\xaf\x01")
    write("flv", "tags", body)


def main():
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    websocket()
    rtmp()
    framing()
    flv()
    total = sum(f.stat().st_size for f in CORPUS.rglob("*") if f.is_file())
    print(f"corpus: {sum(1 for _ in CORPUS.rglob('*') if _.is_file())} files, {total} bytes")


if __name__ == "__main__":
    main()
