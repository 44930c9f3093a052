#include "spop-cli/frame_model.hpp"

#include <cctype>

namespace spop_cli {

std::uint8_t canonical_type_byte(const spop::Value& v) noexcept {
  auto b = static_cast<std::uint8_t>(v.type());
  if (v.type() == spop::DataType::boolean && v.as_bool()) b |= spop::data_flag_true;
  return b;
}

PayloadKind payload_kind(std::uint8_t type, std::uint32_t flags) noexcept {
  switch (static_cast<spop::FrameType>(type)) {
    case spop::FrameType::haproxy_hello:
    case spop::FrameType::haproxy_disconnect:
    case spop::FrameType::agent_hello:
    case spop::FrameType::agent_disconnect:
      return PayloadKind::kv;
    // Without FIN a NOTIFY is the first fragment of a larger one: its messages may be cut anywhere.
    case spop::FrameType::notify:
      return (flags & spop::frame_flags::fin) != 0 ? PayloadKind::messages : PayloadKind::raw;
    case spop::FrameType::ack:
      return PayloadKind::actions;
    case spop::FrameType::unset:
      return PayloadKind::raw;
  }
  return PayloadKind::raw;
}

std::string frame_type_name(std::uint8_t type) {
  const std::string_view name = spop::to_string(static_cast<spop::FrameType>(type));
  if (name == "UNKNOWN") return "UNKNOWN(" + std::to_string(type) + ")";
  return std::string(name);
}

std::optional<std::uint8_t> parse_frame_type(std::string_view text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(c == '_' ? '-' : std::tolower(static_cast<unsigned char>(c)));
  for (unsigned t : {0u, 1u, 2u, 3u, 101u, 102u, 103u}) {
    std::string name = frame_type_name(static_cast<std::uint8_t>(t));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == name) return static_cast<std::uint8_t>(t);
  }
  if (!lower.empty() && lower.find_first_not_of("0123456789") == std::string::npos && lower.size() <= 3) {
    const int v = std::stoi(lower);
    if (v <= 255) return static_cast<std::uint8_t>(v);
  }
  return std::nullopt;
}

}  // namespace spop_cli
