-- Shared by get.lua and vote.lua: per-thread status counts and one JSON result line.
threads = {}
statuses = {}

function count_status(status)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function report(summary, latency)
  local counts = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses") or {}
    for k, v in pairs(s) do counts[k] = (counts[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(counts) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %.0f, "p90_us": %.0f, '
      .. '"p99_us": %.0f, "max_us": %.0f, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ", ")))
end

-- For scripts whose threads need a number ("tid", from 0) and that POST htmx forms.
local next_tid = 0

function numbered_setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function htmx_form_post()
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["HX-Request"] = "true"
end

-- wrk's hooks, the same for every script that loads this file.
response = function(status, headers, body)
  count_status(status)
end

done = function(summary, latency, requests)
  report(summary, latency)
end

-- Pacing: with BENCH_RATE set (requests per second for each wrk thread), each thread
-- spaces its requests evenly over its connections instead of sending as fast as the
-- server answers. A thread that falls behind catches up by at most one second.
local rate = tonumber(os.getenv("BENCH_RATE") or "")
if rate then
  local ffi = require("ffi")
  ffi.cdef([[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clk_id, bench_timespec *tp);
  ]])
  local ts = ffi.new("bench_timespec")
  local interval = 1000 / rate
  local next_at = nil

  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end

  delay = function()
    local now = now_ms()
    if next_at == nil or next_at < now - 1000 then next_at = now end
    next_at = next_at + interval
    return math.max(0, math.floor(next_at - now))
  end
end
