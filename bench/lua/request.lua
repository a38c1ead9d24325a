-- Sends one request over and over: a POST of the JSON body in the file named by WRK_BODY,
-- or a GET when there is none; WRK_AUTHORIZATION, when set, is its Authorization header.
-- A reply that is not HTTP 200 or carries "errors" counts as bad; done() prints the run as
-- one JSON line for bench/wrk_runner.py.
local body_file = os.getenv("WRK_BODY")
if body_file then
  local file = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  file:close()
  wrk.headers["Content-Type"] = "application/json"
end
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization then
  wrk.headers["Authorization"] = authorization
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

bad = 0
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "micros": %d, "p50": %d, "p99": %d, "max": %d, ' ..
    '"bad": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, total_bad, e.connect, e.read, e.write, e.timeout))
end
