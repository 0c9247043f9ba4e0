-- Load for the ingestion benchmark: Segment calls with a messageId no other request uses (run id,
-- thread, counter), so each acknowledged event stores exactly one new row.
-- Environment: BENCH_RUN_ID (prefix of the messageIds), BENCH_AUTHORIZATION (the header the SDKs
-- send: "Basic " + base64 of "<write key>:"), BENCH_MODE ("batch": POST /v1/batch with
-- BENCH_BATCH events; "track": POST /v1/track with one), BENCH_USERS (user ids bu0 … bu<n-1>,
-- known profiles, picked at random).
-- done() prints one line "BENCH_RESULT {json}" that bench/ingest.py parses.

local threads = {}
local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local authorization = os.getenv("BENCH_AUTHORIZATION") or ""
local mode = os.getenv("BENCH_MODE") or "batch"
local batch_size = tonumber(os.getenv("BENCH_BATCH") or "100")
local users = tonumber(os.getenv("BENCH_USERS") or "20000")
-- The first four match the tracking plan's rules (bench/ingest.py), the rest match none.
local names = { "Product Viewed", "Added to Cart", "Checkout Started", "Order Completed", "Search", "Scrolled",
  "Video Played", "Banner Closed" }
local skus = { "SKU-101", "SKU-202", "SKU-303", "SKU-404", "SKU-505" }

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  ok = 0
  failed = 0
  first_error = ""
  math.randomseed(os.time() * 1000 + tid)
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = authorization
  if mode == "batch" then
    wrk.path = "/v1/batch"
  else
    wrk.path = "/v1/track"
  end
end

local function event_json(now)
  counter = counter + 1
  -- Skewed towards the funnel's top, as real traffic is.
  local r = math.random()
  local name
  if r < 0.35 then name = names[1]
  elseif r < 0.5 then name = names[2]
  elseif r < 0.57 then name = names[3]
  elseif r < 0.6 then name = names[4]
  else name = names[math.random(5, #names)] end
  return string.format(
    '{"type":"track","event":"%s","userId":"bu%d","messageId":"%s-%d-%d","timestamp":"%s",' ..
    '"properties":{"sku":"%s","price":%d.%02d,"currency":"EUR"},' ..
    '"context":{"library":{"name":"analytics-python","version":"2.4.0"},"ip":"203.0.113.%d","locale":"en-GB"}}',
    name, math.random(0, users - 1), run_id, tid, counter, now, skus[math.random(#skus)],
    math.random(5, 300), math.random(0, 99), math.random(1, 254))
end

function request()
  local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local body
  if mode == "batch" then
    local events = {}
    for i = 1, batch_size do events[i] = event_json(now) end
    body = '{"batch":[' .. table.concat(events, ",") .. '],"sentAt":"' .. now .. '"}'
  else
    body = event_json(now)
    body = body:sub(1, -2) .. ',"sentAt":"' .. now .. '"}'
  end
  return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    failed = failed + 1
    if first_error == "" then
      first_error = tostring(status) .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

local function json_string(s)
  return '"' .. string.gsub(s, '[%c"\\]', " ") .. '"'
end

function done(summary, latency, requests)
  local total_ok, total_failed, err = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_ok = total_ok + (thread:get("ok") or 0)
    total_failed = total_failed + (thread:get("failed") or 0)
    local e = thread:get("first_error") or ""
    if err == "" then err = e end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"ok":%d,"failed":%d,' ..
    '"socket_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"first_error":%s}\n',
    summary.requests, summary.duration, total_ok, total_failed,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    json_string(err)))
end
