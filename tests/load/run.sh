#!/usr/bin/env bash
# Load benchmarks: the release fixkb against nginx serving the same pages as static files.
#
#   tests/load/run.sh                                  # starter, 10k and 100k articles, 20 s a route
#   DURATION=3 CORPORA="starter 10000" tests/load/run.sh   # a quick dry run
#   SOAK=600 tests/load/run.sh                         # then a 10-minute soak on the last corpus
#
# Settings (environment): DURATION seconds per route (20), CONNECTIONS (64), THREADS (2),
# CORPORA ("starter 10000 100000"), SOAK seconds (0 = none), NO_BUILD=1 to reuse the binary,
# UNCACHED=0 to skip the second search run with the cache of recent answers off, FRESH=N (10)
# for a third search run in which N% of requests are new queries (0 = skip it), BROWSER=0 to
# skip the second run of each route sending a browser's Accept-Encoding (wrk sends none, so
# the first run measures uncompressed responses).
# For each corpus: start fixkb on a free loopback port with a fresh data folder, wait for
# /healthz, save every measured page into nginx's folder, then wrk each route against both.
# RSS comes from /proc/PID/status: idle (once startup work has settled), the highest VmRSS sampled every half
# second under load, and VmHWM (the kernel's peak) at the end. The report (markdown) goes to
# stdout and to target/load/results/<UTC time>.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
CORPORA=${CORPORA:-starter 10000 100000}
SOAK=${SOAK:-0}
WARMUP=${WARMUP:-2}
UNCACHED=${UNCACHED:-1}
FRESH_SHARE=${FRESH:-10}
BROWSER=${BROWSER:-1}
# What Chromium sends; wrk_run adds it when ACCEPT_ENCODING is set.
BROWSER_ACCEPT="gzip, deflate, br, zstd"
unset FRESH # search.lua reads it: only the third search run sets it

build_release
mkdir -p "$WORK/results"
RUN=$(mktemp -d "$WORK/run.XXXXXX")
# nginx's workers run as another user when started by root: they must be able to reach www/.
chmod 755 "$RUN"
# The data folders and nginx's copy of the pages can take gigabytes; the report is in results/.
trap 'stop_started; rm -rf "$RUN/data-"* "$RUN/nginx"' EXIT
REPORT="$WORK/results/$(date -u +%Y%m%dT%H%M%SZ).md"

start_nginx "$RUN/nginx"

# The measured routes: name, path (before the corpus's article slug is known), saved file.
ROUTES=(home article search results fix download)
declare -A SAVED=([home]=home.html [article]=article.html [search]=search.json
    [results]=results.html [fix]=fix.html [download]=download.ps1)
FIX_QUERY='adapter=Ethernet%202'

route_path() {
    case $1 in
        home) echo "/" ;;
        article) echo "/kb/$ARTICLE_SLUG" ;;
        search) echo "/api/search?q=print%20spooler%20stops%20responding" ;;
        results) echo "/search?q=print%20spooler%20stops%20responding" ;;
        fix) echo "/fixes/disable-task-offload?$FIX_QUERY" ;;
        download) echo "/fixes/disable-task-offload/download?$FIX_QUERY" ;;
    esac
}

