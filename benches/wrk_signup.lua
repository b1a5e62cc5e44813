-- wrk script for benches/throughput.rs: every request is a real SignUp
-- with a fresh username, the same body bulk-signup sends for the rows of
-- benches/common (write_users), so the emulator creates a user each time
-- instead of answering UsernameExistsException.
-- Usage: wrk -t2 -c64 -d10s -s wrk_signup.lua ENDPOINT -- CLIENT_ID
local threads = {}
local count = 0

function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  client_id = args[1]
  prefix = "w" .. tid .. "x"
  n = 0
  ok = 0
  other = 0
end

function request()
  n = n + 1
  local user = string.format("%s%08d", prefix, n)
  local body = string.format(
    '{"ClientId":"%s","Username":"%s","Password":"Pw%d-Secret#x","UserAttributes":['
      .. '{"Name":"email","Value":"%s%d@example.com"},'
      .. '{"Name":"given_name","Value":"Given%d"},'
      .. '{"Name":"family_name","Value":"Family%d"},'
      .. '{"Name":"phone_number","Value":"+1415%07d"},'
      .. '{"Name":"birthdate","Value":"19%02d-%02d-%02d"},'
      .. '{"Name":"custom:tier","Value":"gold"}]}',
    client_id, user, n, prefix, n, n % 977, n % 1231, n % 10000000,
    50 + n % 50, 1 + n % 12, 1 + n % 28)
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.1",
    ["X-Amz-Target"] = "AWSCognitoIdentityProviderService.SignUp",
  }, body)
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_other = total_other + thread:get("other")
  end
  io.write(string.format("wrk-answers ok=%d other=%d\n", total_ok, total_other))
end
