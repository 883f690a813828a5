#!/usr/bin/env bash
# Starts redis-server for crates/cli/tests/peer_gateway_redis.rs on
# 127.0.0.1:<port> (the test picks a free port), without persistence, and
# prints "LISTENING <port>" once it accepts connections.
#
# redis-server runs as this script's child with a parent-death signal, so when
# the test stops this script by PID, redis-server goes with it.
# Usage: tests/peers/redis.sh <port>
set -euo pipefail
port=$1

setpriv --pdeathsig KILL -- redis-server --bind 127.0.0.1 --port "$port" \
    --save "" --appendonly no --daemonize no --loglevel warning >&2 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT

# Ready once the port accepts a connection.
for _ in $(seq 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "redis-server exited" >&2
        exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "LISTENING $port"
        wait "$pid"
        exit $?
    fi
    sleep 0.05
done
echo "redis-server did not listen on $port" >&2
exit 1
