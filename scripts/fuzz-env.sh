# Shared by fuzz-smoke.sh and fuzz-long.sh (sourced): the nightly toolchain
# and cargo-fuzz, the dictionary of each target, and the libFuzzer
# arguments every run gets. Runs start from the committed seed corpus,
# fuzz/corpus/<target>/, read-only; what a run finds goes to
# fuzz/target/work/<target>/ (never committed).

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Memory limits: a machine's own bound is checked by the targets; these catch
# what escapes it. One input may allocate at most 256 MiB at once, a run use
# at most 1 GiB.
LIMITS=(-malloc_limit_mb=256 -rss_limit_mb=1024)

# The dictionary for a target, if its format is text-ish.
dict_for() {
    case "$1" in
        ws_*) echo "dict/websocket.dict" ;;
        rtmp_*|amf0|amf3|flv) echo "dict/rtmp.dict" ;;
        memcached|lines*) echo "dict/memcached.dict" ;;
        *) echo "" ;;
    esac
}

# Runs TARGET for SECONDS with the corpus, its dictionary and the limits;
# extra arguments go to libFuzzer.
fuzz_for() {
    local target=$1 seconds=$2
    shift 2
    local work="target/work/$target" seeds="corpus/$target" dict
    mkdir -p "$work" "$seeds"
    dict=$(dict_for "$target")
    cargo +nightly fuzz run "$target" "$work" "$seeds" -- \
        -max_total_time="$seconds" "${LIMITS[@]}" ${dict:+-dict="$dict"} "$@"
}
