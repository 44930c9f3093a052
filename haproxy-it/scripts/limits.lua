-- Frame-limit handler of the integration tests (haproxy-it). Message "limits" with size (int) and mode:
--   mode "set":  set txn big = payload(size); if the agent refuses it, the call goes on and records the
--                error: ok = false and err = the error text (else ok = true).
--   mode "fill": try sizes size, size-1, ... until the agent accepts one: the largest variable that fits.
-- payload(n) is "0123456789abcdef" repeated and cut to n bytes (the test recomputes its SHA-1).
local txn = spoa.scope.txn

local function payload(n)
  return string.rep("0123456789abcdef", n // 16 + 1):sub(1, n)
end

local function argument(args, name)
  for _, arg in ipairs(args) do
    if arg.name == name then return arg.value end
  end
end

spoa.register_message("limits", function(args)
  local size, mode = argument(args, "size"), argument(args, "mode")
  if mode == "fill" then
    for n = size, 0, -1 do
      if pcall(spoa.set_var_str, "big", txn, payload(n)) then return end
    end
    error("limits: not even an empty variable fits")
  end
  local ok, err = pcall(spoa.set_var_str, "big", txn, payload(size))
  spoa.set_var_boolean("ok", txn, ok)
  if not ok then
    spoa.set_var_str("err", txn, tostring(err):sub(1, 200))
  end
end)
