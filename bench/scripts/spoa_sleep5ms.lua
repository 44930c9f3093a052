-- Issue 22's waiting handler: spoa.sleep(0.005) (standing for a 5 ms lookup), then the standard
-- handler's eleven setters. The sleep suspends the handler's coroutine; its thread runs other calls.
local txn = spoa.scope.txn

spoa.register_message("check-client-ip", function(args)
  spoa.sleep(0.005)
  spoa.set_var_null("null", txn)
  spoa.set_var_boolean("boolean", txn, true)
  spoa.set_var_int32("int32", txn, 1234)
  spoa.set_var_uint32("uint32", txn, 1234)
  spoa.set_var_int64("int64", txn, 1234)
  spoa.set_var_uint64("uint64", txn, 1234)
  spoa.set_var_ipv4("ipv4", txn, "127.0.0.1")
  spoa.set_var_ipv6("ipv6", txn, "1::f")
  spoa.set_var_str("str", txn, "1::f")
  spoa.set_var_bin("bin", txn, "1::f")
  spoa.set_var_int32("ip_score", spoa.scope.sess, math.random(1, 100))
end)
