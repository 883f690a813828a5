#!/usr/bin/env bash
# Starts nginx with the RTMP module for tests/peer_rtmp*.rs on 127.0.0.1:<port>
# (the test picks a free port): one live application "live", chunk size 4096,
# in the foreground with a private prefix, config and logs in a temporary
# directory. Prints "LISTENING <port>" once the port accepts connections.
#
# nginx runs as this script's child with a parent-death signal, so when the
# test stops this script by PID, nginx goes with it. The configuration is
# nginx_rtmp_conf.sh's, shared with scripts/bench-relay.sh.
# Usage: tests/peers/nginx_rtmp.sh <port>
set -euo pipefail
port=$1
dir=$(mktemp -d)

source "$(dirname "$0")/nginx_rtmp_conf.sh"
nginx_rtmp_conf "$dir" "$port" 64 info

setpriv --pdeathsig KILL -- nginx -p "$dir" -c "$dir/nginx.conf" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

for _ in $(seq 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "nginx exited:" >&2
        cat "$dir/error.log" >&2 || true
        exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "LISTENING $port"
        wait "$pid"
        exit $?
    fi
    sleep 0.05
done
echo "nginx did not listen on $port" >&2
exit 1
