"""URLs for tests/load/rate.sh: the search mix of search.lua, with SHARE% of the lines new
three-word queries (every combination of words.txt, shuffled), for oha --urls-from-file, which
picks a line at random for each request.

    python3 rate_urls.py BASE_URL SHARE search.lua words.txt OUT
"""
import itertools, random, sys

from mix import requests

base, share, lua, words_file, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
mix = requests(lua)
words = [w.strip() for w in open(words_file) if w.strip()]
rng = random.Random(7)
fresh = ["q=" + "%20".join(c) for c in itertools.product(words, repeat=3)]
rng.shuffle(fresh)
if share == 0:
    lines = mix
elif share == 100:
    lines = fresh
else:
    n_mix = len(fresh) * (100 - share) // share
    lines = fresh + [mix[i % len(mix)] for i in range(n_mix)]
with open(out, "w") as f:
    for q in lines:
        f.write(f"{base}/api/search?{q}\n")
print(len(mix), len(fresh), len(lines))
