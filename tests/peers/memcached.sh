#!/usr/bin/env bash
# Starts memcached for crates/lines/tests/peer_memcached.rs on 127.0.0.1:<port>
# (the test picks a free port), with items up to 2 MiB, UDP off, as the current
# user (memcached insists on -u when started as root), and prints
# "LISTENING <port>" once it accepts connections.
#
# memcached runs as this script's child with a parent-death signal, so when
# the test stops this script by PID, memcached goes with it.
# Usage: tests/peers/memcached.sh <port>
set -euo pipefail
port=$1

setpriv --pdeathsig KILL -- memcached -u "$(id -un)" -l 127.0.0.1 -p "$port" -U 0 -I 2m -m 64 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT

# Ready once the port accepts a connection (memcached prints nothing on start).
for _ in $(seq 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "memcached exited" >&2
        exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "LISTENING $port"
        wait "$pid"
        exit $?
    fi
    sleep 0.05
done
echo "memcached did not listen on $port" >&2
exit 1
