// Redaction of recorded NOTIFYs: the values of named message arguments (client addresses, headers,
// cookies...) are replaced in place by a keyed hash of the same type and the same encoded length, so a
// redacted recording has the same frame sizes, and equal values stay equal (under one key) wherever they
// appear, which keeps replays meaningful. What each type becomes:
//   STRING   as many lower-case hex digits as the value had bytes
//   BINARY   as many pseudo-random bytes
//   IPV4/6   a pseudo-random address
//   INT32/UINT32/INT64/UINT64  a pseudo-random value whose varint has the same length
//   BOOL and NULL are left alone (one bit or nothing to hide).
// The hash is SipHash-2-4 of the type id and the value under a 128-bit key, so values cannot be
// recovered without the key, and a dictionary attack needs it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "recording/siphash.hpp"

namespace spop::recording {

/// A redaction key and its public id (written in the file header: files with the same id were redacted
/// with the same key, so their values can be compared).
struct RedactionKey {
  SipKey bytes{};
  /// A key from the system's random source (std::random_device, getrandom() on Linux).
  static RedactionKey random();
  /// 64 bits derived from the key by SipHash; never 0 (0 means "not redacted").
  std::uint64_t id() const noexcept;
};

/// Replaces argument values in NOTIFY frames. Stateless after construction: safe to share between threads.
class Redactor {
 public:
  /// `argument_names`: message argument names whose values are replaced, in every message.
  Redactor(const RedactionKey& key, std::vector<std::string> argument_names);

  /// Rewrites the named arguments' values of one NOTIFY frame (LEN prefix included) in place. Returns
  /// false, leaving the bytes unspecified, when the frame is not a well-formed NOTIFY: then the values
  /// cannot be found, and the caller must not keep the frame. `replaced` counts the values rewritten.
  bool redact_notify(std::span<std::byte> frame, std::size_t& replaced) const;

  const std::vector<std::string>& names() const noexcept { return names_; }
  const RedactionKey& key() const noexcept { return key_; }

 private:
  bool wanted(std::string_view name) const noexcept;

  RedactionKey key_;
  std::vector<std::string> names_;
};

}  // namespace spop::recording
