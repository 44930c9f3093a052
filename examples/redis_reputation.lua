-- IP reputation lookup in Redis, through a spoa.tcp() socket and its keepalive pool (docs/lua.md,
-- "Handlers that wait"). For every request HAProxy sends message "ip-reputation" with the client's
-- address (argument ip); the handler reads key "rep:<ip>" from Redis and sets txn.<prefix>.score to
-- the number stored there (0 when the address is unknown, -1 when Redis could not answer).
--
-- Redis is at SPOA_REDIS_HOST:SPOA_REDIS_PORT (default 127.0.0.1:6379). The handler waits for Redis
-- without holding its executor thread: while it waits, the thread runs other calls. Connections are
-- reused (setkeepalive), so a lookup costs one round trip, not a connect.
local host = os.getenv("SPOA_REDIS_HOST") or "127.0.0.1"
local port = tonumber(os.getenv("SPOA_REDIS_PORT") or "6379")

-- One GET in Redis' protocol (RESP): the reply is "$<length>\r\n<bytes>\r\n", or "$-1\r\n" for none.
local function redis_get(key)
  local sock = spoa.tcp()
  sock:settimeout(0.2)                      -- each operation; the call's --call-budget bounds it too
  local ok, err = sock:connect(host, port)  -- a pooled connection when there is one
  if not ok then return nil, "connect: " .. err end
  ok, err = sock:send({"*2\r\n$3\r\nGET\r\n$", #key, "\r\n", key, "\r\n"})
  if not ok then return nil, "send: " .. err end
  local header, err = sock:receive("*l")
  if not header then return nil, "receive: " .. err end
  local length = tonumber(header:match("^%$(%-?%d+)$"))
  if not length then return nil, "unexpected reply: " .. header end
  local value = nil
  if length >= 0 then
    value, err = sock:receive(length + 2)   -- the bytes and their CRLF
    if not value then return nil, "receive: " .. err end
    value = value:sub(1, length)
  end
  sock:setkeepalive(30, 100)                -- back to this thread's pool: idle 30 s, at most 100
  return value
end

spoa.register_message("ip-reputation", function(args)
  local ip
  for _, arg in ipairs(args) do
    if arg.name == "ip" then ip = arg.value end
  end
  if not ip then return end
  local value, err = redis_get("rep:" .. ip)
  if err then
    spoa.log("warning", "reputation of " .. ip .. " unknown: " .. err)
    spoa.set_var_int32("score", spoa.scope.txn, -1)
    return
  end
  spoa.set_var_int32("score", spoa.scope.txn, tonumber(value) or 0)
end)
