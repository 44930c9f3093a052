#include "spop-cli/frame_json.hpp"

#include <functional>
#include <limits>

#include "spop-cli/arg_parse.hpp"
#include "spop/haproxy_connection.hpp"

namespace spop_cli {

using nlohmann::json;

namespace {

// Text fields: UTF-8 as it is; anything else lossy in `key` plus its exact bytes in `key_hex`.
void put_text(json& j, const std::string& key, const std::string& s) {
  j[key] = s;
  if (!is_valid_utf8(s)) j[key + "_hex"] = encode_hex(s);
}

// The inverse: `key_hex` wins when present.
std::string get_text(const json& j, const std::string& key, std::string& out) {
  if (auto h = j.find(key + "_hex"); h != j.end()) {
    if (!h->is_string() || !decode_hex(h->get<std::string>(), out)) return key + "_hex: not hex text";
    return {};
  }
  auto it = j.find(key);
  if (it == j.end()) {
    out.clear();
    return {};
  }
  if (!it->is_string()) return key + ": not a string";
  out = it->get<std::string>();
  return {};
}

std::string action_name(std::uint8_t type) {
  if (type == 1) return "set-var";
  if (type == 2) return "unset-var";
  return std::to_string(type);
}

}  // namespace

json value_to_json(const spop::Value& v, std::uint8_t type_byte) {
  json j;
  j["type"] = std::string(spop::to_string(v.type()));
  switch (v.type()) {
    case spop::DataType::null:
      j["value"] = nullptr;
      break;
    case spop::DataType::boolean:
      j["value"] = v.as_bool();
      break;
    case spop::DataType::int32:
    case spop::DataType::int64:
      j["value"] = v.as_int64();
      break;
    case spop::DataType::uint32:
    case spop::DataType::uint64:
      j["value"] = v.as_uint64();
      break;
    case spop::DataType::ipv4:
      j["value"] = spop::to_string(v.as_ipv4());
      break;
    case spop::DataType::ipv6:
      j["value"] = spop::to_string(v.as_ipv6());
      break;
    case spop::DataType::string: {
      const std::string s(v.as_bytes());
      j["value"] = s;
      if (!is_valid_utf8(s)) j["hex"] = encode_hex(s);
      break;
    }
    case spop::DataType::binary:
      j["value"] = encode_hex(v.as_bytes());
      break;
  }
  if (type_byte != 0 && type_byte != canonical_type_byte(v)) j["type_byte"] = type_byte;
  return j;
}

json frame_to_json(const FrameModel& f, const JsonOptions& options) {
  json j;
  if (options.offsets) j["offset"] = f.offset;
  j["length"] = f.length;
  if (f.bad_header) {
    j["trailing_hex"] = encode_hex(f.trailing);
  } else {
    j["type"] = frame_type_name(f.type);
    j["type_id"] = f.type;
    j["flags"] = f.flags;
    j["fin"] = (f.flags & spop::frame_flags::fin) != 0;
    j["abort"] = (f.flags & spop::frame_flags::abort) != 0;
    j["stream_id"] = f.stream_id;
    j["frame_id"] = f.frame_id;
  }
  const auto with_offset = [&](json item, std::size_t offset) {
    if (options.offsets) item["offset"] = offset;
    return item;
  };
  if (!f.bad_header) {
    switch (f.kind) {
      case PayloadKind::kv: {
        json items = json::array();
        for (const KvEntry& kv : f.kv) {
          json item;
          put_text(item, "key", kv.key);
          item["value"] = value_to_json(kv.value.view(), kv.type_byte);
          items.push_back(with_offset(std::move(item), kv.offset));
        }
        j["kv"] = std::move(items);
        break;
      }
      case PayloadKind::messages: {
        json messages = json::array();
        for (const MessageEntry& m : f.messages) {
          json msg;
          put_text(msg, "name", m.name);
          json args = json::array();
          for (const ArgEntry& a : m.args) {
            json arg;
            put_text(arg, "name", a.name);
            arg["value"] = value_to_json(a.value.view(), a.type_byte);
            args.push_back(with_offset(std::move(arg), a.offset));
          }
          msg["args"] = std::move(args);
          messages.push_back(with_offset(std::move(msg), m.offset));
        }
        j["messages"] = std::move(messages);
        break;
      }
      case PayloadKind::actions: {
        json actions = json::array();
        for (const ActionEntry& a : f.actions) {
          json act;
          act["action"] = action_name(a.type);
          act["scope"] = std::string(spop::to_string(static_cast<spop::Scope>(a.scope)));
          put_text(act, "name", a.name);
          if (options.var_prefix) {
            act["variable"] = spop::variable_name(static_cast<spop::Scope>(a.scope), *options.var_prefix, a.name);
          }
          if (a.type == 1) act["value"] = value_to_json(a.value.view(), a.type_byte);
          actions.push_back(with_offset(std::move(act), a.offset));
        }
        j["actions"] = std::move(actions);
        break;
      }
      case PayloadKind::raw:
        j["payload_hex"] = encode_hex(f.raw);
        break;
    }
    if (!f.trailing.empty()) j["trailing_hex"] = encode_hex(f.trailing);
  }
  if (f.issue) j["error"] = {{"offset", f.issue->offset}, {"reason", f.issue->reason}};
  if (!f.notes.empty()) j["notes"] = f.notes;
  return j;
}

// ---- reading -------------------------------------------------------------------------------

namespace {

std::string value_from_object(const json& j, TypedValue& out, std::uint8_t& type_byte) {
  auto t = j.find("type");
  if (t == j.end() || !t->is_string()) return "\"type\" is missing (null, bool, int32, ..., str, bin)";
  const std::string type = t->get<std::string>();
  const json v = j.value("value", json());
  if (auto tb = j.find("type_byte"); tb != j.end()) {
    if (!tb->is_number_unsigned() || tb->get<std::uint64_t>() > 255) return "\"type_byte\" must be 0-255";
    type_byte = tb->get<std::uint8_t>();
  }
  if (type == "null") {
    out = TypedValue{};
    return {};
  }
  if (type == "bool") {
    if (!v.is_boolean()) return "a bool value must be true or false";
    out = TypedValue(spop::Value::boolean(v.get<bool>()));
    return {};
  }
  std::string text;
  if (type == "str") {
    if (auto h = j.find("hex"); h != j.end()) {
      if (!h->is_string() || !decode_hex(h->get<std::string>(), text)) return "\"hex\": not hex text";
      out = TypedValue(spop::Value::string(text));
      return {};
    }
    if (!v.is_string()) return "a str value must be a JSON string";
    out = TypedValue(spop::Value::string(v.get<std::string>()));
    return {};
  }
  if (type == "bin") {
    if (!v.is_string() || !decode_hex(v.get<std::string>(), text)) return "a bin value must be hex text";
    out = TypedValue(spop::Value::binary(text));
    return {};
  }
  // An INT32 or UINT32 given as a JSON number may use all 64 bits the wire carries (HAProxy reads every
  // integer as 64 bits): decode prints a UINT32 whose varint is larger as that larger number, and it must
  // encode back to the same bytes. Decode prints signed types as signed numbers and unsigned ones as
  // unsigned: anything else, and text values, go through the --arg syntax, which checks ranges.
  const bool fits_int64 = v.is_number_integer() &&
                          (!v.is_number_unsigned() ||
                           v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
  if (type == "int32" && fits_int64) {
    out = TypedValue(spop::Value::integer(spop::DataType::int32, static_cast<std::uint64_t>(v.get<std::int64_t>())));
    return {};
  }
  if (type == "uint32" && v.is_number_unsigned()) {
    out = TypedValue(spop::Value::integer(spop::DataType::uint32, v.get<std::uint64_t>()));
    return {};
  }
  if (v.is_number_integer()) {
    text = v.is_number_unsigned() ? std::to_string(v.get<std::uint64_t>()) : std::to_string(v.get<std::int64_t>());
  } else if (v.is_string()) {
    text = v.get<std::string>();
  } else {
    return "the value of a " + type + " must be a " + (type == "ipv4" || type == "ipv6" ? "string" : "JSON integer");
  }
  return parse_typed_value(type + ":" + text, out);
}

}  // namespace

std::string value_from_json(const json& j, TypedValue& out, std::uint8_t& type_byte) {
  type_byte = 0;
  if (j.is_null()) {
    out = TypedValue{};
    return {};
  }
  if (j.is_boolean()) {
    out = TypedValue(spop::Value::boolean(j.get<bool>()));
    return {};
  }
  if (j.is_number_unsigned() &&
      j.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    out = TypedValue(spop::Value::uint64(j.get<std::uint64_t>()));
    return {};
  }
  if (j.is_number_integer()) {
    out = TypedValue(spop::Value::int64(j.get<std::int64_t>()));
    return {};
  }
  if (j.is_string()) return parse_typed_value(j.get<std::string>(), out);
  if (j.is_object()) return value_from_object(j, out, type_byte);
  return "a value must be an object {\"type\", \"value\"}, a typed string (\"int32:5\"), a number, a bool or null";
}

namespace {

std::string read_header(const json& j, FrameModel& f) {
  if (auto t = j.find("type_id"); t != j.end()) {
    if (!t->is_number_unsigned() || t->get<std::uint64_t>() > 255) return "type_id: must be 0-255";
    f.type = t->get<std::uint8_t>();
  } else if (auto n = j.find("type"); n != j.end()) {
    std::optional<std::uint8_t> type;
    if (n->is_string()) type = parse_frame_type(n->get<std::string>());
    if (n->is_number_unsigned() && n->get<std::uint64_t>() <= 255) type = n->get<std::uint8_t>();
    if (!type)
      return "type: unknown frame type (haproxy-hello, haproxy-disconnect, notify, agent-hello, agent-disconnect, ack, "
             "unset, or 0-255)";
    f.type = *type;
  } else {
    return "type: missing";
  }
  if (auto fl = j.find("flags"); fl != j.end()) {
    if (!fl->is_number_unsigned() || fl->get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
      return "flags: must be a 32-bit unsigned integer";
    }
    f.flags = fl->get<std::uint32_t>();
  } else {
    f.flags = (j.value("fin", true) ? spop::frame_flags::fin : 0u) |
              (j.value("abort", false) ? spop::frame_flags::abort : 0u);
  }
  for (const char* key : {"stream_id", "frame_id"}) {
    if (auto id = j.find(key); id != j.end()) {
      if (!id->is_number_unsigned()) return std::string(key) + ": must be an unsigned integer";
      (std::string_view(key) == "stream_id" ? f.stream_id : f.frame_id) = id->get<std::uint64_t>();
    }
  }
  f.kind = payload_kind(f.type, f.flags);
  return {};
}

std::string read_list(const json& j, const char* key,
                      const std::function<std::string(const json&, std::size_t)>& each) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_array()) return std::string(key) + ": must be an array";
  for (std::size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_object()) return std::string(key) + "[" + std::to_string(i) + "]: must be an object";
    if (std::string err = each((*it)[i], i); !err.empty())
      return std::string(key) + "[" + std::to_string(i) + "]." + err;
  }
  return {};
}

