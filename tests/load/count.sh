#!/usr/bin/env bash
# Counts the instructions uncached searches execute, with valgrind's callgrind: the same count
# for the same binary and queries whatever else the machine is doing, so a change of a few
# percent shows where timing (which drifts by 30-50% over minutes here) cannot.
#
#   tests/load/count.sh CONTENT INDEX QUERIES [OUT]
#
# CONTENT and INDEX as for the fresh-searches example (`target/bench-corpus/100000`,
# `target/bench-index/100000`), QUERIES a file of one query per line, each searched once
# uncached. Loading runs with counting off; the searches alone are counted. Prints the total and
# the inclusive counts of the search's parts; the full profile is left in OUT
# (target/load/callgrind.out by default) for callgrind_annotate. Needs valgrind and a release
# build of the example (NO_BUILD=1 to reuse it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
content=$1 index=$2 queries=$3
out=${4:-$ROOT/target/load/callgrind.out}
mkdir -p "$(dirname "$out")"
if [[ ${NO_BUILD:-0} != 1 ]]; then
    (cd "$ROOT" && cargo build --release --example fresh-searches)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
FIXKB_START_AFTER="$work/start" valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$out" "$ROOT/target/release/examples/fresh-searches" \
    "$content" "$index" --each "$queries" 1 2>"$work/log" &
pid=$!
until grep -q '^ready' "$work/log"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        cat "$work/log" >&2
        exit 1
    fi
    sleep 1
done
callgrind_control -i on "$pid" >/dev/null
touch "$work/start"
wait "$pid"
grep -v '^ready' "$work/log" | grep -v '^==' >&2 || true
callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
    grep -E 'PROGRAM TOTALS|search_with|first_pass|execute::rescore|execute::coordinate|Snippeter::snippet|Builder::build|break_ties|suggest' |
    head -20
