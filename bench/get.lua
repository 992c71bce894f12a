-- GET the wrk URL; extra request headers come as script arguments "Name: value".
-- An argument "POST <body>" sends that body as a POST instead (Isso's counts API).
dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  for _, arg in ipairs(args) do
    local body = arg:match("^POST (.*)$")
    local name, value = arg:match("^([^:]+):%s*(.*)$")
    if body then
      wrk.method = "POST"
      wrk.body = body
    elseif name then
      wrk.headers[name] = value
    end
  end
end
