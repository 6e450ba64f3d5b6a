-- wrk script for benches/load.sh: cycles through a fixed list of queries
-- against deflect's JSON API, `/api/v1/search?q=` or `/api/v1/suggest?q=`
-- (the first word of a query plus half of its second, as someone typing),
-- or against Meilisearch's `/indexes/articles/search?q=` (`meili`: top 10;
-- `meili-snippets`: top 10 with a cropped, highlighted `text`).
-- The query stream is `questions` (whole customer messages: CovidFAQ's
-- user queries and BANKING77's `text` column, every CSV given), `titles`
-- (the first three words of 1,000 titles from the `/api/v1/articles` JSON
-- of the server under test: short phrases that find something) or `all`.
-- Any file may be missing. Usage:
--   wrk -s load.lua URL -- MODE STREAM TITLES_JSON COVID_JSON [BANKING_CSV...]
-- Each wrk thread starts at its own offset of one shuffled list, so a run
-- shorter than one pass asks every query once. At the end it prints one
-- `RESULT` line: distinct queries, requests/s, p50, p90, p99 and errors.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function read_file(path)
  if path == nil or path == "" then return nil end
  local f = io.open(path, "rb")
  if f == nil then return nil end
  local text = f:read("*a")
  f:close()
  return text
end

local function utf8_char(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then
    return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
  end
  return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

-- Minimal JSON scan: calls on_string(key, value) for every string value
-- that follows a key, and on_close() at the end of every object.
local function json_scan(text, on_string, on_close)
  local i, n = 1, #text
  local key, expect_value = nil, false
  while i <= n do
    local c = text:sub(i, i)
    if c == '"' then
      local out, j = {}, i + 1
      while j <= n do
        local d = text:sub(j, j)
        if d == '"' then break end
        if d == "\\" then
          local e = text:sub(j + 1, j + 1)
          if e == "u" then
            table.insert(out, utf8_char(tonumber(text:sub(j + 2, j + 5), 16) or 32))
            j = j + 6
          else
            local map = { n = "\n", t = "\t", r = "\r", b = "\b", f = "\f" }
            table.insert(out, map[e] or e)
            j = j + 2
          end
        else
          table.insert(out, d)
          j = j + 1
        end
      end
      local s = table.concat(out)
      i = j + 1
      if expect_value then
        on_string(key, s)
        expect_value = false
      else
        key = s
      end
    else
      if c == ":" then
        expect_value = true
      elseif c == "," or c == "[" or c == "{" then
        expect_value = false
      elseif c == "}" then
        expect_value = false
        on_close()
      end
      i = i + 1
    end
  end
end

-- RFC 4180: quoted fields may hold commas, line breaks and "" for a quote.
local function parse_csv(text)
  local rows, row, field = {}, {}, {}
  local i, n, quoted, started = 1, #text, false, false
  while i <= n do
    local c = text:sub(i, i)
    if quoted then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then
          table.insert(field, '"')
          i = i + 1
        else
          quoted = false
        end
      else
        table.insert(field, c)
      end
    elseif c == '"' then
      quoted, started = true, true
    elseif c == "," then
      table.insert(row, table.concat(field))
      field, started = {}, true
    elseif c == "\n" then
      if started or #field > 0 then
        table.insert(row, table.concat(field))
        table.insert(rows, row)
      end
      row, field, started = {}, {}, false
    elseif c ~= "\r" then
      table.insert(field, c)
      started = true
    end
    i = i + 1
  end
  if started or #field > 0 then
    table.insert(row, table.concat(field))
    table.insert(rows, row)
  end
  return rows
end

local function squash(s)
  return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function words(s)
  local out = {}
  for w in s:gmatch("%S+") do table.insert(out, w) end
  return out
end

-- First word plus the first half (at least 2 bytes) of the second, cut on
-- a UTF-8 character boundary.
local function prefix(q)
  local w = words(q)
  local function half(x)
    local k = math.min(#x, math.max(2, math.ceil(#x / 2)))
    while k < #x do
      local b = x:byte(k + 1)
      if b < 0x80 or b >= 0xC0 then break end
      k = k + 1
    end
    return x:sub(1, k)
  end
  if #w == 0 then return nil end
  if #w == 1 then
    if #w[1] < 2 then return nil end
    return half(w[1])
  end
  return w[1] .. " " .. half(w[2])
end

function init(args)
  local mode = args[1] or "search"
  local stream = args[2] or "all"
  local queries = {}
  local function add(q)
    q = squash(q)
    if #q > 0 and #q <= 500 then table.insert(queries, q) end
  end

  local titles_json = read_file(args[3])
  if titles_json and stream ~= "questions" then
    local titles = {}
    json_scan(titles_json, function(k, v) if k == "title" then table.insert(titles, v) end end, function() end)
    local step = math.max(1, math.floor(#titles / 1000))
    local taken = 0
    for i = 1, #titles, step do
      if taken == 1000 then break end
      local w = words(titles[i])
      add(table.concat({ w[1], w[2], w[3] }, " "))
      taken = taken + 1
    end
  end

  local covid = stream ~= "titles" and read_file(args[4])
  if covid then
    local obj = {}
    json_scan(covid, function(k, v) obj[k] = v end, function()
      if obj.query_type == "user_query" and obj.question then add(obj.question) end
      obj = {}
    end)
  end

  for a = 5, #args do
    local banking = stream ~= "titles" and read_file(args[a])
    if banking then
      local rows = parse_csv(banking)
      local col = 1
      for j, h in ipairs(rows[1] or {}) do if h == "text" then col = j end end
      for r = 2, #rows do if rows[r][col] then add(rows[r][col]) end end
    end
  end

  -- The same message twice (BANKING77 repeats a few) is one query.
  local seen, unique = {}, {}
  for _, q in ipairs(queries) do
    if not seen[q] then seen[q] = true; table.insert(unique, q) end
  end
  queries = unique

  if #queries == 0 then
    for _, q in ipairs({ "reset password", "change email address", "billing invoice", "cancel subscription" }) do add(q) end
  end

  -- The same fixed shuffle in every thread; each thread starts elsewhere.
  math.randomseed(42)
  for i = #queries, 2, -1 do
    local j = math.random(i)
    queries[i], queries[j] = queries[j], queries[i]
  end

  requests = {}
  for _, q in ipairs(queries) do
    if mode == "suggest" then
      local p = prefix(q)
      if p then table.insert(requests, wrk.format("GET", "/api/v1/suggest?q=" .. urlencode(p))) end
    elseif mode == "meili" then
      table.insert(requests, wrk.format("GET", "/indexes/articles/search?limit=10&q=" .. urlencode(q)))
    elseif mode == "meili-snippets" then
      table.insert(requests, wrk.format("GET", "/indexes/articles/search?limit=10&attributesToCrop=text&cropLength=30&attributesToHighlight=text&q=" .. urlencode(q)))
    else
      table.insert(requests, wrk.format("GET", "/api/v1/search?q=" .. urlencode(q)))
    end
  end
  nrequests = #requests
  -- LOAD_THREADS (set by load.sh) threads, each starting its own share.
  local nthreads = math.max(1, tonumber(os.getenv("LOAD_THREADS") or "2") or 2)
  next_request = (id * math.floor(#requests / nthreads)) % #requests + 1
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local distinct = threads[1] and threads[1]:get("nrequests") or 0
  io.write(string.format(
    "RESULT distinct_queries=%d requests=%d rps=%.0f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    distinct, summary.requests, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
