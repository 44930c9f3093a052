-- The test message of `spop-sim conform` (see docs/conformance.md): spop-conformance-echo.
-- For each argument, in order, set a txn variable with the argument's name and value. The name starts
-- with the value's type (null, bool, int32, uint32, int64, uint64, ipv4, ipv6, str, bin), optionally
-- followed by "_" and a suffix: Lua sees every integer as an integer and addresses and both string types
-- as strings, so the name picks the setter.
--
--   spoa -f examples/conformance.lua            then: spop-sim conform -p 12345

local txn = spoa.scope.txn

local setters = {
  null = function(name) spoa.set_var_null(name, txn) end,
  bool = function(name, v) spoa.set_var_boolean(name, txn, v) end,
  int32 = function(name, v) spoa.set_var_int32(name, txn, v) end,
  uint32 = function(name, v) spoa.set_var_uint32(name, txn, v) end,
  int64 = function(name, v) spoa.set_var_int64(name, txn, v) end,
  -- A UINT64 above 2^63-1 reaches Lua as a negative integer. Sent back as INT64 it keeps the same 64
  -- bits, which is all HAProxy reads (it decodes every integer type into one int64).
  uint64 = function(name, v)
    if v < 0 then spoa.set_var_int64(name, txn, v) else spoa.set_var_uint64(name, txn, v) end
  end,
  ipv4 = function(name, v) spoa.set_var_ipv4(name, txn, v) end,
  ipv6 = function(name, v) spoa.set_var_ipv6(name, txn, v) end,
  str = function(name, v) spoa.set_var_str(name, txn, v) end,
  bin = function(name, v) spoa.set_var_bin(name, txn, v) end,
}

spoa.register_message("spop-conformance-echo", function(args)
  for _, arg in ipairs(args) do
    local set = setters[arg.name:match("^[^_]*")]
    if set then
      -- The setter fails once the ACK is full (max-frame-size): keep what fitted and stop there.
      if not pcall(set, arg.name, arg.value) then return end
    end
  end
end)
