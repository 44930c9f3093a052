-- The handler spop-sim run's tests play against (spoa -f score.lua): message m1 sets txn.<prefix>.score
-- to the int32 42 and echoes its `n` argument as an int64.
spoa.register_message("m1", function(args)
  spoa.set_var_int32("score", spoa.scope.txn, 42)
  for _, arg in ipairs(args) do
    if arg.name == "n" then spoa.set_var_int64("n", spoa.scope.txn, arg.value) end
  end
end)
