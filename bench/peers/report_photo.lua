-- wrk script: POST /api/reports, multipart/form-data with the photo in PHOTO (a file), at a place
-- LON, LAT of the county (from the environment).
local f = assert(io.open(os.getenv("PHOTO"), "rb"))
local photo = f:read("*a")
f:close()
local boundary = "wanggebenchboundary7MA4YWxkTrZu0gW"
local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end
local body = field("category", "neighbour") .. field("description", "bench 楼上漏水") .. field("lon", os.getenv("LON"))
  .. field("lat", os.getenv("LAT")) .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\n"
  .. "Content-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n--" .. boundary .. "--\r\n"
request = function()
  return wrk.format("POST", "/api/reports", {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, body)
end
