#!/usr/bin/env bash
# Two builds of fixkb served the same uncached searches, alternating: requests a second and
# CPU a request, so a change's effect shows against the machine's drift (which moves timings by
# far more than most changes do from one minute to the next).
#
#   tests/load/compare.sh CORPUS BIN_A BIN_B [ROUNDS]
#
# CORPUS: "starter", a generated size (see run.sh) or a content folder. BIN_A and BIN_B: two
# fixkb binaries (copy each build aside, e.g. to target/load/bin/fixkb-<commit>). ROUNDS (2):
# how many times each is measured, A then B. Both serve one data folder (its index built once,
# by A), with the answer cache off; each start gets WARMUP seconds (5) of the load mix, then
# DURATION seconds (20) of `wrk -t2 -c64 -s tests/load/search.lua`, the server's CPU time read
# from /proc before and after. Prints one line per run. The second of each pair runs on a
# machine that has drifted further (slower, here, over a few minutes): run it again with the two
# swapped before believing a difference of a few percent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CORPUS=${1:?usage: compare.sh CORPUS BIN_A BIN_B [ROUNDS]}
A=${2:?usage: compare.sh CORPUS BIN_A BIN_B [ROUNDS]}
B=${3:?usage: compare.sh CORPUS BIN_A BIN_B [ROUNDS]}
ROUNDS=${4:-2}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-20}

if [[ -d $CORPUS ]]; then content=$CORPUS; else content=$(corpus_dir "$CORPUS"); fi
RUN=$(mktemp -d "$WORK/compare.XXXXXX")
trap 'stop_started; rm -rf "$RUN"' EXIT
mkdir -p "$WORK/bin"

for round in $(seq "$ROUNDS"); do
    for which in A B; do
        BIN=$RUN/fixkb-$which
        [[ -x $BIN ]] || cp "${!which}" "$BIN"
        FIXKB_EXTRA="--search-cache-mb 0" start_fixkb "$content" "$RUN/data" "$RUN/$which.log"
        url="http://127.0.0.1:$FIXKB_PORT"
        wrk -t2 -c64 -d"${WARMUP}s" -s "$LOAD_DIR/search.lua" "$url" >/dev/null
        before=$(cpu_ticks "$FIXKB_PID")
        out=$(wrk -t2 -c64 -d"${DURATION}s" -s "$LOAD_DIR/search.lua" "$url")
        after=$(cpu_ticks "$FIXKB_PID")
        stop_fixkb
        requests=$(awk '/requests in/ { print $1 }' <<<"$out")
        rate=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
        errors=$(grep -cE 'Non-2xx|Socket errors' <<<"$out" || true)
        ticks=$(getconf CLK_TCK)
        cpu=$(awk -v t="$((after - before))" -v n="$requests" -v hz="$ticks" 'BEGIN { printf "%.3f", t * 1000 / hz / n }')
        echo "round $round $which (${!which}): $rate req/s, $cpu ms of CPU a request, error lines $errors"
    done
done
