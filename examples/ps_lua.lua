-- The standard example of the spoa script API (Lua): HAProxy sends message "check-client-ip" for each
-- HTTP request (spoe-ps.conf) with the unnamed arguments always_true int(1234) src ipv6(::55) req.fhdr(host).
-- The handler prints them, sets one variable of every type, and gives the session a random ip_score,
-- which haproxy-ps.cfg turns into a redirect to /<ip_score>.
--
--   spoa -f examples/ps_lua.lua      (print_r.lua is found next to this file, whatever the current folder)

local print_r = require("print_r")

local txn = spoa.scope.txn

spoa.register_message("check-client-ip", function(args)
  print_r(args, "check-client-ip args")

  -- HAProxy sees these as txn.iprep.<name> (option var-prefix iprep).
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

  -- sess.iprep.ip_score: read by haproxy-ps.cfg for the redirect.
  spoa.set_var_int32("ip_score", spoa.scope.sess, math.random(1, 100))
end)
