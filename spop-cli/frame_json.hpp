// FrameModel <-> JSON: the --json output of `decode` and the input of `encode --json`, one shape for both
// so that a decoded frame can be edited and encoded again.
//
// A frame: {"offset", "length", "type": "NOTIFY", "type_id": 3, "flags": 1, "fin", "abort", "stream_id",
// "frame_id", then by type "kv": [{"key", "value"}], "messages": [{"name", "args": [{"name", "value"}]}],
// "actions": [{"action": "set-var", "scope": "txn", "name", "variable", "value"}] or "payload_hex";
// "trailing_hex", "error": {"offset", "reason"}, "notes": [...] when there are some}.
// A value: {"type": "int64", "value": -5}; "str" values are text (plus "hex" when they are not UTF-8),
// "bin" values are hex text, addresses are text, "null" has value null. A name that is not UTF-8 also
// gets a "<field>_hex" twin holding its exact bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "spop-cli/frame_model.hpp"

namespace spop_cli {

struct JsonOptions {
  /// When set, each action also gets "variable": HAProxy's name for it ("txn.<prefix>.<name>").
  std::optional<std::string> var_prefix;
  bool offsets = true;  ///< include "offset" fields
};

nlohmann::json value_to_json(const spop::Value& v, std::uint8_t type_byte = 0);
nlohmann::json frame_to_json(const FrameModel& frame, const JsonOptions& options = {});

/// Reads a value: an object as written by value_to_json, a typed string ("int32:5", the --arg syntax), a
/// JSON number (int64, or uint64 above its range), true/false, or null. Returns "" or the reason.
std::string value_from_json(const nlohmann::json& j, TypedValue& out, std::uint8_t& type_byte);

/// Reads a frame as written by frame_to_json; "offset", "length", "variable" and "error" are ignored,
/// LEN is computed. "type" may be a name ("notify", "AGENT-HELLO") or a number; "flags" defaults to FIN
/// (or is built from "fin"/"abort"); ids default to 0. Returns "" or "PATH: reason" (PATH like
/// "messages[0].args[1].value").
std::string frame_from_json(const nlohmann::json& j, FrameModel& out);

/// Dumps JSON that may hold bytes that are not UTF-8 (they are replaced; the "_hex" twins keep them).
std::string dump_json(const nlohmann::json& j, int indent = 2);

}  // namespace spop_cli
