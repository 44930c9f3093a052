-- An empty handler for the engine benchmark: the cost of a Lua call (arguments included) with no work.
spoa.register_message("check-client-ip", function(args) end)
