-- The echo handler spop-cli's tests run in our agent (spoa -f echo.lua): message "echo" sends every argument
-- back as a txn variable of the same name (unnamed ones as argN). Lua values lose their SPOP type (every
-- integer is an integer, IPs are text, str and bin are strings), so a name prefix picks the setter:
-- i32_, u32_, i64_, u64_, ip4_, ip6_, str_, bin_, bool_; other names go by the Lua type.
local txn = spoa.scope.txn
local setters = {
  i32 = spoa.set_var_int32, u32 = spoa.set_var_uint32, i64 = spoa.set_var_int64, u64 = spoa.set_var_uint64,
  ip4 = spoa.set_var_ipv4, ip6 = spoa.set_var_ipv6, str = spoa.set_var_str, bin = spoa.set_var_bin,
  bool = spoa.set_var_boolean,
}

spoa.register_message("echo", function(args)
  for i, arg in ipairs(args) do
    local name = arg.name ~= "" and arg.name or ("arg" .. i)
    local setter = setters[name:match("^(%w+)_")]
    local v = arg.value
    if v == nil then
      spoa.set_var_null(name, txn)
    elseif setter then
      setter(name, txn, v)
    elseif type(v) == "boolean" then
      spoa.set_var_boolean(name, txn, v)
    elseif math.type(v) == "integer" then
      spoa.set_var_int64(name, txn, v)
    else
      spoa.set_var_str(name, txn, tostring(v))
    end
  end
end)

-- A score in 1..100 from the client address, like the standard example's ip_score.
spoa.register_message("check-client-ip", function(args)
  spoa.set_var_int32("ip_score", spoa.scope.sess, 42)
end)
