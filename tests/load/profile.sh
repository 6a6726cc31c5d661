#!/usr/bin/env bash
# Where a route's time goes: perf samples of the release fixkb while wrk loads one URL.
#
#   tests/load/profile.sh 10000 / /api/search?q=print%20spooler /fixes/disable-task-offload?adapter=x
#
# First argument: the corpus ("starter" or a generated size, see run.sh); then site-relative
# paths. Prints each path's req/s (8 connections, 1 wrk thread) and the hottest functions (self
# time ≥ 3%). Needs `perf`; NO_BUILD=1 reuses the binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CORPUS=${1:?usage: profile.sh CORPUS PATH...}
shift
SECONDS_PER_PATH=${SECONDS_PER_PATH:-6}

build_release
RUN=$(mktemp -d "$WORK/run.XXXXXX")
trap 'stop_started; rm -rf "$RUN/data"' EXIT
start_fixkb "$(corpus_dir "$CORPUS")" "$RUN/data" "$RUN/fixkb.log"
for path in "$@"; do
    wrk -t1 -c8 -d"$((SECONDS_PER_PATH + 1))s" "http://127.0.0.1:$FIXKB_PORT$path" >"$RUN/wrk.txt" 2>&1 &
    wrk_pid=$!
    sleep 0.5
    perf record -q -F 499 -g -p "$FIXKB_PID" -o "$RUN/perf.data" -- sleep "$SECONDS_PER_PATH" >/dev/null 2>&1
    wait "$wrk_pid" || true
    wait_idle "$FIXKB_PID" >/dev/null
    echo "== $path: $(awk '/Requests\/sec/ { print $2 }' "$RUN/wrk.txt") req/s"
    perf report -i "$RUN/perf.data" --no-children --percent-limit 3 --stdio 2>/dev/null |
        grep -E '^ +[0-9]+\.[0-9]+%' | sed -E 's/ +/ /g' | cut -c1-150
done
