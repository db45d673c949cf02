-- wrk script for bench/overhead: POSTs one JSON body and prints one machine-readable line.
-- BENCH_BODY: path of the request body; BENCH_AUTH: bearer token (empty for the bare mock);
-- BENCH_HEADERS: more headers, one "name: value" a line (the Portkey gateway's routing headers).
-- BENCH_UNIQUE: when set, every "@@N@@" in the body becomes BENCH_UNIQUE plus a running count,
-- so each request's text is new (no gateway may answer it from an analysis cache).
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_AUTH") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
for name, value in string.gmatch(os.getenv("BENCH_HEADERS") or "", "([^:\n]+): ([^\n]*)") do
  wrk.headers[name] = value
end

local unique = tonumber(os.getenv("BENCH_UNIQUE") or "")
if unique ~= nil then
  local template = wrk.body
  local count = 0
  function request()
    count = count + 1
    return wrk.format(nil, nil, nil, (string.gsub(template, "@@N@@", tostring(unique + count))))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,' ..
    '"errors_timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
