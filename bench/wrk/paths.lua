-- wrk script of the web benchmarks: GET the paths listed in a file (wrk's first argument
-- after --), one per line, in order and round, the threads (their number is the second
-- argument) starting evenly spread over the list; at
-- the end print one line "WRK_JSON {...}" with the counts and latency percentiles that
-- bench/serving.py reads.

local paths = {}
local next_path = 0
local threads = 0

function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  -- spread the threads over the list so they do not ask for the same path together
  local count = tonumber(args[2]) or 1
  next_path = math.floor((thread_index or 0) * #paths / count) % #paths
end

function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
