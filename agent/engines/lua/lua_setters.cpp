#include "agent/engines/lua/lua_setters.hpp"

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "agent/engines/lua/lua_context.hpp"
#include "agent/engines/lua/lua_errors.hpp"
#include "spop/ack_builder.hpp"
#include "spop/value.hpp"

// A note on C++ inside these functions: a Lua error is a longjmp, which must not cross a live object
// with a destructor, and a C++ exception must not cross Lua's C frames. So objects that own memory
// live only inside noexcept helpers, and every raise happens with plain pointers and integers.

namespace spoa::lua {

namespace {

constexpr int name_arg = 1;
constexpr int scope_arg = 2;
constexpr int value_arg = 3;

/// Where the action goes: checked arguments 1 (name) and 2 (scope).
struct Target {
  const char* name;  // Lua-owned, NUL-terminated, valid while the argument is on the stack
  std::size_t name_length;
  spop::Scope scope;
};

Target check_target(lua_State* L, const char* fn) {
  const int name_type = lua_type(L, name_arg);
  if (name_type != LUA_TSTRING && name_type != LUA_TNUMBER) raise_type_error(L, fn, name_arg, "string");
  Target target{};
  target.name = lua_tolstring(L, name_arg, &target.name_length);

  int is_integer = 0;
  const lua_Integer scope = lua_tointegerx(L, scope_arg, &is_integer);
  if (is_integer == 0) raise_type_error(L, fn, scope_arg, "scope 0..4");
  if (scope < 0 || scope > 4) {
    luaL_error(L, "%s: bad scope %I (expected 0..4, see spoa.scope)", fn, static_cast<LUAI_UACINT>(scope));
  }
  target.scope = static_cast<spop::Scope>(scope);
  return target;
}

/// Lua's integer rules: integers, integral floats and numeric strings pass; 1.5 and "x" do not.
lua_Integer check_integer(lua_State* L, const char* fn) {
  int is_integer = 0;
  const lua_Integer value = lua_tointegerx(L, value_arg, &is_integer);
  if (is_integer != 0) return value;
  if (lua_isnumber(L, value_arg) != 0) {
    luaL_error(L, "%s: value %s has no integer representation", fn, luaL_tolstring(L, value_arg, nullptr));
  }
  raise_type_error(L, fn, value_arg, "integer");
}

lua_Integer check_range(lua_State* L, const char* fn, const char* type, lua_Integer low, lua_Integer high) {
  const lua_Integer value = check_integer(L, fn);
  if (value < low || value > high) {
    luaL_error(L, "%s: value %I out of range for %s", fn, static_cast<LUAI_UACINT>(value), type);
  }
  return value;
}

/// A string argument; numbers become their Lua text, as lua_tolstring does. Binary-safe.
std::string_view check_bytes(lua_State* L, const char* fn) {
  const int type = lua_type(L, value_arg);
  if (type != LUA_TSTRING && type != LUA_TNUMBER) raise_type_error(L, fn, value_arg, "string");
  std::size_t length = 0;
  const char* bytes = lua_tolstring(L, value_arg, &length);
  return {bytes, length};
}

void require_handler(lua_State* L, const char* fn) {
  if (context(L).actions == nullptr) {
    luaL_error(L, "%s: no message is being handled (variables can only be set from a handler "
                  "registered with spoa.register_message)", fn);
  }
}

enum class Appended { yes, ack_full, failed };

/// Runs one AckBuilder append; `append` returns its spop::Errc.
template <typename Append>
Appended try_append(Append append) noexcept {
  try {
    const spop::Errc e = append();
    if (e == spop::Errc::ok) return Appended::yes;
    return e == spop::Errc::frame_too_big ? Appended::ack_full : Appended::failed;
  } catch (...) {  // std::bad_alloc while growing the ACK buffer
    return Appended::failed;
  }
}

void log_dropped(const LuaContext& ctx, const Target& target) noexcept {
  try {
    std::string text = "lua: variable ";
    text += spop::to_string(target.scope);
    text += '.';
    text.append(target.name, target.name_length);
    text += " not set: the ACK is full (max-frame-size reached)";
    if (ctx.call != nullptr) {
      text += " while handling ";
      text += ctx.call->message;
    }
    log_record(ctx, LogLevel::warning, text);
  } catch (...) {  // logging must never take the call down
  }
}

/// Raises the Lua error that matches a refused append.
int report(lua_State* L, const char* fn, const Target& target, Appended outcome) {
  if (outcome == Appended::yes) return 0;
  if (outcome == Appended::ack_full) {
    log_dropped(context(L), target);
    return luaL_error(L, "%s: variable '%s' not set: the ACK is full (max-frame-size reached)", fn, target.name);
  }
  return luaL_error(L, "%s: variable '%s' not set: cannot append to the ACK", fn, target.name);
}

int set(lua_State* L, const char* fn, const Target& target, const spop::Value& value) {
  spop::AckBuilder& ack = *context(L).actions;
  return report(L, fn, target, try_append([&] {
    return ack.set_var(target.scope, {target.name, target.name_length}, value);
  }));
}

/// Parses `text` through the one-entry cache of its family. Never throws (a parser that throws counts
/// as a refusal; a cache that cannot be updated is simply not updated).
template <typename Address>
bool parse_cached(ParsedAddress<Address>& cache, std::string_view text, bool (*parse)(std::string_view, Address&),
                  Address& out) noexcept {
  if (cache.valid && cache.text == text) {
    out = cache.address;
    return true;
  }
  try {
    if (!parse(text, out)) return false;
  } catch (...) {
    return false;
  }
  try {
    cache.valid = false;
    cache.text.assign(text);
    cache.address = out;
    cache.valid = true;
  } catch (...) {
  }
  return true;
}

/// set_var_ipv4 / set_var_ipv6: the value is address text, parsed by the core's parser.
template <typename Address>
int set_address(lua_State* L, const char* fn, const char* family, ParsedAddress<Address> LuaContext::*cache,
                bool (*parse)(std::string_view, Address&), spop::Value (*make)(const Address&) noexcept) {
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  const std::string_view text = check_bytes(L, fn);
  Address address{};
  if (!parse_cached(context(L).*cache, text, parse, address)) {
    return luaL_error(L, "%s: bad %s address '%s'", fn, family, lua_tostring(L, value_arg));
  }
  return set(L, fn, target, make(address));
}

// --- the functions of the table ---------------------------------------------------------------

int set_var_null(lua_State* L) {
  constexpr const char* fn = "set_var_null";
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  return set(L, fn, target, spop::Value::null());
}

int set_var_boolean(lua_State* L) {
  constexpr const char* fn = "set_var_boolean";
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  if (lua_type(L, value_arg) != LUA_TBOOLEAN) raise_type_error(L, fn, value_arg, "boolean");
  return set(L, fn, target, spop::Value::boolean(lua_toboolean(L, value_arg) != 0));
}

int set_var_int32(lua_State* L) {
  constexpr const char* fn = "set_var_int32";
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  const lua_Integer v = check_range(L, fn, "int32", std::numeric_limits<std::int32_t>::min(),
                                    std::numeric_limits<std::int32_t>::max());
  return set(L, fn, target, spop::Value::int32(static_cast<std::int32_t>(v)));
}

int set_var_uint32(lua_State* L) {
  constexpr const char* fn = "set_var_uint32";
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  const lua_Integer v = check_range(L, fn, "uint32", 0, std::numeric_limits<std::uint32_t>::max());
  return set(L, fn, target, spop::Value::uint32(static_cast<std::uint32_t>(v)));
}

int set_var_int64(lua_State* L) {
  constexpr const char* fn = "set_var_int64";
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  const lua_Integer v = check_integer(L, fn);  // every Lua integer is an int64
  return set(L, fn, target, spop::Value::int64(static_cast<std::int64_t>(v)));
}

int set_var_uint64(lua_State* L) {
  constexpr const char* fn = "set_var_uint64";
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  // Lua integers stop at 2^63-1, so that is also the largest uint64 a script can send.
  const lua_Integer v = check_range(L, fn, "uint64", 0, std::numeric_limits<lua_Integer>::max());
  return set(L, fn, target, spop::Value::uint64(static_cast<std::uint64_t>(v)));
}

int set_var_ipv4(lua_State* L) {
  return set_address<spop::Ipv4Address>(L, "set_var_ipv4", "IPv4", &LuaContext::parsed_ipv4, spop::parse_ipv4,
                                        spop::Value::ipv4);
}

int set_var_ipv6(lua_State* L) {
  return set_address<spop::Ipv6Address>(L, "set_var_ipv6", "IPv6", &LuaContext::parsed_ipv6, spop::parse_ipv6,
                                        spop::Value::ipv6);
}

int set_var_str(lua_State* L) {
  constexpr const char* fn = "set_var_str";
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  return set(L, fn, target, spop::Value::string(check_bytes(L, fn)));
}

int set_var_bin(lua_State* L) {
  constexpr const char* fn = "set_var_bin";
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  return set(L, fn, target, spop::Value::binary(check_bytes(L, fn)));
}

int unset_var(lua_State* L) {
  constexpr const char* fn = "unset_var";
  require_handler(L, fn);
  const Target target = check_target(L, fn);
  spop::AckBuilder& ack = *context(L).actions;
  return report(L, fn, target, try_append([&] {
    return ack.unset_var(target.scope, {target.name, target.name_length});
  }));
}

constexpr luaL_Reg setter_functions[] = {
    {"set_var_null", set_var_null},     {"set_var_boolean", set_var_boolean},
    {"set_var_int32", set_var_int32},   {"set_var_uint32", set_var_uint32},
    {"set_var_int64", set_var_int64},   {"set_var_uint64", set_var_uint64},
    {"set_var_ipv4", set_var_ipv4},     {"set_var_ipv6", set_var_ipv6},
    {"set_var_str", set_var_str},       {"set_var_bin", set_var_bin},
    {"unset_var", unset_var},           {nullptr, nullptr},
};

}  // namespace

const luaL_Reg* action_functions() noexcept { return setter_functions; }

}  // namespace spoa::lua
