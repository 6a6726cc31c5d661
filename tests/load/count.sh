#!/usr/bin/env bash
# Counts the instructions uncached searches execute, with valgrind's callgrind: the same count
# for the same binary and queries whatever else the machine is doing, so a change of a few
# percent shows where timing (which drifts by 30-50% over minutes here) cannot.
#
#   tests/load/count.sh CONTENT INDEX [QUERIES [OUT]]
#
# CONTENT and INDEX as for the fresh-searches example (`target/bench-corpus/100000`,
# `target/bench-index/100000`), QUERIES a file of one query per line (by default the `q` values
# of the load mix, tests/load/search.lua), each searched once uncached. Loading runs with
# counting off, then every query is searched once more before counting starts (what a searcher
# reads once); the searches alone are counted. Prints the count of the searches (`search_with`,
# inclusive) and of their parts; the full profile is left in OUT (target/load/callgrind.out by
# default) for callgrind_annotate. Needs valgrind and a release build of the example (NO_BUILD=1
# to reuse it; EXAMPLE=path counts another build of it, to compare two). At 100k articles,
# loading under valgrind takes about five minutes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
content=$1 index=$2
out=${4:-$ROOT/target/load/callgrind.out}
mkdir -p "$(dirname "$out")"
if [[ ${NO_BUILD:-0} != 1 ]]; then
    (cd "$ROOT" && cargo build --release --example fresh-searches)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
queries=${3:-$work/mix.txt}
if [[ -z ${3:-} ]]; then
    python3 "$ROOT/tests/load/mix.py" "$ROOT/tests/load/search.lua" --queries >"$queries"
fi
FIXKB_START_AFTER="$work/start" valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$out" "${EXAMPLE:-$ROOT/target/release/examples/fresh-searches}" \
    "$content" "$index" --each "$queries" 1 2>"$work/log" &
pid=$!
until grep -q '^ready' "$work/log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
        cat "$work/log" >&2
        exit 1
    fi
    sleep 1
done
callgrind_control -i on "$pid" >/dev/null
touch "$work/start"
wait "$pid"
# The times are valgrind's (tens of times slower, the first query also pays for translating
# the code): only the counts below mean anything.
grep -v '^ready' "$work/log" | grep -v '^==' >&2 || true
python3 "$ROOT/tests/load/callgrind_parts.py" "$out" \
    "search_with=the searches" \
    "first_pass::first_pass_reading=first pass" \
    "by_word::ByWord::for_each_match=  reading word by word" \
    "facets::SegmentCounter as tantivy::collector::SegmentCollector>::collect_block=  facet counts" \
    "execute::coordinate=coordination" \
    "Snippeter::snippet=snippets" \
    "Builder::build=building the query" \
    "Slugs::get=slugs of the hits"
