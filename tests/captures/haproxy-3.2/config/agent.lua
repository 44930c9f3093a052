-- Agent of the 3.2 captures: check-client sets txn x = 1; host "slow.example.com" makes it busy for 800 ms
-- first (past `timeout processing 500ms`).
spoa.register_message("check-client", function(args)
  for _, a in ipairs(args) do
    if a.name == "host" and a.value == "slow.example.com" then
      local t = os.clock()
      while os.clock() - t < 0.8 do end
    end
  end
  spoa.set_var_int32("x", spoa.scope.txn, 1)
end)
