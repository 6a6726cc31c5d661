#!/usr/bin/env bash
# Many connections at once, optionally with slowloris clients alongside:
#
#   tests/load/connections.sh                          # 1,000 busy connections for 60 s
#   SLOWLORIS=1000 tests/load/connections.sh           # plus 1,000 clients dripping headers
#
# Settings (environment): CONNECTIONS (1000), DURATION seconds (60), THREADS (2), SLOWLORIS
# (0), CORPUS ("starter" or a generated size, see run.sh), NO_BUILD=1 to reuse the binary.
# wrk keeps CONNECTIONS keep-alive connections busy with the search mix plus the home and an
# article page (socket timeout 10 s). Meanwhile a probe — a fresh connection, as a new visitor
# would open — fetches the article once a second and its time is recorded. The report also goes
# to target/load/results/connections-<UTC time>.md. Slowloris clients
# send a request line and then one header byte per connection per second, never finishing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CONNECTIONS=${CONNECTIONS:-1000}
DURATION=${DURATION:-60}
THREADS=${THREADS:-2}
SLOWLORIS=${SLOWLORIS:-0}
CORPUS=${CORPUS:-starter}

build_release
RUN=$(mktemp -d "$WORK/run.XXXXXX")
trap 'stop_started; rm -rf "$RUN/data"' EXIT
content=$(corpus_dir "$CORPUS")
article=/kb/tcp-checksum-offload-vs-task-offload
if [[ -d "$content/kb" ]]; then
    f=$(find "$content/kb" -name '001234-*.md' -print -quit)
    f=${f#"$content/"}
    article="/kb/${f%.md}"
fi
start_fixkb "$content" "$RUN/data" "$RUN/fixkb.log"
base="http://127.0.0.1:$FIXKB_PORT"
cat "$LOAD_DIR/search.lua" "$LOAD_DIR/report.lua" >"$RUN/mix.lua"

if ((SLOWLORIS > 0)); then
    # One bash process holds every slow connection. A persistent attacker: when a write is
    # refused (the server closed that connection) it opens a new one in its place.
    (
        trap '' PIPE
        open_slow() {
            exec {fd}<>"/dev/tcp/127.0.0.1/$FIXKB_PORT" || return 1
            printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' >&"$fd"
        }
        fds=()
        for ((i = 0; i < SLOWLORIS; i++)); do
            open_slow && fds+=("$fd")
        done
        echo "${#fds[@]}" >"$RUN/slow-opened"
        reopened=0
        while :; do
            for i in "${!fds[@]}"; do
                if ! printf 'a' >&"${fds[$i]}" 2>/dev/null; then
                    dead=${fds[$i]}
                    exec {dead}>&-
                    open_slow && fds[$i]=$fd && reopened=$((reopened + 1))
                fi
            done
            echo "$reopened" >"$RUN/slow-reopened"
            sleep 1
        done
    ) &
    STARTED_PIDS+=("$!")
    until [[ -s "$RUN/slow-opened" ]]; do sleep 0.2; done
    log "$(cat "$RUN/slow-opened") slowloris connections open"
fi

log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s against $base (mix: search, /, $article)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$RUN/mix.lua" "$base/" \
    -- "$article" "/" >"$RUN/wrk.out" 2>&1 &
wrk_pid=$!
probes=()
max_fds=0
max_rss=0
while kill -0 "$wrk_pid" 2>/dev/null; do
    t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 30 "$base$article" || echo "000 30")
    probes+=("$t")
    fds=$(find "/proc/$FIXKB_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    ((fds > max_fds)) && max_fds=$fds
    r=$(rss_mb "$FIXKB_PID" VmRSS)
    ((${r:-0} > max_rss)) && max_rss=$r
    sleep 1
done
wait "$wrk_pid" || true
result=$(grep '^RESULT' "$RUN/wrk.out" || echo "RESULT requests=0 connect=0 read=0 write=0 status=0 timeout=0")
errors=0
for k in connect read write status timeout; do
    errors=$((errors + $(field "$k" "$result")))
done
bad_probes=$(printf '%s\n' "${probes[@]}" | awk '$1 != 200' | wc -l)
probe_times=$(printf '%s\n' "${probes[@]}" | awk '{ print $2 * 1000 }' | sort -n)
probe_p50=$(awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }' <<<"$probe_times")
probe_max=$(tail -1 <<<"$probe_times")

mkdir -p "$WORK/results"
exec > >(tee "$WORK/results/connections-$(date -u +%Y%m%dT%H%M%SZ).md")
echo
echo "### $CONNECTIONS connections for ${DURATION} s$( ((SLOWLORIS > 0)) && echo " with $SLOWLORIS slowloris clients")"
echo
machine_summary
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- command: \`CONNECTIONS=$CONNECTIONS DURATION=$DURATION SLOWLORIS=$SLOWLORIS CORPUS=$CORPUS tests/load/connections.sh\`"
echo
echo "| requests | req/s | p50 ms | p99 ms | max ms | errors (connect/read/write/status/timeout) | probe: $((${#probes[@]})) fresh-connection GETs, failed | probe p50 ms | probe max ms | server fds max | VmRSS max MB |"
echo "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"
printf '| %s | %.0f | %.2f | %.2f | %.0f | %s (%s/%s/%s/%s/%s) | %s | %s | %.0f | %s | %s |\n' \
    "$(field requests "$result")" "$(field rps "$result")" "$(field p50_ms "$result")" \
    "$(field p99_ms "$result")" "$(field max_ms "$result")" "$errors" "$(field connect "$result")" \
    "$(field read "$result")" "$(field write "$result")" "$(field status "$result")" \
    "$(field timeout "$result")" "$bad_probes" "$probe_p50" "$probe_max" "$max_fds" "$max_rss"
if ((SLOWLORIS > 0)); then
    echo
    echo "slowloris: $SLOWLORIS connections kept open throughout; the server cut off $(cat "$RUN/slow-reopened" 2>/dev/null || echo 0) of them (each replaced at once)"
fi
if ! kill -0 "$FIXKB_PID" 2>/dev/null; then
    echo "fixkb DIED during the run; log tail:"
    tail -20 "$RUN/fixkb.log"
    exit 1
fi
