-- wrk script: GET the tiles of a list (PATHS file, one path per line) round and round, the
-- threads taking turns (THREADS of them). TOKEN, if set, is sent as a bearer token.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local token = os.getenv("TOKEN")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  step = tonumber(os.getenv("THREADS") or "2")
  next_index = id
  headers = token and {["Authorization"] = "Bearer " .. token} or {}
end

function request()
  if next_index > #paths then next_index = id end
  local p = paths[next_index]
  next_index = next_index + step
  return wrk.format("GET", p, headers)
end
