-- wrk script: POST /api/cases with places spread over Qu County (WGS84). TOKEN from the environment.
local token = os.getenv("TOKEN")
local categories = {"labour", "land", "neighbour", "family", "property", "consumer", "traffic", "debt", "other"}
math.randomseed(7)
request = function()
  local lon = 106.70 + math.random() * 0.50
  local lat = 30.70 + math.random() * 0.50
  local body = string.format('{"category":"%s","description":"bench","channel":"qr","location":{"type":"Point","coordinates":[%.6f,%.6f]},"parties":[{"name":"甲"}]}',
    categories[math.random(#categories)], lon, lat)
  return wrk.format("POST", "/api/cases", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
