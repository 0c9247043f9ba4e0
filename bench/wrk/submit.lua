-- Load for the submission benchmark: every request POSTs one valid NPS answer with a submission
-- id no other request uses (run id, thread, counter), so each 2xx stores exactly one new row.
-- The same script drives the product's public endpoint and the baseline view (the URL differs).
-- Environment: BENCH_RUN_ID (prefix of the submission ids), BENCH_ORIGIN (sent as Origin).
-- done() prints one line "BENCH_RESULT {json}" that bench/run.py parses.

local threads = {}
local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local origin = os.getenv("BENCH_ORIGIN") or "https://shop.example.com"
local comments = { "Delivery was late", "Easy checkout", "Returns policy unclear", "Great support", "Too many steps" }

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
  wrk.headers["Origin"] = origin
end

-- A realistic NPS spread: about 25 % detractors (0–6), 30 % passives, 45 % promoters.
local function nps_score()
  local r = math.random()
  if r < 0.25 then return math.random(0, 6) end
  if r < 0.55 then return math.random(7, 8) end
  return math.random(9, 10)
end

function request()
  counter = counter + 1
  local sid = string.format("%s-%d-%d", run_id, tid, counter)
  local answers
  if math.random() < 0.3 then
    answers = string.format('{"score":%d,"comment":"%s"}', nps_score(), comments[math.random(#comments)])
  else
    answers = string.format('{"score":%d}', nps_score())
  end
  local body = string.format(
    '{"submission_id":"%s","answers":%s,"finished":true,"channel":"widget","locale":"en","page_url":"https://shop.example.com/checkout"}',
    sid, answers)
  return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
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
