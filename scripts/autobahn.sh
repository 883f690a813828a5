#!/usr/bin/env bash
# Runs the Autobahn|Testsuite (wstest, Python 2.7) against wirestate-websocket:
#   - fuzzingclient against the tokio echo server example (our server role),
#   - fuzzingserver with the blocking Autobahn client example (our client role),
# for case groups 1-13 (12 and 13: permessage-deflate, every window size and
# context takeover combination; ~8 minutes), on 127.0.0.1 only, and writes a
# per-group summary to autobahn/summary.md. Full reports go to
# .peers/autobahn-reports/ (gitignored). Exits non-zero if any case is
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
bin="${CARGO_TARGET_DIR:-target}/release/examples"

cases='["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "8.*", "9.*", "10.*", "12.*", "13.*"]'
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# Our server, wstest as client.
rm -rf "$reports/server" "$reports/client"
mkdir -p "$reports"
coproc SERVER { exec "$bin/echo_server" 127.0.0.1:0; }
pids+=("$SERVER_PID")
read -r _ port <&"${SERVER[0]}"
cat > "$reports/fuzzingclient.json" <<JSON
{"servers": [{"agent": "wirestate", "url": "ws://127.0.0.1:$port"}],
 "cases": $cases, "exclude-cases": [], "exclude-agent-cases": {},
 "outdir": "$reports/server"}
JSON
"$venv/bin/wstest" -m fuzzingclient -s "$reports/fuzzingclient.json" > "$reports/fuzzingclient.log" 2>&1

# wstest as server, our client.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$reports/fuzzingserver.json" <<JSON
{"url": "ws://127.0.0.1:$port", "cases": $cases, "exclude-cases": [],
 "exclude-agent-cases": {}, "outdir": "$reports/client"}
JSON
"$venv/bin/wstest" -m fuzzingserver -s "$reports/fuzzingserver.json" > "$reports/fuzzingserver.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.2
done
"$bin/autobahn_client" "127.0.0.1:$port"

status=0
python3 autobahn/summarize.py "$reports/server/index.json" "$reports/client/index.json" > autobahn/summary.md || status=$?
cat autobahn/summary.md
exit "$status"
