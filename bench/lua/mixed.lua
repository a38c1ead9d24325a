-- Mixed GraphQL traffic from the file named by WRK_MIX (written by bench/load.py), one
-- request shape a line, fields separated by tabs:
--   first <TAB> body                   a first page; its field is aliased t<N>, N its line
--   next  <TAB> N <TAB> head <TAB> tail the next page of t<N>: head .. cursor .. tail
--   node  <TAB> head <TAB> tail          one record: head .. id .. tail
-- Cursors and ids are taken from the replies, so next pages follow real walks (each cursor
-- is used once) and `node` asks for records that exist. A reply that is not HTTP 200 or
-- carries "errors" counts as bad; done() prints the run as one JSON line.
local firsts, nexts, node = {}, {}, nil
for line in io.lines(os.getenv("WRK_MIX")) do
  local fields = {}
  for field in string.gmatch(line, "[^\t]+") do
    table.insert(fields, field)
  end
  if fields[1] == "first" then
    table.insert(firsts, fields[2])
  elseif fields[1] == "next" then
    nexts[tonumber(fields[2])] = { fields[3], fields[4] }
  elseif fields[1] == "node" then
    node = { fields[2], fields[3] }
  end
end

local headers = { ["Content-Type"] = "application/json" }
local cursors, ids, next_id = {}, {}, 1
local MAX_IDS = 500

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(1000 + id)
  for n = 0, #firsts - 1 do
    cursors[n] = {}
  end
end

bad, sent_first, sent_next, sent_node, logged = 0, 0, 0, 0, 0

local function post(body)
  return wrk.format("POST", nil, headers, body)
end

function request()
  local roll = math.random()
  if roll < 0.2 and #ids > 0 then
    sent_node = sent_node + 1
    return post(node[1] .. ids[math.random(#ids)] .. node[2])
  end
  local n = math.random(#firsts) - 1
  local pending = cursors[n]
  if roll < 0.6 and #pending > 0 and nexts[n] then
    sent_next = sent_next + 1
    local cursor = table.remove(pending, math.random(#pending))
    return post(nexts[n][1] .. cursor .. nexts[n][2])
  end
  sent_first = sent_first + 1
  return post(firsts[n + 1])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
    if logged < 5 then
      logged = logged + 1
      io.write("WRK_BAD ", status, " ", string.sub(body, 1, 300), "\n")
    end
  end
  local n = string.match(body, '"t(%d+)":%s*{')
  if n then
    local pending = cursors[tonumber(n)]
    local cursor = string.match(body, '"endCursor":%s*"([^"]+)"')
    if cursor and #pending < 64 and string.find(body, '"hasNextPage":%s*true') then
      table.insert(pending, cursor)
    end
    local taken = 0
    for record in string.gmatch(body, '"id":%s*"([^"]+)"') do
      ids[next_id] = record
      next_id = next_id % MAX_IDS + 1
      taken = taken + 1
      if taken == 3 then
        break
      end
    end
  end
end

function done(summary, latency, requests)
  local sums = { bad = 0, first = 0, next = 0, node = 0 }
  for _, thread in ipairs(threads) do
    sums.bad = sums.bad + thread:get("bad")
    sums.first = sums.first + thread:get("sent_first")
    sums.next = sums.next + thread:get("sent_next")
    sums.node = sums.node + thread:get("sent_node")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "micros": %d, "p50": %d, "p99": %d, "max": %d, ' ..
    '"bad": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"sent_first": %d, "sent_next": %d, "sent_node": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, sums.bad, e.connect, e.read, e.write, e.timeout,
    sums.first, sums.next, sums.node))
end
