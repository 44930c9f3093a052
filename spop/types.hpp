// Wire-level enumerations of SPOP 2.0: frame types, flags, data types, actions, scopes and HELLO keys.
// Values are the exact bytes on the wire (spop-protocol.md §1-§3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spop {

/// Frame type byte (spop-protocol.md §3). HAProxy's frames are 1-3, the agent's 101-103.
enum class FrameType : std::uint8_t {
  unset = 0,                ///< continuation fragment of a NOTIFY (2.6 only)
  haproxy_hello = 1,
  haproxy_disconnect = 2,
  notify = 3,
  agent_hello = 101,
  agent_disconnect = 102,
  ack = 103,
};

/// Frame flag bits (big-endian uint32 on the wire).
namespace frame_flags {
inline constexpr std::uint32_t fin = 0x00000001;    ///< last (or only) fragment
inline constexpr std::uint32_t abort = 0x00000002;  ///< abort a fragmented payload (with FIN)
}  // namespace frame_flags

/// TYPED-DATA type id: the low nibble of the type byte.
enum class DataType : std::uint8_t {
  null = 0,
  boolean = 1,
  int32 = 2,
  uint32 = 3,
  int64 = 4,
  uint64 = 5,
  ipv4 = 6,
  ipv6 = 7,
  string = 8,
  binary = 9,
};

inline constexpr std::uint8_t data_type_mask = 0x0F;
inline constexpr std::uint8_t data_flags_mask = 0xF0;
inline constexpr std::uint8_t data_flag_true = 0x10;  ///< BOOL value bit

/// Action type byte of an ACK item.
enum class ActionType : std::uint8_t { set_var = 1, unset_var = 2 };

/// Variable scope byte of SET-VAR/UNSET-VAR.
enum class Scope : std::uint8_t { proc = 0, sess = 1, txn = 2, req = 3, res = 4 };

/// HAProxy's name of a scope ("proc", "sess", "txn", "req", "res"); "?" for an out-of-range value.
std::string_view to_string(Scope scope);
std::string_view to_string(FrameType type);
std::string_view to_string(DataType type);

/// KV-list key names used in HELLO and DISCONNECT frames.
namespace keys {
inline constexpr std::string_view supported_versions = "supported-versions";
inline constexpr std::string_view version = "version";
inline constexpr std::string_view max_frame_size = "max-frame-size";
inline constexpr std::string_view capabilities = "capabilities";
inline constexpr std::string_view engine_id = "engine-id";
inline constexpr std::string_view healthcheck = "healthcheck";
inline constexpr std::string_view status_code = "status-code";
inline constexpr std::string_view message = "message";
}  // namespace keys

/// Capability names.
namespace capability {
inline constexpr std::string_view pipelining = "pipelining";
inline constexpr std::string_view async = "async";
inline constexpr std::string_view fragmentation = "fragmentation";
}  // namespace capability

inline constexpr std::string_view protocol_version = "2.0";
inline constexpr std::uint32_t default_max_frame_size = 16380;  ///< tune.bufsize 16384 - 4
inline constexpr std::uint32_t min_max_frame_size = 256;
inline constexpr std::size_t frame_length_prefix = 4;         ///< the LEN field; not counted in LEN
inline constexpr std::size_t min_frame_length = 7;            ///< smallest valid LEN
inline constexpr std::size_t max_varint_length = 10;

}  // namespace spop
