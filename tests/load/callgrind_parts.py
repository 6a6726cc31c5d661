"""Inclusive instruction counts of named functions in a callgrind profile (count.sh and
count_requests.sh print their parts with it).

    python3 callgrind_parts.py OUT [--per N] KEY=LABEL...

Each KEY is the end of a function's name as callgrind_annotate prints it; the first KEY is
the total the shares are of ("PROGRAM TOTALS" is the whole profile). callgrind_annotate lists a
function again under each file whose code was inlined into it, with part of its count, so each
function's largest count is kept. With --per N, each count is also divided by N.
"""
import re
import subprocess
import sys

args = sys.argv[1:]
out = args.pop(0)
per = None
if args[:1] == ["--per"]:
    per = int(args[1])
    args = args[2:]
parts = dict(a.split("=", 1) for a in args)
listing = subprocess.run(
    ["callgrind_annotate", "--inclusive=yes", "--threshold=100", "--auto=no", out],
    capture_output=True, text=True, check=True,
).stdout
best = {}
for line in listing.splitlines():
    m = re.match(r"\s*([0-9,]+) (?:\(\s*[0-9.]+%\)\s+)?(.*?)( \[.*\])?$", line)
    if not m:
        continue
    count, function = int(m.group(1).replace(",", "")), m.group(2)
    for key in parts:
        if function.endswith(key) or function.endswith(key + ">"):
            best[key] = max(best.get(key, 0), count)
total = best.get(next(iter(parts)), 0)
for key, label in parts.items():
    if key in best:
        each = f"  {best[key] // per:>11,}" if per else ""
        print(f"{best[key]:>14,}{each}  {100 * best[key] / max(total, 1):5.1f}%  {label}")