# One article that exists in every corpus of its kind.
article_slug() {
    local content=$1
    if [[ -d "$content/kb" ]]; then
        local file
        file=$(find "$content/kb" -name '001234-*.md' -print -quit)
        file=${file#"$content/"}
        echo "${file%.md}"
    else
        echo "tcp-checksum-offload-vs-task-offload"
    fi
}

# wrk_run URL SCRIPT [ARGS…]: one wrk run; prints its RESULT line.
wrk_run() {
    local url=$1 script=$2
    shift 2
    local out header=()
    [[ -n ${ACCEPT_ENCODING:-} ]] && header=(-H "Accept-Encoding: $ACCEPT_ENCODING")
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${header[@]}" -s "$script" "$url" -- "$@" 2>&1)
    echo "$out" >>"$RUN/wrk.log"
    grep '^RESULT' <<<"$out" || { echo "RESULT requests=0 rps=0 p50_ms=0 p99_ms=0 connect=0 read=0 write=0 status=0 timeout=0"; }
}

errors_of() {
    local line=$1 n=0 k
    for k in connect read write status timeout; do
        n=$((n + $(field "$k" "$line")))
    done
    echo "$n"
}

# Scripts: plain routes use report.lua alone; the search route appends it to search.lua.
cat "$LOAD_DIR/report.lua" >"$RUN/plain.lua"
cat "$LOAD_DIR/search.lua" "$LOAD_DIR/report.lua" >"$RUN/search.lua"

{
    echo "# Load run $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    machine_summary
    echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- command: \`DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS CORPORA=\"$CORPORA\" SOAK=$SOAK tests/load/run.sh\`"
    echo "- each route: \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency -s <script> <url>\` after a ${WARMUP} s warm-up; /api/search cycles the query mix in tests/load/search.lua (nginx serves one saved answer); rows marked \"browser Accept-Encoding\" add \`-H 'Accept-Encoding: $BROWSER_ACCEPT'\` (fixkb only: nginx serves the saved files uncompressed); errors = socket errors + timeouts (2 s) + HTTP ≥ 400"
} | tee "$REPORT"

# Samples fixkb's VmRSS every half second until stop_sampler, which prints the highest, in MB.
start_sampler() {
    rm -f "$RUN/peak"
    (
        max=0
        while kill -0 "$FIXKB_PID" 2>/dev/null; do
            r=$(rss_mb "$FIXKB_PID" VmRSS)
            ((${r:-0} > max)) && max=$r && echo "$max" >"$RUN/peak"
            sleep 0.5
        done
    ) &
    SAMPLER=$!
}
stop_sampler() {
    kill "$SAMPLER" 2>/dev/null || true
    wait "$SAMPLER" 2>/dev/null || true
    cat "$RUN/peak" 2>/dev/null || echo 0
}

table_header() {
    echo "| route | fixkb req/s | p50 ms | p99 ms | errors | nginx req/s | nginx p50 ms | nginx p99 ms | fixkb/nginx |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
}

# row LABEL OURS THEIRS ERRORS: one table row from two RESULT lines (THEIRS may be empty), to
# stdout and the report.
row() {
    local label=$1 ours=$2 theirs=$3 errors=$4
    if [[ -z $theirs ]]; then
        printf '| %s | %.0f | %.2f | %.2f | %s | | | | |\n' "$label" "$(field rps "$ours")" \
            "$(field p50_ms "$ours")" "$(field p99_ms "$ours")" "$errors" | tee -a "$REPORT"
        return
    fi
    local ratio
    ratio=$(awk -v a="$(field rps "$ours")" -v b="$(field rps "$theirs")" \
        'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }')
    printf '| %s | %.0f | %.2f | %.2f | %s | %.0f | %.2f | %.2f | %s |\n' \
        "$label" "$(field rps "$ours")" "$(field p50_ms "$ours")" "$(field p99_ms "$ours")" \
        "$errors" "$(field rps "$theirs")" "$(field p50_ms "$theirs")" \
        "$(field p99_ms "$theirs")" "$ratio" | tee -a "$REPORT"
}

MEMORY_ROWS=()
for corpus in $CORPORA; do
    content=$(corpus_dir "$corpus")
    articles=$(find "$content" -name '*.md' -not -path '*/fixes/*' | wc -l)
    ARTICLE_SLUG=$(article_slug "$content")
    log "corpus $corpus ($articles articles): starting fixkb"
    start_fixkb "$content" "$RUN/data-$corpus" "$RUN/fixkb-$corpus.log"
    # Idle means after the startup work that goes on past /healthz (the index merging the
    # segments of a cold build) has finished.
    settled=$(wait_idle "$FIXKB_PID")
    sleep 3
    idle=$(rss_mb "$FIXKB_PID" VmRSS)
    idle_anon=$(rss_mb "$FIXKB_PID" RssAnon)
    idle_file=$(rss_mb "$FIXKB_PID" RssFile)
    base="http://127.0.0.1:$FIXKB_PORT"
    www="$RUN/nginx/www/$corpus"
    mkdir -p "$www"

    {
        echo
        echo "## $corpus ($articles articles)"
        echo
        echo "startup to /healthz: ${FIXKB_STARTUP_S} s, busy for ${settled} s more; load average at start: $(cut -d' ' -f1-3 /proc/loadavg); article: /kb/$ARTICLE_SLUG"
        echo
        table_header
    } | tee -a "$REPORT"

    peak=0
    for route in "${ROUTES[@]}"; do
        path=$(route_path "$route")
        code=$(curl -s -o "$www/${SAVED[$route]}" -w '%{http_code}' "$base$path")
        if [[ $code != 200 ]]; then
            echo "| $route \`$path\` | HTTP $code: not measured | | | | | | | |" | tee -a "$REPORT"
            continue
        fi
        # The ceiling must serve the very same bytes, or its figure means nothing.
        copy="http://127.0.0.1:$NGINX_PORT/$corpus/${SAVED[$route]}"
        if ! curl -sf "$copy" | cmp -s - "$www/${SAVED[$route]}"; then
            echo "nginx does not serve the saved copy of $route ($copy); see $RUN/nginx/error.log" >&2
            exit 1
        fi
        script="$RUN/plain.lua"
        [[ $route == search ]] && script="$RUN/search.lua"
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" "$base$path" >/dev/null 2>&1
        settle=$(wait_idle "$FIXKB_PID")
        ((settle > 0)) && log "$route: fixkb finished left-over requests for ${settle} s before the run"
        start_sampler
        ours=$(wrk_run "$base$path" "$script")
        p=$(stop_sampler)
        ((p > peak)) && peak=$p
        # wrk stops, but fixkb may still be working through requests it had already read.
        settle=$(wait_idle "$FIXKB_PID")
        ((settle > 0)) && log "$route: fixkb busy for ${settle} s after wrk stopped"
        theirs=$(wrk_run "$copy" "$RUN/plain.lua")
        errors=$(errors_of "$ours")
        nginx_errors=$(errors_of "$theirs")
        ((nginx_errors > 0)) && errors="$errors; nginx: $nginx_errors"
        if [[ $(field requests "$ours") == 0 ]]; then
            errors="no response within the run"
        elif ((settle > 0)); then
            errors="$errors (busy ${settle} s after)"
        fi
        [[ $route == search ]] && search_nginx=$theirs
        row "$route \`$path\`" "$ours" "$theirs" "$errors"
        if ((BROWSER)); then
            # What a browser gets: the same route asking for compressed responses.
            ours=$(ACCEPT_ENCODING=$BROWSER_ACCEPT wrk_run "$base$path" "$script")
            row "$route, browser Accept-Encoding" "$ours" "" "$(errors_of "$ours")"
            wait_idle "$FIXKB_PID" >/dev/null
        fi
    done
    if ((FRESH_SHARE > 0)); then
        # The search mix with FRESH% of requests replaced by queries never asked before.
        path=$(route_path search)
        ours=$(FRESH=$FRESH_SHARE wrk_run "$base$path" "$RUN/search.lua")
        row "search, $FRESH_SHARE% new queries \`$path\`" "$ours" "" "$(errors_of "$ours")"
        wait_idle "$FIXKB_PID" >/dev/null
    fi
    hwm=$(rss_mb "$FIXKB_PID" VmHWM)
    MEMORY_ROWS+=("| $corpus | $articles | $FIXKB_STARTUP_S | $idle ($idle_anon + $idle_file) | $peak | $hwm | $(du -sm "$RUN/data-$corpus" | cut -f1) |")

    if [[ $SOAK -gt 0 && $corpus == "${CORPORA##* }" ]]; then
        log "soak: ${SOAK} s of search + article + home on $corpus"
        {
            echo
            echo "### Soak: $corpus, ${SOAK} s"
            echo
            echo "\`wrk -t$THREADS -c$CONNECTIONS -d${SOAK}s -s search.lua <base> -- /kb/$ARTICLE_SLUG /\` (the search mix plus the article and the home page); VmRSS every 10 s:"
            echo
        } | tee -a "$REPORT"
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SOAK}s" --latency -s "$RUN/search.lua" "$base/" \
            -- "/kb/$ARTICLE_SLUG" "/" >"$RUN/soak.out" 2>&1 &
        soak_pid=$!
        samples=()
        while kill -0 "$soak_pid" 2>/dev/null; do
            samples+=("$(rss_mb "$FIXKB_PID" VmRSS)")
            sleep 10
        done
        wait "$soak_pid" || true
        result=$(grep '^RESULT' "$RUN/soak.out" || true)
        {
            echo "samples (MB): ${samples[*]}"
            echo
            echo "first $(printf '%s' "${samples[0]}"), last ${samples[-1]}, highest $(printf '%s\n' "${samples[@]}" | sort -n | tail -1); requests: $(field requests "$result"), $(field rps "$result") req/s, p99 $(field p99_ms "$result") ms, errors $(errors_of "$result")"
        } | tee -a "$REPORT"
    fi
    if ((UNCACHED)); then
        # The same search mix with the cache of recent answers off: every request searches.
        stop_fixkb
        log "corpus $corpus: restarting fixkb with --search-cache-mb 0"
        FIXKB_EXTRA="--search-cache-mb 0" start_fixkb "$content" "$RUN/data-$corpus" "$RUN/fixkb-$corpus-uncached.log"
        base="http://127.0.0.1:$FIXKB_PORT"
        path=$(route_path search)
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$RUN/search.lua" "$base$path" >/dev/null 2>&1
        wait_idle "$FIXKB_PID" >/dev/null
        start_sampler
        ours=$(wrk_run "$base$path" "$RUN/search.lua")
        uncached_peak=$(stop_sampler)
        uncached_hwm=$(rss_mb "$FIXKB_PID" VmHWM)
        {
            echo
            echo "$corpus, the search mix again with the cache of recent answers off (--search-cache-mb 0): every request searches the index."
            echo
            table_header
        } | tee -a "$REPORT"
        row "search, cache off \`$path\`" "$ours" "${search_nginx:-}" "$(errors_of "$ours")"
        {
            echo
            echo "VmRSS under this load (max sampled): $uncached_peak MB; VmHWM of this process (a warm start, then the run): $uncached_hwm MB."
        } | tee -a "$REPORT"
    fi
    stop_fixkb
done

{
    echo
    echo "## Memory (MB, from /proc/PID/status)"
    echo
    echo "| corpus | articles | startup s | VmRSS idle (anonymous + file-backed) | VmRSS under load (max sampled) | VmHWM | data folder MB |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${MEMORY_ROWS[@]}"
    echo
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$REPORT"
log "report: $REPORT"
