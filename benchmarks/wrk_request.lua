-- The requests wrk sends; what to send comes from the environment (set by bench_http.py):
--   BENCH_METHOD        GET or POST
--   BENCH_BODY_FILE     a file whose bytes are the request body (a whole case as JSON, or a form field)
--   BENCH_BODIES_FILE   or a file of bodies, one a line, sent in turn (round-robin over all of the
--                       thread's connections), so that consecutive requests differ
--   BENCH_CONTENT_TYPE  the body's media type
--   BENCH_COOKIE        a Cookie header (the walk's encrypted token), or unset
-- done() prints one line, "BENCH_RESULT {json}", that bench_http.py reads: counts and latency in microseconds.

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local content_type = os.getenv("BENCH_CONTENT_TYPE") or "application/octet-stream"

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local handle = assert(io.open(body_file, "rb"))
  wrk.body = handle:read("*a")
  handle:close()
  wrk.headers["Content-Type"] = content_type
end

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

local bodies = {}
local bodies_file = os.getenv("BENCH_BODIES_FILE")
if bodies_file and bodies_file ~= "" then
  for line in io.lines(bodies_file) do
    if line ~= "" then
      bodies[#bodies + 1] = line
    end
  end
  assert(#bodies > 0, "BENCH_BODIES_FILE holds no bodies")
  wrk.headers["Content-Type"] = content_type
  local requests = {}
  local next_one = 0
  -- wrk calls init() once the Host header is set, so the requests are formatted there, once each.
  init = function(args)
    for i, body in ipairs(bodies) do
      requests[i] = wrk.format(nil, nil, nil, body)
    end
  end
  request = function()
    next_one = next_one % #requests + 1
    return requests[next_one]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
