-- wrk script of `make bench` (bench/run.py sets these through the environment):
--   BENCH_TOKEN       sent as "Authorization: Bearer <token>" when set
--   BENCH_PATHS       paths to request in turn, separated by spaces (default: the URL's)
--   BENCH_STOP_AFTER  responses after which each wrk thread stops (default: none; -d rules)
-- When done it prints one line "BENCH_RESULT {json}" with the counts and the latency
-- percentiles in microseconds.

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.headers["Accept"] = "application/json"

local paths = {}
for path in string.gmatch(os.getenv("BENCH_PATHS") or "", "%S+") do
  table.insert(paths, path)
end

if #paths > 0 then
  local index = 0
  request = function()
    index = index % #paths + 1
    return wrk.format(nil, paths[index])
  end
end

local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "")
if stop_after then
  local seen = 0
  response = function(status, headers, body)
    seen = seen + 1
    if seen == stop_after then
      io.write("BENCH_STOPPED\n")
      io.flush()
      wrk.thread:stop()
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local fields = {
    string.format('"requests": %d', summary.requests),
    string.format('"duration_us": %d', summary.duration),
    string.format('"bytes": %d', summary.bytes),
    string.format('"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}',
      e.connect, e.read, e.write, e.status, e.timeout),
    string.format('"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d}',
      latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
      latency:percentile(99)),
  }
  io.write("BENCH_RESULT {" .. table.concat(fields, ", ") .. "}\n")
end