std::string read_value_field(const json& item, TypedValue& v, std::uint8_t& type_byte) {
  if (std::string err = value_from_json(item.value("value", json()), v, type_byte); !err.empty())
    return "value: " + err;
  return {};
}

std::string read_payload(const json& j, FrameModel& f) {
  switch (f.kind) {
    case PayloadKind::kv:
      return read_list(j, "kv", [&](const json& item, std::size_t) {
        KvEntry kv;
        if (std::string err = get_text(item, "key", kv.key); !err.empty()) return err;
        if (std::string err = read_value_field(item, kv.value, kv.type_byte); !err.empty()) return err;
        f.kv.push_back(std::move(kv));
        return std::string();
      });
    case PayloadKind::messages:
      return read_list(j, "messages", [&](const json& item, std::size_t) {
        MessageEntry m;
        if (std::string err = get_text(item, "name", m.name); !err.empty()) return err;
        std::string err = read_list(item, "args", [&](const json& a, std::size_t) {
          ArgEntry arg;
          if (std::string e = get_text(a, "name", arg.name); !e.empty()) return e;
          if (std::string e = read_value_field(a, arg.value, arg.type_byte); !e.empty()) return e;
          m.args.push_back(std::move(arg));
          return std::string();
        });
        if (!err.empty()) return err;
        if (m.args.size() > 255) return std::string("args: a message has at most 255 arguments");
        f.messages.push_back(std::move(m));
        return std::string();
      });
    case PayloadKind::actions:
      return read_list(j, "actions", [&](const json& item, std::size_t) {
        ActionEntry a;
        const std::string action = item.value("action", std::string("set-var"));
        if (action == "set-var") {
          a.type = 1;
        } else if (action == "unset-var") {
          a.type = 2;
        } else {
          return "action: \"" + action + "\" is not set-var or unset-var";
        }
        const std::string scope = item.value("scope", std::string("txn"));
        const auto s = parse_scope(scope);
        if (!s) return "scope: \"" + scope + "\" is not proc, sess, txn, req or res";
        a.scope = static_cast<std::uint8_t>(*s);
        if (std::string err = get_text(item, "name", a.name); !err.empty()) return err;
        if (a.type == 1) {
          if (std::string err = read_value_field(item, a.value, a.type_byte); !err.empty()) return err;
        }
        f.actions.push_back(std::move(a));
        return std::string();
      });
    case PayloadKind::raw: {
      auto p = j.find("payload_hex");
      if (p != j.end() && (!p->is_string() || !decode_hex(p->get<std::string>(), f.raw))) {
        return std::string("payload_hex: not hex text");
      }
      return {};
    }
  }
  return {};
}

}  // namespace

std::string frame_from_json(const json& j, FrameModel& out) {
  if (!j.is_object()) return "a frame must be a JSON object";
  FrameModel f;
  // A frame whose header did not decode is only bytes: decode writes it as "trailing_hex" alone.
  if (!j.contains("type") && !j.contains("type_id") && j.contains("trailing_hex")) f.bad_header = true;
  if (f.bad_header) {
    const auto& t = j["trailing_hex"];
    if (!t.is_string() || !decode_hex(t.get<std::string>(), f.trailing)) return "trailing_hex: not hex text";
    out = std::move(f);
    return {};
  }
  if (std::string err = read_header(j, f); !err.empty()) return err;
  if (std::string err = read_payload(j, f); !err.empty()) return err;
  if (auto t = j.find("trailing_hex"); t != j.end()) {
    if (!t->is_string() || !decode_hex(t->get<std::string>(), f.trailing)) return "trailing_hex: not hex text";
  }
  out = std::move(f);
  return {};
}

std::string dump_json(const json& j, int indent) { return j.dump(indent, ' ', false, json::error_handler_t::replace); }

}  // namespace spop_cli
