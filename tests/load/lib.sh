# Shared helpers for the load scripts (sourced, not run). Everything listens on 127.0.0.1.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOAD_DIR="$ROOT/tests/load"
# search.lua reads the words of new queries from here, whatever the working directory.
export FIXKB_WORDS="$LOAD_DIR/words.txt"
WORK="$ROOT/target/load"
# The binaries are copied here once built, so a rebuild during a run does not change them.
BIN="$WORK/bin/fixkb"
GEN="$WORK/bin/gen-corpus"

# PIDs this script started; stopped (by PID) on exit.
STARTED_PIDS=()

stop_started() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    STARTED_PIDS=()
}

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

build_release() {
    if [[ "${NO_BUILD:-0}" == 1 ]]; then
        log "NO_BUILD=1: using the existing $ROOT/target/release/fixkb"
    else
        log "cargo build --release --bin fixkb --example gen-corpus"
        (cd "$ROOT" && cargo build --release --bin fixkb --example gen-corpus)
    fi
    mkdir -p "$WORK/bin"
    # FIXKB_BIN: another build of fixkb to measure instead (to compare two builds).
    cp "${FIXKB_BIN:-$ROOT/target/release/fixkb}" "$BIN"
    cp "$ROOT/target/release/examples/gen-corpus" "$GEN"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The content folder for a corpus name: "starter" is the repo's content/, a number N is a
# generated corpus of N articles, cached under target/load/ and regenerated when the generator
# or the starter fixes change.
corpus_dir() {
    local name=$1
    if [[ $name == starter ]]; then
        echo "$ROOT/content"
        return
    fi
    local dir="$WORK/corpus-$name"
    local key
    key=$(cat "$ROOT/web/src/search/corpus.rs" "$ROOT/web/benches/gen_corpus.rs" \
        "$ROOT"/content/fixes/*/* "$ROOT/content/synonyms.toml" 2>/dev/null | sha256sum | cut -c1-16)
    if [[ "$(cat "$dir/.generated" 2>/dev/null)" != "$key" ]]; then
        log "generating $name articles under $dir"
        rm -rf "$dir"
        "$GEN" "$dir" "$name" >&2
        echo "$key" >"$dir/.generated"
    fi
    echo "$dir"
}

# start_fixkb CONTENT DATA LOG: starts the release binary on a free port (extra flags in
# FIXKB_EXTRA; FIXKB_WRAPPER, a command to run it under, such as valgrind); sets FIXKB_PID,
# FIXKB_PORT and FIXKB_STARTUP_S (seconds until /healthz answered).
start_fixkb() {
    local content=$1 data=$2 logfile=$3
    FIXKB_PORT=$(free_port)
    mkdir -p "$data"
    local started
    started=$(date +%s.%N)
    # shellcheck disable=SC2086 # FIXKB_WRAPPER and FIXKB_EXTRA are split on spaces
    ${FIXKB_WRAPPER:-} "$BIN" serve --bind "127.0.0.1:$FIXKB_PORT" --content "$content" --data "$data" ${FIXKB_EXTRA:-} \
        2>"$logfile" >/dev/null &
    FIXKB_PID=$!
    STARTED_PIDS+=("$FIXKB_PID")
    local deadline=$((SECONDS + ${STARTUP_TIMEOUT:-1800}))
    until curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$FIXKB_PORT/healthz"; do
        if ! kill -0 "$FIXKB_PID" 2>/dev/null; then
            echo "fixkb exited during startup; log:" >&2
            tail -20 "$logfile" >&2
            exit 1
        fi
        if ((SECONDS > deadline)); then
            echo "fixkb did not answer /healthz in time" >&2
            exit 1
        fi
        sleep 0.5
    done
    FIXKB_STARTUP_S=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}

stop_fixkb() {
    kill -TERM "$FIXKB_PID" 2>/dev/null || true
    wait "$FIXKB_PID" 2>/dev/null || true
    local kept=()
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        [[ $pid == "$FIXKB_PID" ]] || kept+=("$pid")
    done
    STARTED_PIDS=("${kept[@]}")
}

# rss_mb PID FIELD: VmRSS or VmHWM of a process, in MB.
rss_mb() {
    awk -v f="$2:" '$1 == f { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null
}

# cpu_ticks PID: user + system CPU time of a process, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# wait_idle PID: waits (up to 120 s) until the process uses under 5% of a core, so requests
# left over from one measurement do not eat into the next one. Prints the seconds waited.
wait_idle() {
    local pid=$1 waited=0 before after
    local hz
    hz=$(getconf CLK_TCK)
    while ((waited < 240)); do
        before=$(cpu_ticks "$pid")
        sleep 0.5
        after=$(cpu_ticks "$pid")
        ((100 * (after - before) < 5 * hz / 2)) && break
        waited=$((waited + 1))
    done
    echo $((waited / 2))
}

# start_nginx PREFIX: nginx with our config on a free loopback port, serving PREFIX/www; sets
# NGINX_PID and NGINX_PORT.
start_nginx() {
    local prefix=$1
    NGINX_PORT=$(free_port)
    mkdir -p "$prefix/tmp" "$prefix/www"
    chmod 755 "$prefix" "$prefix/www"
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$NGINX_PORT|g" \
        "$LOAD_DIR/nginx.conf.template" >"$prefix/nginx.conf"
    nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" &
    NGINX_PID=$!
    STARTED_PIDS+=("$NGINX_PID")
    local tries=0
    until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$NGINX_PORT/"; do
        tries=$((tries + 1))
        if ((tries > 50)) || ! kill -0 "$NGINX_PID" 2>/dev/null; then
            echo "nginx did not start:" >&2
            cat "$prefix/error.log" >&2
            exit 1
        fi
        sleep 0.1
    done
}

# field NAME LINE: the value of NAME=… in a RESULT line.
field() {
    tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2 }'
}

machine_summary() {
    local cpu ram
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    ram=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    echo "- machine: $(nproc) cores, $cpu, $ram RAM, $(uname -sr)"
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); fixkb $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- web Cargo.toml || echo ' + uncommitted changes')"
    local wrk=none nginx=none oha=none
    # `wrk --version` prints its version, then its usage, and exits 1: not a failure here.
    command -v wrk >/dev/null && wrk=$({ wrk --version 2>&1 || true; } | head -1 | cut -d' ' -f1-2)
    command -v nginx >/dev/null && nginx=$({ nginx -v 2>&1 || true; })
    command -v oha >/dev/null && oha=$({ oha --version 2>&1 || true; } | head -1)
    echo "- tools: wrk: $wrk; nginx: $nginx; oha: $oha"
}
