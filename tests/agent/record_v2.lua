-- spoa --record's tests, the changed script (see record_v1.lua): the score is 40 when the request number
-- is a multiple of 10, 12 otherwise; everything else is unchanged.
local txn = spoa.scope.txn

local function seq_of(args)
  for _, arg in ipairs(args) do
    if arg.name == "path" then return tonumber(arg.value:match("(%d+)$")) end
  end
  return 0
end

spoa.register_message("check", function(args)
  local seq = seq_of(args)
  spoa.set_var_int32("score", txn, seq % 10 == 0 and 40 or 12)
  spoa.set_var_int32("seq", txn, seq)
end)
