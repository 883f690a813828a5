// Node `ws` peer for tests/peer_websocket.rs (same script as ws_py.py).
//
// Usage: node ws_node.js client PORT [deflate] | node ws_node.js server [deflate]
// Prints `LISTENING <port>` when ready, then `RECV <kind> <len> <sha256>`,
// `PONG <payload>` and `CLOSED <code> <reason>` lines. With `deflate`:
// permessage-deflate with serverNoContextTakeover and clientNoContextTakeover
// (default threshold), `EXT <negotiated>`, and a 1 MiB compressible text and
// 1 MiB incompressible binary both ways.
"use strict";
const crypto = require("crypto");
const path = require("path");
const WebSocket = require(path.resolve(".peers/node/node_modules/ws"));

const TEXT = "héllo wörld — 你好 🌍";
const BINARY = Buffer.from([...Array(256).keys()]);
const BIG = Buffer.alloc(1 << 20);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 7 + 3) % 251;
const DEFLATE = process.argv[process.argv.length - 1] === "deflate";
let bigText = "";
for (let i = 0; bigText.length < 1 << 20; i++) {
  bigText += '{"seq":' + String(i).padStart(6, "0") + ',"sym":"BTC-USD"}\n';
}
const BIG_TEXT = bigText.slice(0, 1 << 20);
const NOISE = Buffer.concat(
  [...Array(1 << 15).keys()].map((i) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(i);
    return crypto.createHash("sha256").update(n).digest();
  })
);
const OPTIONS = DEFLATE
  ? { serverNoContextTakeover: true, clientNoContextTakeover: true }
  : false;

function say(...parts) {
  process.stdout.write(parts.join(" ") + "\n");
}

function script(ws) {
  let received = 0;
  ws.on("message", (data, isBinary) => {
    const bytes = Buffer.from(data);
    const sha = crypto.createHash("sha256").update(bytes).digest("hex");
    say("RECV", isBinary ? "binary" : "text", bytes.length, sha);
    received += 1;
    if (received === (DEFLATE ? 5 : 3)) ws.close(4001, "peer done ✓");
  });
  ws.on("pong", (payload) => say("PONG", payload.toString()));
  ws.on("close", (code, reason) => {
    say("CLOSED", code, reason.toString());
    process.exit(0);
  });
  ws.send(TEXT);
  ws.send(BINARY);
  ws.send(BIG);
  // One text message in three frames.
  ws.send("fragment-one|", { fin: false });
  ws.send("fragment-two|", { fin: false });
  ws.send("fragment-three", { fin: true });
  if (DEFLATE) {
    say("EXT", ws.extensions || "none");
    ws.send(BIG_TEXT);
    ws.send(NOISE);
  }
  ws.ping(Buffer.from("peer-ping"));
}

if (process.argv[2] === "client") {
  const port = process.argv[3];
  say("LISTENING", port);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/node`, { perMessageDeflate: OPTIONS });
  ws.on("open", () => script(ws));
} else {
  const server = new WebSocket.WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: OPTIONS });
  server.on("listening", () => say("LISTENING", server.address().port));
  server.on("connection", (ws) => script(ws));
}
