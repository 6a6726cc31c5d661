-- A realistic mix of /api/search requests: symptoms in plain words, error codes, event IDs,
-- service and cmdlet names, typos, product filters, a second results page and a few queries
-- that match nothing. Each wrk thread starts at a different place in the list. Paths given after
-- `--` on the wrk command line join the mix (the soak mixes article pages in this way).
-- FRESH=N (environment, a percentage): N% of the requests are instead a query never asked
-- before, three words drawn from tests/load/words.txt, so the cache of recent answers cannot help them.
local queries = {
  "q=print%20spooler%20stops%20responding",
  "q=dns%20client%20times%20out",
  "q=0x80070005",
  "q=access%20denied",
  "q=event%207034",
  "q=wsus%20server%20fails%20to%20start",
  "q=cluster%20service%20hangs%20during%20shutdown",
  "q=kerberos%20rejects%20valid%20credentials",
  "q=bits",
  "q=iis%20application%20pool%20crashes",
  "q=spooler%20crahses",
  "q=sql%20server%20agent%20leaks%20memory&product=SQL%20Server%202019",
  "q=high%20cpu&product=Windows%20Server%202019",
  "q=after%20installing%20a%20cumulative%20update",
  "q=task%20offload",
  "q=hyper-v%20network%20connectivity%20lost",
  "q=dfsr%20fails%20to%20replicate&tag=replication",
  "q=Restart-Spooler",
  "q=HKLM%5CSYSTEM%5CCurrentControlSet%5CServices",
  "q=vss%20backup%20times%20out&limit=20",
  "q=group%20policy%20client&offset=10",
  "q=%22fails%20to%20start%22%20netlogon",
  "q=winrm%20listener%20drops%20connections",
  "q=xenserver",
  "q=bitlocker%20reports%20corrupted%20data",
  "q=windows%20time%20service%20runs%20very%20slowly",
  "q=certificate%20services%20loses%20its%20configuration",
  "q=zzqx%20nothing%20matches%20this",
  "q=storage%20spaces%20when%20the%20system%20drive%20is%20almost%20full",
  "q=remote%20desktop%20gateway",
  "q=exchange%20transport&product=Exchange%20Server%202016",
  "q=smb",
}

-- The words of new queries, one per line, shared with the fresh-searches example. FIXKB_WORDS
-- names the file (run.sh and connections.sh set it); by default it is found from the repository.
local function read_words()
  local list = {}
  local file = io.open(os.getenv("FIXKB_WORDS") or "tests/load/words.txt")
  if file then
    for line in file:lines() do
      if line ~= "" then
        list[#list + 1] = line
      end
    end
    file:close()
  end
  return list
end
local words = read_words()
local fresh = tonumber(os.getenv("FRESH") or "0") or 0
assert(fresh == 0 or #words > 0, "FRESH needs the word list: set FIXKB_WORDS to tests/load/words.txt")

local requests = {}
local counter = 0
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count * 7)
  thread_count = thread_count + 1
end

function init(args)
  for i, q in ipairs(queries) do
    requests[i] = wrk.format("GET", "/api/search?" .. q)
  end
  for _, path in ipairs(args) do
    requests[#requests + 1] = wrk.format("GET", path)
  end
  counter = offset or 0
  math.randomseed(os.time() + (offset or 0))
end

function request()
  counter = counter + 1
  if fresh > 0 and math.random(100) <= fresh then
    local q = {}
    for i = 1, 3 do
      q[i] = words[math.random(#words)]
    end
    return wrk.format("GET", "/api/search?q=" .. table.concat(q, "%20"))
  end
  return requests[(counter % #requests) + 1]
end
