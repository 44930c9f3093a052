-- The floor of the standard handler in Lua 5.4: the same eleven calls with the same arguments, to a C
-- function that does nothing (the standard library's rawequal) instead of spoa's setters. No binding of
-- the setters can cost less than this, whatever it does inside.
local txn = spoa.scope.txn
local noop = {}
for _, name in ipairs({"set_var_null", "set_var_boolean", "set_var_int32", "set_var_uint32", "set_var_int64",
                       "set_var_uint64", "set_var_ipv4", "set_var_ipv6", "set_var_str", "set_var_bin"}) do
  noop[name] = rawequal
end

spoa.register_message("check-client-ip", function(args)
  noop.set_var_null("null", txn)
  noop.set_var_boolean("boolean", txn, true)
  noop.set_var_int32("int32", txn, 1234)
  noop.set_var_uint32("uint32", txn, 1234)
  noop.set_var_int64("int64", txn, 1234)
  noop.set_var_uint64("uint64", txn, 1234)
  noop.set_var_ipv4("ipv4", txn, "127.0.0.1")
  noop.set_var_ipv6("ipv6", txn, "1::f")
  noop.set_var_str("str", txn, "1::f")
  noop.set_var_bin("bin", txn, "1::f")
  noop.set_var_int32("ip_score", spoa.scope.sess, math.random(1, 100))
end)
