-- wrk script: GET each tile of a list (PATHS file, one path per line), the threads taking turns.
-- ONCE=1: each tile once, then the thread stops (cold tiles); otherwise round and round (cached).
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local once = os.getenv("ONCE") == "1"
local token = os.getenv("TOKEN")
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  threads[#threads + 1] = thread
end

function init(args)
  step = tonumber(os.getenv("THREADS") or "2")
  next_index = id
  headers = token and {["Authorization"] = "Bearer " .. token} or {}
end

function request()
  if next_index > #paths then
    if once then wrk.thread:stop() end
    next_index = id
  end
  local p = paths[next_index]
  next_index = next_index + step
  return wrk.format("GET", p, headers)
end
