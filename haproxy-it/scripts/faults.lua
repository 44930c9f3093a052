-- Fault handler of the integration tests (haproxy-it). Message "fault" with mode and id:
--   "error": sets txn before = id, then raises an error
--   "spin":  sets txn before = id, then loops forever (only the agent's call budget ends it)
--   other:   sets txn ok = id
--   With SPOA_FAULTS_SEEN naming a file, each "ok" id received is appended to it (faults-reload tells
--   requests HAProxy never sent to the agent from requests the agent failed).
local txn = spoa.scope.txn
local seen_path = os.getenv("SPOA_FAULTS_SEEN")
local seen = seen_path and assert(io.open(seen_path, "a"))

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
    if seen then
      seen:write(a.id, "\n")
      seen:flush()
    end
    spoa.set_var_str("ok", txn, a.id)
  end
end)
