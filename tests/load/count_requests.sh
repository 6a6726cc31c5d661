#!/usr/bin/env bash
# Counts the instructions the server executes for whole uncached requests (the search, the
# JSON, the compression, HTTP), with valgrind's callgrind, where count.sh counts the searches
# alone: the same count on every run, whatever else the machine is doing.
#
#   tests/load/count_requests.sh CORPUS [PATHS [OUT]]
#
# CORPUS: a content folder, "starter" or a generated size (see run.sh). PATHS: a file of
# site-relative paths, one per line (by default `/api/search?` and each request of the load
# mix, tests/load/search.lua). fixkb first builds its index natively, then runs under callgrind
# with the answer cache off; each path is requested once to warm it (what a searcher reads
# once), then once more with counting on, with the Accept-Encoding oha and browsers send.
# WARM=N requests each path N times before counting (1 by default): a boost clause is kept only
# once probing it has cost about what reading it does, which for a common one takes many
# sightings, so the steady state of a served mix needs a few hundred.
# Prints the count per request and of its main parts; the full profile is left in OUT
# (target/load/callgrind-requests.out by default) for callgrind_annotate. Needs valgrind and
# curl; NO_BUILD=1 reuses the binary, FIXKB_BIN=path counts another build (to compare two).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CORPUS=${1:?usage: count_requests.sh CORPUS [PATHS [OUT]]}
out=${3:-$WORK/callgrind-requests.out}
build_release
RUN=$(mktemp -d "$WORK/count.XXXXXX")
trap 'stop_started; rm -rf "$RUN"' EXIT
if [[ -d $CORPUS ]]; then content=$CORPUS; else content=$(corpus_dir "$CORPUS"); fi
paths=${2:-$RUN/paths.txt}
if [[ -z ${2:-} ]]; then
    python3 "$LOAD_DIR/mix.py" "$LOAD_DIR/search.lua" | sed 's|^|/api/search?|' >"$paths"
fi

log "building the index natively"
start_fixkb "$content" "$RUN/data" "$RUN/native.log"
stop_fixkb

log "starting fixkb under callgrind"
FIXKB_WRAPPER="valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$out" \
    FIXKB_EXTRA="--search-cache-mb 0" start_fixkb "$content" "$RUN/data" "$RUN/valgrind.log"
pid=$FIXKB_PID port=$FIXKB_PORT

request_all() {
    local path
    while read -r path; do
        curl -s -o /dev/null -H 'Accept-Encoding: gzip, br' "http://127.0.0.1:$port$path"
    done <"$paths"
}
for _ in $(seq "${WARM:-1}"); do request_all; done
callgrind_control -i on "$pid" >/dev/null
request_all
# Work a response leaves behind (the search log's writer) finishes within a moment.
sleep 2
callgrind_control -i off "$pid" >/dev/null
stop_started

n=$(grep -c . "$paths")
echo "$n requests; instructions, per request and share:"
python3 "$LOAD_DIR/callgrind_parts.py" "$out" --per "$n" \
    "PROGRAM TOTALS=everything" \
    "SearchIndex>::search_with=  the searches" \
    "Serialize for fixkb::search::SearchResponse>::serialize=  the answers serialized (JSON)" \
    "encoding::Encoded::get=  compression (kept bodies and answers)" \
    "compression_utils::WrapBody<M> as http_body::Body>::poll_frame=  compression (the layer)" \
    "fixkb::http::views::render=  HTML rendered" \
    "sqlite3_step=  SQLite (the search log)"
