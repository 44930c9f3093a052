-- print_r(value [, label]): prints any Lua value, tables expanded recursively with sorted keys.
-- A small helper for examples/ps_lua.lua, loaded with require("print_r") from the script's folder.

local function render_scalar(v)
  if type(v) == "string" then
    return string.format("%q", v)  -- binary-safe: NUL and control bytes come out escaped
  end
  return tostring(v)
end

-- Array part first (1..n in order), then the other keys sorted by their text.
local function sorted_keys(t)
  local keys, n = {}, #t
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local ordered = {}
  for i = 1, n do ordered[i] = i end
  for _, k in ipairs(keys) do ordered[#ordered + 1] = k end
  return ordered
end

local function render(v, indent, seen, out)
  if type(v) ~= "table" then
    out[#out + 1] = render_scalar(v)
    return
  end
  if seen[v] then
    out[#out + 1] = "<cycle " .. tostring(v) .. ">"
    return
  end
  seen[v] = true
  out[#out + 1] = "{\n"
  local inner = indent .. "  "
  for _, k in ipairs(sorted_keys(v)) do
    local key = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or "[" .. render_scalar(k) .. "]"
    out[#out + 1] = inner .. key .. " = "
    render(v[k], inner, seen, out)
    out[#out + 1] = ",\n"
  end
  out[#out + 1] = indent .. "}"
  seen[v] = nil
end

return function(value, label)
  local out = {}
  if label then out[1] = label .. " = " end
  render(value, "", {}, out)
  print(table.concat(out))
end
