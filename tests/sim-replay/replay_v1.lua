-- spop-sim replay's tests, the script as recorded. Message "check" (args ip and n): txn.<prefix>.score is
-- 12 for an even n and 30 for an odd one, txn.<prefix>.class "even" or "odd", and txn.<prefix>.legacy
-- "yes" when n is 13.
local txn = spoa.scope.txn

spoa.register_message("check", function(args)
  local n = 0
  for _, arg in ipairs(args) do
    if arg.name == "n" then n = arg.value end
  end
  spoa.set_var_int32("score", txn, n % 2 == 0 and 12 or 30)
  spoa.set_var_str("class", txn, n % 2 == 0 and "even" or "odd")
  if n == 13 then spoa.set_var_str("legacy", txn, "yes") end
end)
