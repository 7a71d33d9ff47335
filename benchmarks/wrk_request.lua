-- One request, sent over and over by wrk; what to send comes from the environment (set by bench_http.py):
--   BENCH_METHOD        GET or POST
--   BENCH_BODY_FILE     a file whose bytes are the request body (a whole case as JSON, or a form field)
--   BENCH_CONTENT_TYPE  the body's media type
--   BENCH_COOKIE        a Cookie header (the walk's encrypted token), or unset
-- done() prints one line, "BENCH_RESULT {json}", that bench_http.py reads: counts and latency in microseconds.

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local handle = assert(io.open(body_file, "rb"))
  wrk.body = handle:read("*a")
  handle:close()
  wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/octet-stream"
end

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
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
