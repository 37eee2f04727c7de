-- wrk script: POST /api/workers/{id}/position for workers WMIN..WMAX (a dispatcher's TOKEN), places
-- over Qu County in WGS84, the server's clock as the time.
local token = os.getenv("TOKEN")
local first, last = tonumber(os.getenv("WMIN")), tonumber(os.getenv("WMAX"))
math.randomseed(11)
request = function()
  local body = string.format('{"lon":%.6f,"lat":%.6f,"accuracy_m":8}', 106.70 + math.random() * 0.50, 30.70 + math.random() * 0.50)
  return wrk.format("POST", "/api/workers/" .. math.random(first, last) .. "/position",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
