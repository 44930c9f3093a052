// spop-cli encode: build a frame from options or JSON and print it as hex, an xxd dump, JSON or raw bytes
// (fuzz seeds, test inputs, or frames to replay with nc).
#include <fstream>
#include <iterator>

#include "spop-cli/arg_parse.hpp"
#include "spop-cli/commands.hpp"
#include "spop-cli/exit_codes.hpp"
#include "spop-cli/frame_decoder.hpp"
#include "spop-cli/frame_encoder.hpp"
#include "spop-cli/frame_json.hpp"
#include "spop-cli/hex_text.hpp"
#include "spop/haproxy_connection.hpp"
#include "spop/status.hpp"

namespace spop_cli {

namespace {

constexpr std::string_view encode_examples =
    "  spop-cli encode notify --stream-id 1 --frame-id 1 -m check-client-ip -a ip=ipv4:127.0.0.1\n"
    "  spop-cli encode ack --set-var txn.ip_score=int32:42 --unset-var txn.blocked\n"
    "  spop-cli encode haproxy-hello --healthcheck --format xxd\n"
    "  spop-cli encode agent-hello --agent-version 1.0 --format raw > bad-version.bin\n"
    "  spop-cli encode agent-disconnect --status 8 -o seed.bin\n"
    "  spop-cli encode agent-hello --bare --kv version=str:2.0        # no max-frame-size\n"
    "  spop-cli decode --json -f frame.bin | spop-cli encode --json -  # round trip";

/// The options of `encode`, kept together so that building the frame is one function per concern.
struct EncodeArgs {
  TCLAP::UnlabeledValueArg<std::string> type{"type",
                                             "frame type: haproxy-hello, haproxy-disconnect, notify, "
                                             "agent-hello, agent-disconnect, ack, unset, or a number 0-255",
                                             false, "", "TYPE"};
  TCLAP::ValueArg<std::string> json_in{"",
                                       "json",
                                       "read the frame(s) from JSON (the shape decode --json "
                                       "prints; - for stdin) instead of options",
                                       false,
                                       "",
                                       "FILE"};
  TCLAP::ValueArg<std::string> stream_id{"s",   "stream-id", "stream-id (default 0; 1 for notify and ack)",
                                         false, "",          "ID"};
  TCLAP::ValueArg<std::string> frame_id{"i", "frame-id", "frame-id (default 0; 1 for notify and ack)", false, "", "ID"};
  TCLAP::ValueArg<std::string> flags{"", "flags", "the flags word (default 1 = FIN)", false, "", "N"};
  TCLAP::SwitchArg no_fin{"", "no-fin", "clear FIN (a fragment)", false};
  TCLAP::SwitchArg abort{"", "abort", "set ABORT", false};
  TCLAP::MultiArg<std::string> msg{"m", "msg", "notify: a message (repeatable)", false, "NAME"};
  TCLAP::MultiArg<std::string> arg{"a", "arg", "notify: an argument of the --msg before it, NAME=TYPE:VALUE", false,
                                   "NAME=TYPE:VALUE"};
  TCLAP::MultiArg<std::string> set_var{"", "set-var", "ack: SET-VAR SCOPE.NAME=TYPE:VALUE (repeatable, in order)",
                                       false, "SCOPE.NAME=TYPE:VALUE"};
  TCLAP::MultiArg<std::string> unset_var{"", "unset-var", "ack: UNSET-VAR SCOPE.NAME", false, "SCOPE.NAME"};
  TCLAP::ValueArg<std::string> supported_versions{
      "", "supported-versions", "haproxy-hello: (default 2.0)", false, "2.0", "LIST"};
  TCLAP::ValueArg<std::string> agent_version{"",    "agent-version", "agent-hello: version (default 2.0)",
                                             false, "2.0",           "VERSION"};
  TCLAP::ValueArg<std::string> max_frame_size{"",    "max-frame-size", "hello frames: max-frame-size (default 16380)",
                                              false, "16380",          "BYTES"};
  TCLAP::ValueArg<std::string> capabilities{"",
                                            "capabilities",
                                            "hello frames: capabilities (default: "
                                            "\"pipelining,async\" for haproxy-hello as 2.6, \"pipelining\" for "
                                            "agent-hello and --profile 3.2)",
                                            false,
                                            "",
                                            "LIST"};
  TCLAP::ValueArg<std::string> engine_id{"", "engine-id", "haproxy-hello: engine-id (default none)", false, "", "ID"};
  TCLAP::SwitchArg healthcheck{"", "healthcheck",
                               "haproxy-hello: the health check HELLO (capabilities \"\", "
                               "healthcheck=true)",
                               false};
  TCLAP::ValueArg<std::string> profile{"", "profile", "haproxy-hello: 2.6 or 3.2 (alias 3.1) defaults", false, "2.6", "2.6|3.2"};
  TCLAP::ValueArg<std::string> status{"", "status", "disconnect frames: status-code (default 0)", false, "0", "CODE"};
  TCLAP::ValueArg<std::string> message{"",    "message", "disconnect frames: message (default: the status's text)",
                                       false, "",        "TEXT"};
  TCLAP::MultiArg<std::string> kv{"", "kv", "hello/disconnect frames: an extra item KEY=TYPE:VALUE (repeatable)", false,
                                  "KEY=TYPE:VALUE"};
  TCLAP::SwitchArg bare{"", "bare", "hello/disconnect frames: only the --kv items, none of the standard ones", false};
  TCLAP::ValueArg<std::string> payload_hex{"", "payload-hex", "the payload as hex, instead of building it", false,
                                           "", "HEX"};
  TCLAP::ValueArg<std::string> trailing_hex{"", "trailing-hex", "bytes appended after the payload", false, "", "HEX"};
  TCLAP::ValueArg<std::string> format{"",    "format", "output: spaced (hex with spaces, default), hex, xxd, json, raw",
                                      false, "spaced", "FORMAT"};
  TCLAP::ValueArg<std::string> output{"o", "output", "write the raw bytes to FILE", false, "", "FILE"};

