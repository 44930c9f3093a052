-- Handler of the slow-io integration case: waits `ms` milliseconds in a blocking C call (socket.sleep
-- from Debian's lua-socket, as a blocking client library would), then sets txn io = id.
local socket = require("socket")

spoa.register_message("slow-io", function(args)
  local a = {}
  for _, arg in ipairs(args) do a[arg.name] = arg.value end
  socket.sleep((a.ms or 0) / 1000)
  spoa.set_var_str("io", spoa.scope.txn, a.id)
end)
