// HELLO and DISCONNECT payloads of both sides: parse into views, build into frames, version and
// capability helpers (spop-protocol.md §3, §5.1-§5.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "spop/errc.hpp"
#include "spop/status.hpp"
#include "spop/types.hpp"

namespace spop {

/// HAPROXY-HELLO contents. Absent items keep their defaults; views point into the payload.
struct HaproxyHello {
  std::optional<std::string_view> supported_versions;
  std::optional<std::uint64_t> max_frame_size;  ///< any integer type accepted
  std::optional<std::string_view> capabilities;
  std::string_view engine_id;
  bool healthcheck = false;
};

/// AGENT-HELLO contents.
struct AgentHello {
  std::optional<std::string_view> version;
  std::optional<std::uint64_t> max_frame_size;
  std::optional<std::string_view> capabilities;
};

/// HAPROXY-DISCONNECT / AGENT-DISCONNECT contents.
struct DisconnectInfo {
  std::optional<std::uint64_t> status_code;
  std::string_view message;
};

/// Parse a KV-LIST payload into the struct; keys are matched by prefix as HAProxy does and unknown
/// keys are skipped. A value of the wrong type for a known key is Errc::invalid_payload.
/// Errors also: truncated, varint_too_long, reserved_type.
Errc parse_haproxy_hello(std::span<const std::byte> payload, HaproxyHello& out) noexcept;
Errc parse_agent_hello(std::span<const std::byte> payload, AgentHello& out) noexcept;
Errc parse_disconnect(std::span<const std::byte> payload, DisconnectInfo& out) noexcept;

/// "2.0" with optional surrounding spaces -> 2000 (major*1000+minor); nullopt if unparsable. Follows
/// HAProxy's spoe_str_to_vsn(): the major must be non-zero, the minor 0-999, nothing may follow but spaces.
std::optional<int> parse_version(std::string_view text) noexcept;
/// True if the comma-separated `list` contains a version equal to 2.0.
bool supports_version_2_0(std::string_view list) noexcept;
/// True if the comma-separated capability `list` contains `name` (HAProxy's rule: leading spaces skipped,
/// the name must end the item or be followed by a space).
bool has_capability(std::string_view list, std::string_view name) noexcept;

/// What a HAPROXY-HELLO carries; write_haproxy_hello() emits the items in 2.6's order.
struct HaproxyHelloParams {
  std::string_view supported_versions = protocol_version;
  std::uint32_t max_frame_size = default_max_frame_size;
  std::string_view capabilities = "pipelining,async";
  std::string_view engine_id;  ///< omitted when empty
  bool healthcheck = false;    ///< adds healthcheck=true
};

/// Appends a complete frame (LEN prefix included) to `out`. Errc::frame_too_big if it would exceed
/// `max_frame_size` (nothing written).
Errc write_haproxy_hello(std::vector<std::byte>& out, const HaproxyHelloParams& p,
                         std::uint32_t max_frame_size = default_max_frame_size);
Errc write_agent_hello(std::vector<std::byte>& out, std::string_view version, std::uint32_t frame_size,
                       std::string_view capabilities,
                       std::uint32_t max_frame_size = default_max_frame_size);
/// HAProxy 2.6 ignores (agent side) or rejects (HAProxy side) a longer DISCONNECT message.
inline constexpr std::size_t max_disconnect_message_length = 255;

/// `type` is FrameType::haproxy_disconnect or FrameType::agent_disconnect. The message is cut to
/// 255 bytes (HAProxy 2.6 ignores a longer one).
Errc write_disconnect(std::vector<std::byte>& out, FrameType type, std::uint32_t status_code,
                      std::string_view message, std::uint32_t max_frame_size = default_max_frame_size);

}  // namespace spop
