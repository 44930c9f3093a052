// One SPOP frame as spop-cli shows and builds it: the header, the payload broken down by frame type,
// and where each item sits in the input. `decode` fills it from bytes, `encode` fills it from options or
// JSON, and both directions go through it, so that encode(decode(bytes)) gives the same bytes back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spop-cli/typed_value.hpp"
#include "spop/types.hpp"
#include "spop/value.hpp"

namespace spop_cli {

/// How the payload of a frame type is structured (spop-protocol.md §3).
enum class PayloadKind {
  kv,        ///< HELLO and DISCONNECT frames of both sides: KV-LIST
  messages,  ///< NOTIFY with FIN: LIST-OF-MESSAGES
  actions,   ///< ACK: LIST-OF-ACTIONS
  raw,       ///< unknown types, UNSET fragments and NOTIFY fragments without FIN: bytes only
};

/// The TYPED-DATA byte the codec writes for a value (type id, plus 0x10 for true).
std::uint8_t canonical_type_byte(const spop::Value& v) noexcept;

/// The structure of a frame type given its flags.
PayloadKind payload_kind(std::uint8_t type, std::uint32_t flags) noexcept;

/// "HAPROXY-HELLO", ..., or "UNKNOWN(42)" for a type byte SPOP does not define.
std::string frame_type_name(std::uint8_t type);
/// The type byte for a name accepted by `encode` ("notify", "NOTIFY", "agent-hello", "ack", "3"...).
std::optional<std::uint8_t> parse_frame_type(std::string_view text);

struct KvEntry {
  std::string key;
  TypedValue value;
  std::uint8_t type_byte = 0;  ///< the raw TYPED-DATA byte when decoded (0: derive it from the value)
  std::size_t offset = 0;      ///< of the key, in the input
};

struct ArgEntry {
  std::string name;
  TypedValue value;
  std::uint8_t type_byte = 0;  ///< the raw TYPED-DATA byte when decoded (0: derive it from the value)
  std::size_t offset = 0;
};

struct MessageEntry {
  std::string name;
  std::vector<ArgEntry> args;
  std::size_t offset = 0;
};

struct ActionEntry {
  std::uint8_t type = 1;   ///< 1 SET-VAR, 2 UNSET-VAR
  std::uint8_t scope = 2;  ///< 0 proc .. 4 res
  std::string name;
  TypedValue value;            ///< NULL for UNSET-VAR
  std::uint8_t type_byte = 0;  ///< the raw TYPED-DATA byte when decoded (0: derive it from the value)
  std::size_t offset = 0;
};

/// A problem found while decoding: the absolute byte offset in the input and the reason.
struct DecodeIssue {
  std::size_t offset = 0;
  std::string reason;
};

struct FrameModel {
  std::size_t offset = 0;    ///< of the LEN field, in the input
  std::uint32_t length = 0;  ///< LEN (the frame without its 4-byte prefix)
  std::uint8_t type = 0;
  std::uint32_t flags = spop::frame_flags::fin;
  std::uint64_t stream_id = 0;
  std::uint64_t frame_id = 0;
  PayloadKind kind = PayloadKind::raw;
  std::vector<KvEntry> kv;
  std::vector<MessageEntry> messages;
  std::vector<ActionEntry> actions;
  std::string raw;       ///< the payload bytes of a raw frame
  std::string trailing;  ///< bytes after the structured payload (kept so that a bad frame re-encodes as it was)
  std::optional<DecodeIssue> issue;  ///< the payload could not be fully decoded (the rest is in `trailing`)
  bool bad_header = false;           ///< even the header did not decode: `trailing` holds the whole body
  std::vector<std::string> notes;    ///< legal but noteworthy ("ids must be 0 on a HELLO", ...)
};

}  // namespace spop_cli
