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

template <typename Address>
void push_address(lua_State* L, const Address& address) {
  char text[48];
  const std::size_t length = render(address, text);
  if (length == 0) luaL_error(L, "cannot render an address argument");
  lua_pushlstring(L, text, length);
}

// Values longer than Lua's short strings are neither interned by Lua nor likely to repeat: comparing
// them would cost more than it saves.
constexpr std::size_t max_cached_length = 40;

/// The bytes that identify a value's string for SlotCache::value; false when it is not cached.
/// For addresses these are the wire bytes (the text is derived from them).
bool cache_key(const spop::Value& value, char& type, std::string_view& bytes) noexcept {
  type = static_cast<char>(value.type());
  switch (value.type()) {
    case spop::DataType::ipv4: {
      const auto& b = value.as_ipv4().bytes;
      bytes = {reinterpret_cast<const char*>(b.data()), b.size()};
      return true;
    }
    case spop::DataType::ipv6: {
      const auto& b = value.as_ipv6().bytes;
      bytes = {reinterpret_cast<const char*>(b.data()), b.size()};
      return true;
    }
    case spop::DataType::string:
    case spop::DataType::binary:
      bytes = value.as_bytes();
      return bytes.size() <= max_cached_length;
    default:
      return false;
  }
}

bool same_key(const std::string& cached, char type, std::string_view bytes) noexcept {
  return cached.size() == bytes.size() + 1 && cached[0] == type &&
         std::memcmp(cached.data() + 1, bytes.data(), bytes.size()) == 0;
}

/// After a miss: the string on top of the stack goes to strings[k], then the C++ copy of its key is
/// updated (in this order, so that a memory error in between leaves the old pair consistent).
void remember(lua_State* L, int strings, lua_Integer k, std::string& key, bool& cached, char type,
              std::string_view bytes, bool typed) {
  lua_pushvalue(L, -1);
  lua_rawseti(L, strings, k);
  try {
    if (typed) {
      key.assign(1, type);
      key.append(bytes);
    } else {
      key.assign(bytes);
    }
    cached = true;
  } catch (...) {  // no memory for the copy: this slot is just not cached
    cached = false;
  }
}

void push_name(lua_State* L, int strings, lua_Integer i, SlotCache* slot, std::string_view name) {
  if (slot != nullptr && slot->name_cached && slot->name.size() == name.size() &&
      std::memcmp(slot->name.data(), name.data(), name.size()) == 0) {
    lua_rawgeti(L, strings, 2 * i - 1);
    return;
  }
  lua_pushlstring(L, name.data(), name.size());
  if (slot != nullptr && name.size() <= max_cached_length) {
    remember(L, strings, 2 * i - 1, slot->name, slot->name_cached, 0, name, false);
  }
}

void push_argument_value(lua_State* L, int strings, lua_Integer i, SlotCache* slot, const spop::Value& value) {
  char type = 0;
  std::string_view bytes;
  if (slot == nullptr || !cache_key(value, type, bytes)) {
    if (push_value(L, value) == 0) lua_pushnil(L);
    return;
  }
  if (slot->value_cached && same_key(slot->value, type, bytes)) {
    lua_rawgeti(L, strings, 2 * i);
    return;
  }
  push_value(L, value);  // a string: never NULL here
  remember(L, strings, 2 * i, slot->value, slot->value_cached, type, bytes, true);
}

}  // namespace

int push_value(lua_State* L, const spop::Value& value) {
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
      push_address(L, value.as_ipv4());
      return 1;
    case spop::DataType::ipv6:
      push_address(L, value.as_ipv6());
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
  lua_createtable(L, 16, 0);  // strings
}

void push_arguments(lua_State* L, const ArgumentTables& tables, std::span<const spop::Argument> args,
                    std::size_t& previous_count, ArgumentCache& cache) {
  const lua_Integer count = static_cast<lua_Integer>(std::min<std::size_t>(args.size(), INT_MAX));
  // Slots beyond what the cache could grow to are served uncached (only without memory).
  std::size_t cached_slots = cache.slots.size();
  if (cached_slots < args.size()) {
    try {
      cache.slots.resize(std::min<std::size_t>(args.size(), 256));
    } catch (...) {
    }
    cached_slots = cache.slots.size();
  }
  for (lua_Integer i = 1; i <= count; ++i) {
    const auto index = static_cast<std::size_t>(i - 1);
    const spop::Argument& arg = args[index];
    SlotCache* slot = index < cached_slots ? &cache.slots[index] : nullptr;
    if (lua_rawgeti(L, tables.pool, i) != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_createtable(L, 0, 2);
      lua_pushvalue(L, -1);
      lua_rawseti(L, tables.pool, i);
    }
    lua_pushvalue(L, tables.name_key);
    push_name(L, tables.strings, i, slot, arg.name);
    lua_rawset(L, -3);
    lua_pushvalue(L, tables.value_key);
    push_argument_value(L, tables.strings, i, slot, arg.value);
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
