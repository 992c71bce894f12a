-- POST a vote per request, each from a new voter (a distinct signed "pv" cookie).
-- Arguments: cookie file, first line of this run's block, lines per thread, token, option ids.
-- Thread n reads lines [first + n*per, first + (n+1)*per) of the file, so threads and runs
-- never share a voter; a thread that runs out of cookies starts over (those votes get 409).
dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

setup = numbered_setup

init = function(args)
  local path, first, per = args[1], tonumber(args[2]), tonumber(args[3])
  token = args[4]
  options = {}
  for id in string.gmatch(args[5], "%d+") do table.insert(options, id) end
  cookies = {}
  local lo = first + tid * per
  local hi = lo + per - 1
  local n = 0
  for line in io.lines(path) do
    if n > hi then break end
    if n >= lo then table.insert(cookies, line) end
    n = n + 1
  end
  htmx_form_post()
end

request = function()
  counter = counter + 1
  wrk.headers["Cookie"] = "pv=" .. cookies[((counter - 1) % #cookies) + 1]
  local body = "token=" .. token .. "&option=" .. options[(counter % #options) + 1]
  return wrk.format(nil, nil, nil, body)
end
