// SPOP values to Lua values, and the `args` array a handler receives (script-api.md, "Callback").
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <lua.hpp>

#include "spop/value.hpp"

namespace spoa::lua {

/// What the previous call pushed for one argument slot. Names and many values repeat from one request
/// to the next (HAProxy's unnamed arguments, the client address, the Host header): a repeated one is
/// pushed from the Lua string kept in the `strings` table instead of being rendered, hashed and
/// interned again, which costs more than all the rest of an argument.
struct SlotCache {
  std::string name;   ///< bytes of the name kept at strings[2i-1] (when name_cached)
  std::string value;  ///< type byte + wire bytes of the value whose text is kept at strings[2i]
  bool name_cached = false;
  bool value_cached = false;
};

/// The per-slot caches of one state (only values short enough to be worth comparing are cached).
struct ArgumentCache {
  std::vector<SlotCache> slots;
};

/// Pushes one SPOP value, or nothing for NULL; returns how many values were pushed (0 or 1).
///
/// BOOL -> boolean; INT32/UINT32/INT64/UINT64 -> integer with all 64 wire bits (a UINT64 above
/// 2^63-1 therefore reads as a negative integer); IPV4/IPV6 -> address text (spop::to_string);
/// STRING/BINARY -> string. May raise a Lua error (memory), so call it only under lua_pcall.
int push_value(lua_State* L, const spop::Value& value);

/// The tables behind `args`, created once per state and refilled for every call.
///
/// A fresh array of fresh tables costs about ten allocations for five arguments, more than the rest
/// of a call together; refilling costs none. The price: `args` and its entries are valid during the
/// call only. A script that keeps them sees the next call's values (the values themselves, strings and
/// numbers, are immutable and may be kept). Each call resets what a script is likely to have changed:
/// indices 1..n hold our entry tables again with `name` and `value` rewritten (rawset: metatables a
/// script set are bypassed), and indices from n+1 up to the previous call's count or the array's
/// current length are cleared. Other keys a script adds to these tables stay.
struct ArgumentTables {
  int array;      ///< stack index of the `args` array
  int pool;       ///< stack index of the table holding entry table i at index i
  int name_key;   ///< stack index of the string "name"
  int value_key;  ///< stack index of the string "value"
  int strings;    ///< stack index of the table of cached strings (SlotCache)
};

/// Pushes five new values in the order of ArgumentTables' members (for upvalues of a C closure).
/// May raise a Lua error (memory).
void push_argument_tables(lua_State* L);

/// Refills the tables with `args` and pushes the array. `previous_count` is the count of the
/// previous call (updated). May raise a Lua error (memory), so call it only under lua_pcall.
void push_arguments(lua_State* L, const ArgumentTables& tables, std::span<const spop::Argument> args,
                    std::size_t& previous_count, ArgumentCache& cache);

}  // namespace spoa::lua
