#!/usr/bin/env bash
# The relay benchmark of issue 14: one publisher to N players through
# nginx-rtmp and through `wirestate serve rtmp`, on loopback, one server at a
# time; reports each server's CPU seconds (utime + stime from
# /proc/PID/stat) and peak RSS (VmHWM), and the ratio wirestate / nginx.
#
# The publisher is FFmpeg sending a generated FLV (H.264 + AAC, made once
# and kept in the work directory) with `-c copy`, looped to MEDIA_SECONDS
# of media, as fast as the server takes it (no -re). The players are
# rtmpdump (or `wirestate play` with PLAYER=wirestate) writing to
# /dev/null; all of them are connected and waiting before the publisher
# starts, so every player is sent the whole stream. Both servers use chunk
# size 4096 and their default queues (a player that falls behind loses
# frames on both; the bytes each player received are reported so that
# shows).
#
# Usage: scripts/bench-relay.sh            (N=100 players, 60 s of media)
#        N=10 MEDIA_SECONDS=20 scripts/bench-relay.sh
#        PLAYER=wirestate scripts/bench-relay.sh
#        WORK=/tmp/relay-bench scripts/bench-relay.sh   (keeps the media)
#        WIRESTATE_BIN=/tmp/wirestate-before scripts/bench-relay.sh
#
# Installs the peers (FFmpeg, rtmpdump, nginx + libnginx-mod-rtmp) if
# missing and builds the release binary. Every process it starts is
# stopped by its PID. The machine should be otherwise quiet for final
# figures: CPU seconds are less sensitive to load than wall time, but not
# immune (cache and scheduler effects).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100}
MEDIA_SECONDS=${MEDIA_SECONDS:-60}
PLAYER=${PLAYER:-rtmpdump}
# The generated clip; the publisher loops it to MEDIA_SECONDS.
CLIP_SECONDS=10
# How long players may take to finish after the publisher did.
PLAYER_GRACE=${PLAYER_GRACE:-60}

bash scripts/peers/install-rtmp-peers.sh
# WIRESTATE_BIN: run another build (say, of the commit before a change).
if [ -n "${WIRESTATE_BIN:-}" ]; then
    wirestate=$WIRESTATE_BIN
else
    cargo build --release -q -p wirestate-cli --bin wirestate
    wirestate=$PWD/target/release/wirestate
fi

work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if [ -z "${WORK:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

source scripts/bench/relay-lib.sh
source tests/peers/nginx_rtmp_conf.sh

clip=$work/clip.flv
if [ ! -s "$clip" ]; then
    ffmpeg -hide_banner -loglevel error -y \
        -f lavfi -i "testsrc2=size=1280x720:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=44100" \
        -t "$CLIP_SECONDS" -c:v libx264 -preset ultrafast -g 60 -b:v 2500k \
        -c:a aac -b:a 128k -f flv "$clip"
fi
loops=$((MEDIA_SECONDS / CLIP_SECONDS - 1))
media_bytes=$(($(stat -c %s "$clip") * (loops + 1)))

echo "relay benchmark: 1 publisher, $N $PLAYER players, ${MEDIA_SECONDS} s of media" \
    "(about $((media_bytes >> 20)) MiB), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %12s %12s %14s %14s %10s\n' server cpu_s peak_rss_kb players_done min_player_kb wall_s

# nginx-rtmp: one process (no master, no workers), so its PID is the server.
port=$(free_port)
nginx_rtmp_conf "$work" "$port" $((N + 64)) warn
nginx -p "$work" -c "$work/nginx.conf" &
nginx_pid=$!
pids+=("$nginx_pid")
wait_port "$port" "$nginx_pid"
run_case nginx "$nginx_pid" "$port"
nginx_cpu=$last_cpu
kill "$nginx_pid"
wait "$nginx_pid" 2>/dev/null || true

# wirestate: the same application name, defaults otherwise (chunk size 4096).
"$wirestate" serve rtmp --listen 127.0.0.1:0 >"$work/wirestate.out" 2>"$work/wirestate.err" &
ws_pid=$!
pids+=("$ws_pid")
port=$(wait_listening "$work/wirestate.out" "$ws_pid")
run_case wirestate "$ws_pid" "$port"
ws_cpu=$last_cpu
kill "$ws_pid"
wait "$ws_pid" 2>/dev/null || true

awk -v w="$ws_cpu" -v n="$nginx_cpu" \
    'BEGIN { if (n > 0) printf "cpu ratio wirestate/nginx: %.2f\n", w / n }'
