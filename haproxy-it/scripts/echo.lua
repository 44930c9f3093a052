-- Echo handler of the integration tests (haproxy-it): every argument of message "echo" comes back as a
-- txn variable of the same name, set with the setter that the name's prefix (up to the first "_") names:
-- int64_neg -> spoa.set_var_int64, bin_c -> spoa.set_var_bin, null_missing -> spoa.set_var_null, ...
-- A second variable <name>_lt holds the Lua type the agent handed to the handler ("integer", "nil", ...).
local txn = spoa.scope.txn

local setters = {
  null = function(name) spoa.set_var_null(name, txn) end,
  bool = function(name, v) spoa.set_var_boolean(name, txn, v) end,
  int32 = function(name, v) spoa.set_var_int32(name, txn, v) end,
  uint32 = function(name, v) spoa.set_var_uint32(name, txn, v) end,
  int64 = function(name, v) spoa.set_var_int64(name, txn, v) end,
  uint64 = function(name, v) spoa.set_var_uint64(name, txn, v) end,
  ipv4 = function(name, v) spoa.set_var_ipv4(name, txn, v) end,
  ipv6 = function(name, v) spoa.set_var_ipv6(name, txn, v) end,
  str = function(name, v) spoa.set_var_str(name, txn, v) end,
  bin = function(name, v) spoa.set_var_bin(name, txn, v) end,
}

local function lua_type(v)
  return math.type(v) or type(v)
end

spoa.register_message("echo", function(args)
  for _, arg in ipairs(args) do
    local prefix = arg.name:match("^(%w+)_")
    local setter = prefix and setters[prefix]
    if not setter then
      error("echo: argument '" .. arg.name .. "' has no known type prefix")
    end
    setter(arg.name, arg.value)
    spoa.set_var_str(arg.name .. "_lt", txn, lua_type(arg.value))
  end
end)
