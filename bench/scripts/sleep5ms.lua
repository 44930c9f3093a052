-- A handler that blocks 5 ms in a C call (socket.sleep from Debian's lua-socket), standing for a
-- blocking client library: it holds its executor thread (and its Lua state) while it waits.
local socket = require("socket")

spoa.register_message("check-client-ip", function(args)
  socket.sleep(0.005)
  spoa.set_var_int32("slept", spoa.scope.txn, 5)
end)
