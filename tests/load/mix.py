"""The search mix of tests/load/search.lua, one request per line, for the scripts that replay it
outside wrk (rate_urls.py imports it; count.sh runs it).

    python3 mix.py search.lua            # the query strings, as search.lua sends them (q=...)
    python3 mix.py search.lua --queries  # only the q values, decoded: one query per line
"""
import re
import sys
import urllib.parse


def requests(lua_path):
    """The query strings of the mix, in order."""
    return re.findall(r'^\s*"(q=[^"]*)",\s*$', open(lua_path).read(), re.M)


def queries(lua_path):
    """The q value of each request of the mix, decoded."""
    return [urllib.parse.parse_qs(r)["q"][0] for r in requests(lua_path)]


if __name__ == "__main__":
    lines = queries(sys.argv[1]) if "--queries" in sys.argv[2:] else requests(sys.argv[1])
    print("\n".join(lines))
