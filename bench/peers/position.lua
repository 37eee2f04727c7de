-- wrk script: POST /api/workers/{id}/position as the workers' own phones would, each with its own
-- token (PHONES: a file of "worker_id token" lines), places over Qu County in WGS84, the server's
-- clock as the time.
local phones = {}
for line in io.lines(os.getenv("PHONES")) do
  local id, token = line:match("^(%d+) (%S+)$")
  if id then phones[#phones + 1] = {id, token} end
end
math.randomseed(11)
request = function()
  local p = phones[math.random(#phones)]
  local body = string.format('{"lon":%.6f,"lat":%.6f,"accuracy_m":8}', 106.70 + math.random() * 0.50, 30.70 + math.random() * 0.50)
  return wrk.format("POST", "/api/workers/" .. p[1] .. "/position",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. p[2]}, body)
end
