#!/usr/bin/env bash
# Loopback WebSocket echo benchmark (issue 14): one load client
# (echo-load, on tokio-tungstenite) against echo servers built on wirestate,
# tokio-tungstenite, fastwebsockets and tokio-websockets, all on the same
# one-thread tokio runtime (crates/echo-bench).
#
# Usage: scripts/bench-echo.sh
# Settings (environment, defaults in brackets):
#   LIBS="wirestate tungstenite fastwebsockets tokio-websockets"
#   SIZES="16 512 1024"  payload bytes per message
#   CONNECTIONS=100      connections at once, each sending a message and
#                        waiting for its echo
#   DEPTH=1              messages in flight per connection (1: ping-pong)
#   SECONDS_PER_RUN=10   the measured window of each run
#   WARMUP=1             seconds run before the window, not counted
#   CLIENT_THREADS=1     the client's runtime threads (1: current_thread)
#   ROUNDS=1             repeat everything; the table shows the median run
#
# It builds release once; then for each round and library it starts the library's
# echo-server (PID captured), runs echo-load once per size, and stops the
# server by its PID. Rounds rotate the library order, so a busy machine's
# drift does not always fall on the same library. Besides msgs/s and the
# round-trip p50/p99 it reports the server's CPU time per echoed message,
# user and kernel apart (/proc/PID/stat, 10 ms ticks, over every echo of the
# run), which depends far less on other load than msgs/s; and the client's
# CPU use (near 100% of a core means the client, not the server, set the
# pace, and msgs/s then says little about the server). Last, wirestate's ratio to the best peer per size:
# msgs/s (higher is better) and server CPU per message (the peer's over
# ours: higher is better).
#
# Only 127.0.0.1 is used. Linux only (/proc).
set -euo pipefail
cd "$(dirname "$0")/.."

LIBS=${LIBS:-"wirestate tungstenite fastwebsockets tokio-websockets"}
SIZES=${SIZES:-"16 512 1024"}
CONNECTIONS=${CONNECTIONS:-100}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
WARMUP=${WARMUP:-1}
DEPTH=${DEPTH:-1}
CLIENT_THREADS=${CLIENT_THREADS:-1}
ROUNDS=${ROUNDS:-1}

cargo build --release --locked -p wirestate-echo-bench
bin=target/release
ticks_per_second=$(getconf CLK_TCK)
work=$(mktemp -d)
server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap 'stop_server; rm -rf "$work"' EXIT

# utime and stime of a process, in clock ticks (fields 14 and 15; the name
# in field 2 has no spaces here).
cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# Runs echo-load in a subshell and appends the subshell's children's CPU
# ticks (cutime + cstime, fields 16 and 17) and the wall time in ms.
run_load() {
    (
        me=$BASHPID # not inside $(...), which is a subshell of its own
        start=$(date +%s%N)
        "$bin/echo-load" --url "$1" --connections "$CONNECTIONS" --size "$2" \
            --seconds "$SECONDS_PER_RUN" --warmup "$WARMUP" --depth "$DEPTH" \
            --threads "$CLIENT_THREADS"
        end=$(date +%s%N)
        echo "CLIENT ticks=$(awk '{ print $16 + $17 }' "/proc/$me/stat") wall_ms=$(( (end - start) / 1000000 ))"
    )
}

read -r -a libs <<<"$LIBS"
results=$work/results
for round in $(seq 1 "$ROUNDS"); do
    shift_by=$(( (round - 1) % ${#libs[@]} ))
    order=("${libs[@]:shift_by}" "${libs[@]:0:shift_by}")
    for lib in "${order[@]}"; do
        "$bin/echo-server" --lib "$lib" --listen 127.0.0.1:0 >"$work/$lib.out" &
        server_pid=$!
        for _ in $(seq 1 100); do
            grep -q LISTENING "$work/$lib.out" 2>/dev/null && break
            sleep 0.05
        done
        addr=$(awk '/^LISTENING/ { print $2 }' "$work/$lib.out")
        [ -n "$addr" ] || { echo "bench-echo: $lib did not start" >&2; exit 1; }
        for size in $SIZES; do
            read -r user0 sys0 < <(cpu_ticks "$server_pid")
            out=$(run_load "ws://$addr/" "$size")
            read -r user1 sys1 < <(cpu_ticks "$server_pid")
            echo "round $round $lib $size: $(echo "$out" | grep '^RESULT')" >&2
            echo "$lib $size $((user1 - user0)) $((sys1 - sys0)) $out" | tr '\n' ' ' >>"$results"
            echo >>"$results"
        done
        stop_server
    done
done

python3 - "$results" "$ticks_per_second" "$LIBS" "$SIZES" <<'PY'
import statistics, sys

path, ticks_per_second, libs, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), [int(s) for s in sys.argv[4].split()]
runs = {}
for line in open(path):
    words = line.split()
    lib, size, user, system = words[0], int(words[1]), int(words[2]), int(words[3])
    fields = dict(w.split("=", 1) for w in words[4:] if "=" in w)
    per_message = 1e6 / ticks_per_second / max(int(fields["total"]), 1)
    runs.setdefault((lib, size), []).append({
        "msgs": float(fields["msgs_per_s"]),
        "p50": float(fields["p50_us"]),
        "p99": float(fields["p99_us"]),
        # the server's CPU over the whole run, per echo of the run
        "user_us": user * per_message,
        "sys_us": system * per_message,
        "cpu_us": (user + system) * per_message,
        "client": int(fields["ticks"]) / ticks_per_second / (int(fields["wall_ms"]) / 1000) * 100,
    })

def median_run(lib, size):
    group = sorted(runs[(lib, size)], key=lambda r: r["msgs"])
    return group[len(group) // 2]

print(f"{'library':<18}{'size':>6}{'msgs/s':>10}{'p50 µs':>10}{'p99 µs':>10}"
      f"{'srv µs/msg':>12}{'(user':>8}{'kernel)':>9}{'client cpu':>12}")
for size in sizes:
    for lib in libs:
        r = median_run(lib, size)
        print(f"{lib:<18}{size:>6}{r['msgs']:>10.0f}{r['p50']:>10.1f}{r['p99']:>10.1f}"
              f"{r['cpu_us']:>12.2f}{r['user_us']:>8.2f}{r['sys_us']:>9.2f}{r['client']:>11.0f}%")
if "wirestate" in libs and len(libs) > 1:
    print()
    for size in sizes:
        ours = median_run("wirestate", size)
        peers = {lib: median_run(lib, size) for lib in libs if lib != "wirestate"}
        fastest = max(peers, key=lambda lib: peers[lib]["msgs"])
        leanest = min(peers, key=lambda lib: peers[lib]["cpu_us"])
        print(f"size {size}: wirestate msgs/s {ours['msgs'] / peers[fastest]['msgs']:.2f}x {fastest}; "
              f"server CPU/msg {peers[leanest]['cpu_us'] / ours['cpu_us']:.2f}x {leanest} (peer's over ours)")
PY
