-- Issue 22's second benchmark row: a GET of one key from a local redis-server through spoa.tcp() with
-- its keepalive pool (one round trip per call, no connect), then one setter. Redis is at
-- 127.0.0.1:SPOA_REDIS_PORT (bench/run-wait-bench.sh starts it).
local port = tonumber(os.getenv("SPOA_REDIS_PORT") or "6379")
local request = "*2\r\n$3\r\nGET\r\n$9\r\nbench:key\r\n"

spoa.register_message("check-client-ip", function(args)
  local sock = spoa.tcp()
  assert(sock:connect("127.0.0.1", port))
  assert(sock:send(request))
  local header = assert(sock:receive("*l"))
  local length = tonumber(header:sub(2))
  local value = length >= 0 and assert(sock:receive(length + 2)):sub(1, length) or nil
  sock:setkeepalive(60, 256)
  spoa.set_var_int32("score", spoa.scope.txn, tonumber(value) or 0)
end)
