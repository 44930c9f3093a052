#include "agent/engines/lua/lua_values.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>

namespace spoa::lua {

namespace {

// Renders an address with spop::to_string (one canonical text for every engine and tool) into a
// fixed buffer. The std::string must be gone before anything that can raise a Lua error (a longjmp
// would skip its destructor), hence the copy. Returns 0 if the conversion failed.
template <typename Address, std::size_t N>
std::size_t render(const Address& address, char (&out)[N]) noexcept {
  try {
    const std::string text = spop::to_string(address);
    if (text.size() > N) return 0;
    std::memcpy(out, text.data(), text.size());
    return text.size();
  } catch (...) {
    return 0;
  }
}

template <typename Address, std::size_t N>
void push_address(lua_State* L, const Address& address, Address& cached, char (&text)[N], std::size_t& length) {
  if (length == 0 || !(address == cached)) {
    length = render(address, text);
    cached = address;
    if (length == 0) luaL_error(L, "cannot render an address argument");
  }
  lua_pushlstring(L, text, length);
}

}  // namespace

int push_value(lua_State* L, const spop::Value& value, AddressCache& cache) {
  switch (value.type()) {
    case spop::DataType::null:
      return 0;
    case spop::DataType::boolean:
      lua_pushboolean(L, value.as_bool() ? 1 : 0);
      return 1;
    case spop::DataType::int32:
    case spop::DataType::uint32:
    case spop::DataType::int64:
    case spop::DataType::uint64:
      static_assert(sizeof(lua_Integer) == sizeof(std::int64_t), "Lua integers must be 64-bit");
      lua_pushinteger(L, static_cast<lua_Integer>(value.as_int64()));
      return 1;
    case spop::DataType::ipv4:
      push_address(L, value.as_ipv4(), cache.v4, cache.v4_text, cache.v4_length);
      return 1;
    case spop::DataType::ipv6:
      push_address(L, value.as_ipv6(), cache.v6, cache.v6_text, cache.v6_length);
      return 1;
    case spop::DataType::string:
    case spop::DataType::binary: {
      const std::string_view bytes = value.as_bytes();
      lua_pushlstring(L, bytes.data(), bytes.size());
      return 1;
    }
  }
  return 0;  // a decoder never produces another type; treat it like NULL
}

void push_argument_tables(lua_State* L) {
  lua_createtable(L, 8, 0);  // args
  lua_createtable(L, 8, 0);  // pool
  lua_pushliteral(L, "name");
  lua_pushliteral(L, "value");
}

void push_arguments(lua_State* L, const ArgumentTables& tables, std::span<const spop::Argument> args,
                    std::size_t& previous_count, AddressCache& cache) {
  const lua_Integer count = static_cast<lua_Integer>(std::min<std::size_t>(args.size(), INT_MAX));
  for (lua_Integer i = 1; i <= count; ++i) {
    const spop::Argument& arg = args[static_cast<std::size_t>(i - 1)];
    if (lua_rawgeti(L, tables.pool, i) != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_createtable(L, 0, 2);
      lua_pushvalue(L, -1);
      lua_rawseti(L, tables.pool, i);
    }
    lua_pushvalue(L, tables.name_key);
    lua_pushlstring(L, arg.name.data(), arg.name.size());
    lua_rawset(L, -3);
    lua_pushvalue(L, tables.value_key);
    if (push_value(L, arg.value, cache) == 0) lua_pushnil(L);
    lua_rawset(L, -3);
    lua_rawseti(L, tables.array, i);
  }
  // Clear what the previous call (or the script) left above the new count.
  const auto stale = std::max<lua_Integer>(static_cast<lua_Integer>(previous_count),
                                           static_cast<lua_Integer>(lua_rawlen(L, tables.array)));
  for (lua_Integer i = count + 1; i <= stale; ++i) {
    lua_pushnil(L);
    lua_rawseti(L, tables.array, i);
  }
  previous_count = static_cast<std::size_t>(count);
  lua_pushvalue(L, tables.array);
}

}  // namespace spoa::lua
