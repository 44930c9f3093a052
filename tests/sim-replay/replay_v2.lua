-- spop-sim replay's tests, the changed script (see replay_v1.lua): the score is 40 when n is a multiple of
-- 10, legacy is no longer set, txn.<prefix>.fresh is true from n = 45 on, and n = 99 spins until the
-- agent's call budget ends the call.
local txn = spoa.scope.txn

spoa.register_message("check", function(args)
  local n = 0
  for _, arg in ipairs(args) do
    if arg.name == "n" then n = arg.value end
  end
  local score = n % 2 == 0 and 12 or 30
  if n % 10 == 0 then score = 40 end
  spoa.set_var_int32("score", txn, score)
  spoa.set_var_str("class", txn, n % 2 == 0 and "even" or "odd")
  if n >= 45 then spoa.set_var_boolean("fresh", txn, true) end
  if n == 99 then
    while true do end
  end
end)
