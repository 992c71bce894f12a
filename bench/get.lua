-- GET the wrk URL; extra request headers come as script arguments "Name: value".
dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  for _, arg in ipairs(args) do
    local name, value = arg:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end
