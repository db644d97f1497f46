# Sourced by the load scripts: wrk_script <body file> "<path> <path>..." prints a wrk Lua script
# that POSTs the body as JSON, rotating over the paths.
wrk_script() {
  cat <<LUA
local f = io.open("$1", "rb"); local body = f:read("*a"); f:close()
local paths = {}; for p in string.gmatch("$2", "%S+") do table.insert(paths, p) end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("POST", paths[i], {["Content-Type"] = "application/json"}, body)
end
LUA
}