  void add_to(TCLAP::CmdLine& cmd) {
    for (TCLAP::Arg* a : std::initializer_list<TCLAP::Arg*>{&output,
                                                            &format,
                                                            &trailing_hex,
                                                            &payload_hex,
                                                            &bare,
                                                            &kv,
                                                            &message,
                                                            &status,
                                                            &profile,
                                                            &healthcheck,
                                                            &engine_id,
                                                            &capabilities,
                                                            &max_frame_size,
                                                            &agent_version,
                                                            &supported_versions,
                                                            &unset_var,
                                                            &set_var,
                                                            &arg,
                                                            &msg,
                                                            &abort,
                                                            &no_fin,
                                                            &flags,
                                                            &frame_id,
                                                            &stream_id,
                                                            &json_in}) {
      cmd.add(a);
    }
    cmd.add(type);
  }
};

std::string hex_option(const TCLAP::ValueArg<std::string>& opt, std::string& out) {
  std::vector<std::byte> bytes;
  std::string err;
  if (!parse_hex_text(opt.getValue(), bytes, err)) return "--" + opt.getName() + ": " + err;
  out.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return {};
}

std::string number_option(const TCLAP::ValueArg<std::string>& opt, std::uint64_t max, std::uint64_t& out) {
  if (std::string err = parse_unsigned(opt.getValue(), max, out); !err.empty())
    return "--" + opt.getName() + ": " + err;
  return {};
}

void add_kv(FrameModel& f, std::string_view key, const spop::Value& v) {
  f.kv.push_back(KvEntry{std::string(key), TypedValue(v), 0, 0});
}

// The items a HELLO or DISCONNECT carries by default, in HAProxy's order.
std::string standard_kv(EncodeArgs& o, FrameModel& f) {
  using spop::FrameType;
  const auto type = static_cast<FrameType>(f.type);
  if (type == FrameType::haproxy_hello || type == FrameType::agent_hello) {
    std::uint64_t mfs = 0;
    if (std::string err = number_option(o.max_frame_size, UINT32_MAX, mfs); !err.empty()) return err;
    const auto profile = spop::parse_haproxy_profile(o.profile.getValue());
    if (!profile) return "--profile: '" + o.profile.getValue() + "' is not 2.6 or 3.2 (or 3.1)";
    const bool v31 = *profile == spop::HaproxyProfile::v3_1;
    std::string caps = o.capabilities.getValue();
    if (!o.capabilities.isSet()) {
      caps = type == FrameType::agent_hello || v31 ? "pipelining" : "pipelining,async";
      if (o.healthcheck.getValue()) caps.clear();
    }
    if (type == FrameType::haproxy_hello) {
      add_kv(f, spop::keys::supported_versions, spop::Value::string(o.supported_versions.getValue()));
    } else {
      add_kv(f, spop::keys::version, spop::Value::string(o.agent_version.getValue()));
    }
    add_kv(f, spop::keys::max_frame_size, spop::Value::uint32(static_cast<std::uint32_t>(mfs)));
    add_kv(f, spop::keys::capabilities, spop::Value::string(caps));
    if (type == FrameType::haproxy_hello && o.engine_id.isSet()) {
      add_kv(f, spop::keys::engine_id, spop::Value::string(o.engine_id.getValue()));
    }
    if (type == FrameType::haproxy_hello && o.healthcheck.getValue()) {
      add_kv(f, spop::keys::healthcheck, spop::Value::boolean(true));
    }
    return {};
  }
  std::uint64_t code = 0;
  if (std::string err = number_option(o.status, UINT32_MAX, code); !err.empty()) return err;
  const std::string text =
      o.message.isSet() ? o.message.getValue() : std::string(spop::status_message(static_cast<spop::Status>(code)));
  add_kv(f, spop::keys::status_code, spop::Value::uint32(static_cast<std::uint32_t>(code)));
  add_kv(f, spop::keys::message, spop::Value::string(text));
  return {};
}

std::string build_kv(EncodeArgs& o, FrameModel& f) {
  if (!o.bare.getValue()) {
    if (std::string err = standard_kv(o, f); !err.empty()) return err;
  }
  for (const std::string& text : o.kv.getValue()) {
    NamedValue nv;
    if (std::string err = parse_named_value(text, nv); !err.empty()) return "--kv " + err;
    f.kv.push_back(KvEntry{nv.name, nv.value, 0, 0});
  }
  return {};
}

std::string build_messages(TCLAP::CmdLine& cmd, const std::vector<std::string>& argv, FrameModel& f) {
  for (const auto& [option, value] : ordered_values(cmd, argv, {"msg", "arg"})) {
    if (option == "msg") {
      f.messages.push_back(MessageEntry{value, {}, 0});
      continue;
    }
    if (f.messages.empty()) return "--arg " + value + ": comes before any --msg";
    NamedValue nv;
    if (std::string err = parse_named_value(value, nv); !err.empty()) return "--arg " + err;
    if (f.messages.back().args.size() == 255) return "--arg: a message has at most 255 arguments";
    f.messages.back().args.push_back(ArgEntry{nv.name, nv.value, 0, 0});
  }
  return {};
}

std::string build_actions(TCLAP::CmdLine& cmd, const std::vector<std::string>& argv, FrameModel& f) {
  for (const auto& [option, value] : ordered_values(cmd, argv, {"set-var", "unset-var"})) {
    ActionSpec a;
    const std::string err = option == "set-var" ? parse_set_var(value, a) : parse_unset_var(value, a);
    if (!err.empty()) return "--" + option + " " + err;
    f.actions.push_back(
        ActionEntry{static_cast<std::uint8_t>(a.type), static_cast<std::uint8_t>(a.scope), a.name, a.value, 0, 0});
  }
  return {};
}

// Options that only make sense for some frame types are refused elsewhere rather than ignored.
std::string check_applicable(EncodeArgs& o, PayloadKind kind, bool raw_payload) {
  const auto refuse = [](const TCLAP::Arg& a, std::string_view types) {
    return "--" + a.getName() + " only applies to " + std::string(types);
  };
  if (kind != PayloadKind::messages && (o.msg.isSet() || o.arg.isSet())) {
    return refuse(o.msg.isSet() ? static_cast<const TCLAP::Arg&>(o.msg) : o.arg, "notify frames (with FIN)");
  }
  if (kind != PayloadKind::actions && (o.set_var.isSet() || o.unset_var.isSet())) {
    return refuse(o.set_var.isSet() ? static_cast<const TCLAP::Arg&>(o.set_var) : o.unset_var, "ack frames");
  }
  if (kind != PayloadKind::kv) {
    for (const TCLAP::Arg* a :
         {static_cast<const TCLAP::Arg*>(&o.kv), static_cast<const TCLAP::Arg*>(&o.bare),
          static_cast<const TCLAP::Arg*>(&o.status), static_cast<const TCLAP::Arg*>(&o.message),
          static_cast<const TCLAP::Arg*>(&o.capabilities), static_cast<const TCLAP::Arg*>(&o.max_frame_size),
          static_cast<const TCLAP::Arg*>(&o.healthcheck)}) {
      if (a->isSet()) return refuse(*a, "hello and disconnect frames");
    }
  }
  if (raw_payload && (o.msg.isSet() || o.set_var.isSet() || o.unset_var.isSet() || o.kv.isSet())) {
    return "--payload-hex replaces the payload: it cannot be combined with --msg, --set-var, --unset-var or --kv";
  }
  return {};
}

std::string build_from_options(EncodeArgs& o, TCLAP::CmdLine& cmd, const std::vector<std::string>& argv,
                               FrameModel& f) {
  const auto type = parse_frame_type(o.type.getValue());
  if (!type) return "unknown frame type '" + o.type.getValue() + "' (see --help)";
  f.type = *type;
  const bool with_ids = f.type == static_cast<std::uint8_t>(spop::FrameType::notify) ||
                        f.type == static_cast<std::uint8_t>(spop::FrameType::ack);
  f.stream_id = f.frame_id = with_ids ? 1 : 0;
  if (o.stream_id.isSet()) {
    if (std::string err = number_option(o.stream_id, UINT64_MAX, f.stream_id); !err.empty()) return err;
  }
  if (o.frame_id.isSet()) {
    if (std::string err = number_option(o.frame_id, UINT64_MAX, f.frame_id); !err.empty()) return err;
  }
  std::uint64_t flags = spop::frame_flags::fin;
  if (o.flags.isSet()) {
    if (std::string err = number_option(o.flags, UINT32_MAX, flags); !err.empty()) return err;
  }
  if (o.no_fin.getValue()) flags &= ~std::uint64_t{spop::frame_flags::fin};
  if (o.abort.getValue()) flags |= spop::frame_flags::abort;
  f.flags = static_cast<std::uint32_t>(flags);
  const bool raw_payload = o.payload_hex.isSet();
  f.kind = raw_payload ? PayloadKind::raw : payload_kind(f.type, f.flags);
  if (std::string err = check_applicable(o, payload_kind(f.type, f.flags), raw_payload); !err.empty()) return err;
  switch (f.kind) {
    case PayloadKind::kv:
      return build_kv(o, f);
    case PayloadKind::messages:
      return build_messages(cmd, argv, f);
    case PayloadKind::actions:
      return build_actions(cmd, argv, f);
    case PayloadKind::raw:
      return raw_payload ? hex_option(o.payload_hex, f.raw) : std::string();
  }
  return {};
}

std::string build_from_json(const CommandArgs& a, const std::string& source, std::vector<FrameModel>& frames) {
  std::string text;
  if (source == "-") {
    text.assign(std::istreambuf_iterator<char>(a.in), std::istreambuf_iterator<char>());
  } else {
    std::ifstream f(source);
    if (!f) return "--json: cannot open " + source;
    text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return "--json: " + (source == "-" ? std::string("stdin") : source) + " is not valid JSON";
  // One frame, an array of frames, or decode's {"frames": [...]}.
  nlohmann::json list = j.is_array() ? j : j.contains("frames") ? j["frames"] : nlohmann::json::array({j});
  if (!list.is_array()) return "--json: \"frames\" must be an array";
  for (std::size_t i = 0; i < list.size(); ++i) {
    FrameModel f;
    if (std::string err = frame_from_json(list[i], f); !err.empty()) {
      return "--json: frame " + std::to_string(i) + ": " + err;
    }
    frames.push_back(std::move(f));
  }
  return {};
}

}  // namespace

int run_encode(const CommandArgs& a) {
  TCLAP::CmdLine cmd(
      "Build SPOP frames from options or from JSON and print them (hex, xxd dump, JSON) or write "
      "their raw bytes: test inputs, fuzz seeds, frames to replay. Values use the --arg syntax: " +
          std::string(typed_value_syntax) + ".",
      ' ', std::string(cli_version()));
  EncodeArgs o;
  o.add_to(cmd);
  if (auto status = parse_command_line(cmd, a, encode_examples)) return *status;
  const auto usage_error = [&](const std::string& why) {
    a.err << a.args.front() << ": " << why << "\n";
    return exit_status::failed;
  };
  const std::string fmt = o.format.getValue();
  if (fmt != "spaced" && fmt != "hex" && fmt != "xxd" && fmt != "json" && fmt != "raw") {
    return usage_error("--format: '" + fmt + "' is not spaced, hex, xxd, json or raw");
  }

  std::vector<FrameModel> frames;
  if (o.json_in.isSet()) {
    if (o.type.isSet()) return usage_error("give a frame TYPE or --json, not both");
    if (std::string err = build_from_json(a, o.json_in.getValue(), frames); !err.empty()) return usage_error(err);
  } else {
    if (!o.type.isSet()) return usage_error("missing the frame TYPE (or --json FILE); see --help");
    FrameModel f;
    if (std::string err = build_from_options(o, cmd, a.args, f); !err.empty()) return usage_error(err);
    if (o.trailing_hex.isSet()) {
      if (std::string err = hex_option(o.trailing_hex, f.trailing); !err.empty()) return usage_error(err);
    }
    frames.push_back(std::move(f));
  }

  std::vector<std::byte> bytes;
  for (const FrameModel& f : frames) encode_frame(f, bytes);
  if (o.output.isSet()) {
    std::ofstream file(o.output.getValue(), std::ios::binary);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!file) return usage_error("cannot write " + o.output.getValue());
    if (!o.format.isSet()) return exit_status::ok;
  }
  if (fmt == "raw") {
    a.out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  } else if (fmt == "hex") {
    const std::string spaced = to_spaced_hex(bytes);
    std::string compact;
    for (char c : spaced) {
      if (c != ' ') compact += c;
    }
    a.out << compact << "\n";
  } else if (fmt == "xxd") {
    a.out << hex_dump(bytes, "");
  } else if (fmt == "json") {
    // Decoded back, so that lengths and offsets are those of the bytes, exactly as decode --json prints them.
    nlohmann::json list = nlohmann::json::array();
    for (const FrameModel& f : decode_stream(bytes).frames) list.push_back(frame_to_json(f));
    a.out << dump_json({{"frames", std::move(list)}}) << "\n";
  } else {
    a.out << to_spaced_hex(bytes) << "\n";
  }
  if (frames.size() == 1 && bytes.size() - spop::frame_length_prefix > spop::default_max_frame_size) {
    a.err << a.args.front() << ": note: the frame is " << bytes.size() - spop::frame_length_prefix
          << " bytes long, above HAProxy's default max-frame-size of 16380\n";
  }
  return exit_status::ok;
}

}  // namespace spop_cli
