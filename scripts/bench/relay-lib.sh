# Helpers of scripts/bench-relay.sh (sourced): ports, process figures, and
# one run of a server with N players and one publisher. Uses the caller's
# N, PLAYER, PLAYER_GRACE, work, clip, loops, wirestate and pids.

# A free TCP port on 127.0.0.1 (closed again at once; nothing else is
# started meanwhile).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until 127.0.0.1:$1 accepts connections, or fails if PID $2 exits.
wait_port() {
    for _ in $(seq 400); do
        kill -0 "$2" 2>/dev/null || { echo "server $2 exited" >&2; return 1; }
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "nothing listens on $1" >&2
    return 1
}

# Prints the port of the `LISTENING host:port` line in file $1, written by
# PID $2.
wait_listening() {
    for _ in $(seq 400); do
        kill -0 "$2" 2>/dev/null || { echo "server $2 exited" >&2; return 1; }
        local line
        line=$(grep -m1 '^LISTENING ' "$1" || true)
        if [ -n "$line" ]; then
            echo "${line##*:}"
            return 0
        fi
        sleep 0.05
    done
    echo "no LISTENING line in $1" >&2
    return 1
}

# CPU seconds (user + system) PID $1 used so far.
cpu_seconds() {
    # Fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends
    # the command name (which may hold spaces).
    local rest
    rest=$(sed 's/^.*) //' "/proc/$1/stat")
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }' <<<"$rest"
}

# Peak resident set (VmHWM) of PID $1 in KiB.
peak_rss_kb() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# How many TCP connections to 127.0.0.1:$1 are established.
established() {
    ss -Htn state established "( sport = :$1 )" | wc -l
}

# Starts player $2 of stream rtmp://127.0.0.1:$1/live/bench; sets
# player_pid (not printed: a player started in a command substitution
# would not be this shell's child).
start_player() {
    local url=rtmp://127.0.0.1:$1/live
    if [ "$PLAYER" = wirestate ]; then
        "$wirestate" play "$url/bench" --output /dev/null \
            >/dev/null 2>"$work/player-$2.err" &
    else
        rtmpdump -r "$url" -y bench -v -m 120 -o /dev/null \
            >/dev/null 2>"$work/player-$2.err" &
    fi
    player_pid=$!
}

# KiB player $1 received, from rtmpdump's progress lines ("-" for
# `wirestate play`, which prints none).
player_kb() {
    tr '\r' '\n' <"$work/player-$1.err" | grep -oE '^[0-9.]+ kB' | tail -1 | cut -d' ' -f1 | grep . || echo 0
}

# One run against server $1 (a name), PID $2, on port $3: N players wait,
# the publisher sends the whole media, the players take what is relayed.
# Prints a row of the table and sets last_cpu.
run_case() {
    local name=$1 pid=$2 port=$3 started player_pids=() i
    started=$(date +%s.%N)
    for i in $(seq "$N"); do
        start_player "$port" "$i"
        player_pids+=("$player_pid")
    done
    pids+=("${player_pids[@]}")
    # Every player connected and asked to play (the play command follows
    # the connection within milliseconds; the second is for a busy machine).
    for _ in $(seq 600); do
        [ "$(established "$port")" -ge "$N" ] && break
        sleep 0.05
    done
    sleep 1
    ffmpeg -hide_banner -loglevel error -stream_loop "$loops" -i "$clip" -c copy \
        -f flv "rtmp://127.0.0.1:$port/live/bench" </dev/null
    local done=0 deadline=$((SECONDS + PLAYER_GRACE))
    for i in "${!player_pids[@]}"; do
        while kill -0 "${player_pids[$i]}" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
            sleep 0.1
        done
        if kill -0 "${player_pids[$i]}" 2>/dev/null; then
            kill "${player_pids[$i]}" 2>/dev/null || true
        else
            done=$((done + 1))
        fi
        wait "${player_pids[$i]}" 2>/dev/null || true
    done
    local min_kb=-
    if [ "$PLAYER" != wirestate ]; then
        min_kb=$(for i in $(seq "$N"); do player_kb "$i"; done | sort -n | head -1)
    fi
    last_cpu=$(cpu_seconds "$pid")
    local wall
    wall=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    printf '%-10s %12s %12s %14s %14s %10s\n' "$name" "$last_cpu" "$(peak_rss_kb "$pid")" \
        "$done/$N" "$min_kb" "$wall"
}
