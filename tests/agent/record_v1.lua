-- spoa --record's tests, the script as recorded. Message "check" (argument path, e.g. "/item/17"):
-- txn.<prefix>.seq is the number at the end of the path, txn.<prefix>.score is 12. Message "slow" takes
-- 300 ms before it answers (so that a test can end its connection while it runs).
local txn = spoa.scope.txn

local function seq_of(args)
  for _, arg in ipairs(args) do
    if arg.name == "path" then return tonumber(arg.value:match("(%d+)$")) end
  end
  return 0
end

spoa.register_message("check", function(args)
  spoa.set_var_int32("score", txn, 12)
  spoa.set_var_int32("seq", txn, seq_of(args))
end)

spoa.register_message("slow", function(args)
  local until_ = os.clock() + 0.3
  while os.clock() < until_ do end
  spoa.set_var_boolean("slow", txn, true)
end)
