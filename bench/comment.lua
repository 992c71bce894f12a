-- POST a new comment per request (htmx), each with its own text and its own author:
-- wrk keeps no cookies, so the User-Agent is what makes each request another reader's
-- (the app then recognises a reader by network + browser). Without it every post would
-- come from one reader with hundreds of comments, whose own view is rendered for each.
-- Arguments: the form token, then an author name.
dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

local sentences = {
  "Полностью согласен с автором, давно пора было это обсудить.",
  "А где можно посмотреть полный текст соглашения? https://eec.eaeunion.org/news/",
  "Цены на рынке опять выросли, и никакие переговоры этого не меняют.",
  "Спасибо за статью, очень подробно и по делу.",
  "Мой сосед ездит в Алматы каждую неделю, говорит, что на границе стало быстрее.",
  "Интересно, что об этом думают в Оше и Джалал-Абаде.",
}

local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

setup = numbered_setup

init = function(args)
  token = args[1]
  name = encode(args[2])
  htmx_form_post()
end

request = function()
  counter = counter + 1
  local a = sentences[(counter % #sentences) + 1]
  local b = sentences[((counter * 7 + tid) % #sentences) + 1]
  local text = string.format("%s %s (читатель %d-%d)", a, b, tid, counter)
  local body = "token=" .. token .. "&name=" .. name .. "&text=" .. encode(text) .. "&website="
  wrk.headers["User-Agent"] = string.format("bench-author-%d-%d", tid, counter)
  return wrk.format(nil, nil, nil, body)
end
