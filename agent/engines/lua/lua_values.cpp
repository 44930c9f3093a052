#include "agent/engines/lua/lua_values.hpp"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstring>
#include <string>

namespace spoa::lua {

namespace {

// Longest address text: a full IPv6 address with an embedded IPv4 tail, plus margin.
constexpr std::size_t max_address_text = 64;

// Renders an address into `out` with spop::to_string (one canonical text for every engine and tool).
// The std::string must be gone before anything that can raise a Lua error (a longjmp would skip its
// destructor), hence the copy into a stack buffer. Returns 0 if the conversion itself failed.
template <typename Address>
std::size_t address_text(const Address& address, char (&out)[max_address_text]) noexcept {
  try {
    const std::string text = spop::to_string(address);
    const std::size_t n = std::min(text.size(), sizeof out);
    std::memcpy(out, text.data(), n);
    return n;
  } catch (...) {
    return 0;
  }
}

void push_address_text(lua_State* L, std::size_t length, const char* text) {
  if (length == 0) luaL_error(L, "cannot render an address argument (out of memory)");
  lua_pushlstring(L, text, length);
}

}  // namespace

int push_value(lua_State* L, const spop::Value& value) {
  char text[max_address_text];
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
      push_address_text(L, address_text(value.as_ipv4(), text), text);
      return 1;
    case spop::DataType::ipv6:
      push_address_text(L, address_text(value.as_ipv6(), text), text);
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

void push_arguments(lua_State* L, std::span<const spop::Argument> args) {
  const int count = static_cast<int>(std::min<std::size_t>(args.size(), INT_MAX));
  lua_createtable(L, count, 0);
  for (int i = 0; i < count; ++i) {
    const spop::Argument& arg = args[static_cast<std::size_t>(i)];
    lua_createtable(L, 0, 2);
    lua_pushlstring(L, arg.name.data(), arg.name.size());
    lua_setfield(L, -2, "name");
    if (push_value(L, arg.value) == 1) lua_setfield(L, -2, "value");
    lua_rawseti(L, -2, i + 1);
  }
}

}  // namespace spoa::lua
