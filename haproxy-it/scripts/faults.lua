-- Fault handler of the integration tests (haproxy-it). Message "fault" with mode and id:
--   "error": sets txn before = id, then raises an error
--   "spin":  sets txn before = id, then loops forever (only the agent's call budget ends it)
--   other:   sets txn ok = id
local txn = spoa.scope.txn

spoa.register_message("fault", function(args)
  local a = {}
  for _, arg in ipairs(args) do a[arg.name] = arg.value end
  if a.mode == "error" then
    spoa.set_var_str("before", txn, a.id)
    error("deliberate fault for " .. a.id)
  elseif a.mode == "spin" then
    spoa.set_var_str("before", txn, a.id)
    while true do end
  else
    spoa.set_var_str("ok", txn, a.id)
  end
end)
