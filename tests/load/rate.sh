#!/usr/bin/env bash
# /api/search at a fixed rate (open loop), the way people arrive, rather than as fast as 64
# connections can go: oha sends RATE requests a second over CONNECTIONS connections with
# --latency-correction (a request that had to wait for a free connection counts its wait), and
# with oha's default Accept-Encoding (gzip, br), as browsers send. Each run replaces SHARE% of the
# load mix with new queries that no cache has seen.
#
#   tests/load/rate.sh                                   # 100k articles, 3,000 req/s, 0..30% new
#   RATE=3000 SHARES="10 20" CORPUS=10000 tests/load/rate.sh
#
# Settings (environment): CORPUS (100000; or "starter"), RATE (3000), CONNECTIONS (64),
# DURATION seconds per run (15), SHARES ("0 10 15 20 25 30"), NO_BUILD=1 to reuse the binary.
# Needs oha (installed with `cargo install oha --locked` when missing; it needs cmake).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CORPUS=${CORPUS:-100000}
RATE=${RATE:-3000}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15}
SHARES=${SHARES:-0 10 15 20 25 30}

command -v oha >/dev/null || cargo install oha --locked
build_release
mkdir -p "$WORK/results"
RUN=$(mktemp -d "$WORK/rate.XXXXXX")
trap 'stop_started; rm -rf "$RUN"' EXIT
REPORT="$WORK/results/rate-$(date -u +%Y%m%dT%H%M%SZ).md"

content=$(corpus_dir "$CORPUS")
log "corpus $CORPUS: starting fixkb"
start_fixkb "$content" "$RUN/data" "$RUN/fixkb.log"
wait_idle "$FIXKB_PID" >/dev/null
base="http://127.0.0.1:$FIXKB_PORT"
{
    echo "# Search at a fixed rate, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    machine_summary
    echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- corpus $CORPUS; each run: \`oha --urls-from-file -z ${DURATION}s -c $CONNECTIONS -q $RATE --latency-correction --no-tui <urls>\`"
    echo
    echo "| new queries | req/s | p50 ms | p99 ms | p99.9 ms | non-2xx or errors | fixkb CPU |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
} | tee "$REPORT"

for share in $SHARES; do
    python3 "$LOAD_DIR/rate_urls.py" "$base" "$share" "$LOAD_DIR/search.lua" "$LOAD_DIR/words.txt" \
        "$RUN/urls.txt" >/dev/null
    before=$(cpu_ticks "$FIXKB_PID")
    oha --urls-from-file -z "${DURATION}s" -c "$CONNECTIONS" -q "$RATE" --latency-correction \
        --no-tui --output-format json "$RUN/urls.txt" >"$RUN/oha.json"
    after=$(cpu_ticks "$FIXKB_PID")
    cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v d="$DURATION" \
        'BEGIN { printf "%.0f%%", 100 * t / hz / d }')
    python3 - "$RUN/oha.json" "$share" "$cpu" <<'PY' | tee -a "$REPORT"
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
ok = r.get("statusCodeDistribution", {})
bad = sum(n for code, n in ok.items() if not code.startswith("2"))
errors = sum(n for e, n in r.get("errorDistribution", {}).items() if "deadline" not in e)
ms = lambda v: f"{1000 * v:.2f}" if v is not None else "-"
print(f"| {sys.argv[2]}% | {s['requestsPerSec']:.0f} | {ms(p['p50'])} | {ms(p['p99'])} | {ms(p['p99.9'])} | {bad + errors} | {sys.argv[3]} |")
PY
    wait_idle "$FIXKB_PID" >/dev/null
done
log "report: $REPORT"
