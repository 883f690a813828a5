#!/usr/bin/env bash
# Runs the Autobahn|Testsuite (wstest, Python 2.7) against wirestate-websocket,
# on 127.0.0.1 only, and writes a per-group summary to autobahn/summary.md:
#   - fuzzingclient (our server role), all groups 1-13 (12 and 13:
#     permessage-deflate, every window size and context takeover combination;
#     ~8 minutes each) against `wirestate serve websocket` as shipped (default
#     flags: permessage-deflate on, keepalive pings, every limit at its
#     default) and against the axum echo example (examples/axum_echo.rs: the
#     upgrade done by axum/hyper with the `http` feature, permessage-deflate
#     on);
#   - fuzzingclient, groups 1-10, against the tokio and the blocking echo
#     server examples (the deflate groups would repeat what the two full
#     runs cover on the same machine and tokio driver);
#   - fuzzingserver with the blocking Autobahn client example (our client
#     role), all groups. Full
# reports go to .peers/autobahn-reports/ (gitignored). Exits non-zero if any case is
# neither OK nor INFORMATIONAL, so CI catches regressions.
#
# Usage: scripts/autobahn.sh
# Needs CPython 2.7 under pyenv (see autobahn/README.md); installs wstest into
# a Python 2.7 virtualenv under .peers/ the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

py27="$(pyenv root)/versions/2.7.18/bin/python2.7"
tools=.peers/autobahn-tools
venv=.peers/autobahn-py27
reports=.peers/autobahn-reports

if [ ! -x "$venv/bin/wstest" ]; then
    python3 -m venv "$tools"
    "$tools/bin/pip" install --quiet --disable-pip-version-check "virtualenv==20.21.1"
    "$tools/bin/virtualenv" --quiet -p "$py27" "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r autobahn/requirements-py27.txt
    # The suite itself, on the dependency versions pinned above.
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps autobahntestsuite==0.8.2
fi

cargo build --quiet --release -p wirestate-websocket --examples
cargo build --quiet --release -p wirestate-cli
bin="${CARGO_TARGET_DIR:-target}/release/examples"
wirestate="${CARGO_TARGET_DIR:-target}/release/wirestate"

cases='["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "8.*", "9.*", "10.*", "12.*", "13.*"]'
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# Our server, wstest as client.
rm -rf "$reports/server" "$reports/server-blocking" "$reports/server-cli" "$reports/server-axum" \
    "$reports/client"
mkdir -p "$reports"
coproc SERVER { exec "$bin/echo_server" 127.0.0.1:0; }
pids+=("$SERVER_PID")
read -r _ port <&"${SERVER[0]}"
cat > "$reports/fuzzingclient.json" <<JSON
{"servers": [{"agent": "wirestate", "url": "ws://127.0.0.1:$port"}],
 "cases": ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "8.*", "9.*", "10.*"],
 "exclude-cases": [], "exclude-agent-cases": {},
 "outdir": "$reports/server"}
JSON
"$venv/bin/wstest" -m fuzzingclient -s "$reports/fuzzingclient.json" > "$reports/fuzzingclient.log" 2>&1

# The blocking echo server, wstest as client, groups 1-10. Stop the tokio
# server first: bash runs one coprocess at a time.
server_pid=$SERVER_PID
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
coproc BLOCKING { exec "$bin/echo_server_blocking" 127.0.0.1:0; }
pids+=("$BLOCKING_PID")
read -r _ port <&"${BLOCKING[0]}"
cat > "$reports/fuzzingclient-blocking.json" <<JSON
{"servers": [{"agent": "wirestate", "url": "ws://127.0.0.1:$port"}],
 "cases": ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "8.*", "9.*", "10.*"],
 "exclude-cases": [], "exclude-agent-cases": {}, "outdir": "$reports/server-blocking"}
JSON
"$venv/bin/wstest" -m fuzzingclient -s "$reports/fuzzingclient-blocking.json" > "$reports/fuzzingclient-blocking.log" 2>&1

# `wirestate serve websocket` as shipped, wstest as client, all groups. Its
# LISTENING line names address and port: `LISTENING 127.0.0.1:<port>`.
blocking_pid=$BLOCKING_PID
kill "$blocking_pid"
wait "$blocking_pid" 2>/dev/null || true
coproc CLI { exec "$wirestate" serve websocket --listen 127.0.0.1:0 2> "$reports/serve-websocket.log"; }
pids+=("$CLI_PID")
read -r _ addr <&"${CLI[0]}"
port=${addr##*:}
cat > "$reports/fuzzingclient-cli.json" <<JSON
{"servers": [{"agent": "wirestate-serve", "url": "ws://127.0.0.1:$port"}],
 "cases": $cases, "exclude-cases": [], "exclude-agent-cases": {},
 "outdir": "$reports/server-cli"}
JSON
"$venv/bin/wstest" -m fuzzingclient -s "$reports/fuzzingclient-cli.json" > "$reports/fuzzingclient-cli.log" 2>&1

# The axum echo example (the `http` feature inside an axum router, hyper's
# upgrade, the tokio driver), wstest as client, all groups. Its LISTENING
# line names address and port too.
cli_pid=$CLI_PID
kill "$cli_pid"
wait "$cli_pid" 2>/dev/null || true
coproc AXUM { exec "$bin/axum_echo" 127.0.0.1:0; }
pids+=("$AXUM_PID")
read -r _ addr <&"${AXUM[0]}"
port=${addr##*:}
cat > "$reports/fuzzingclient-axum.json" <<JSON
{"servers": [{"agent": "wirestate-axum", "url": "ws://127.0.0.1:$port/"}],
 "cases": $cases, "exclude-cases": [], "exclude-agent-cases": {},
 "outdir": "$reports/server-axum"}
JSON
"$venv/bin/wstest" -m fuzzingclient -s "$reports/fuzzingclient-axum.json" > "$reports/fuzzingclient-axum.log" 2>&1

# wstest as server, our client.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$reports/fuzzingserver.json" <<JSON
{"url": "ws://127.0.0.1:$port", "cases": $cases, "exclude-cases": [],
 "exclude-agent-cases": {}, "outdir": "$reports/client"}
JSON
# --webport 0: no report web server (it would listen on every interface, at
# port 8080).
"$venv/bin/wstest" -m fuzzingserver --webport 0 -s "$reports/fuzzingserver.json" > "$reports/fuzzingserver.log" 2>&1 &
wstest_pid=$!
pids+=("$wstest_pid")
# wstest (Twisted on Python 2.7) can be slow to start on a busy machine: wait
# until its port answers, up to two minutes, and stop early if it died.
python3 - "$port" "$wstest_pid" "$reports/fuzzingserver.log" <<'PY'
import socket, sys, time
port, pid, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def alive(pid):
    # A child that exited stays a zombie (state Z) until the shell reaps it.
    try:
        return open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

deadline = time.monotonic() + 120
while True:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        break
    except OSError:
        if not alive(pid):
            sys.exit("wstest fuzzingserver exited:\n" + open(log).read()[-2000:])
        if time.monotonic() > deadline:
            sys.exit("wstest fuzzingserver did not listen on port %d in 120 s" % port)
        time.sleep(0.2)
PY
"$bin/autobahn_client" "127.0.0.1:$port"

status=0
python3 autobahn/summarize.py "$reports/server/index.json" "$reports/client/index.json" \
    "$reports/server-blocking/index.json" "$reports/server-cli/index.json" \
    "$reports/server-axum/index.json" > autobahn/summary.md || status=$?
cat autobahn/summary.md
exit "$status"
