// Test helper: recordings built in memory with the spop codec and the recording writer, and written to
// files, for the tests of the reader, spop-cli decode and spop-sim replay.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recording/format.hpp"
#include "spop/types.hpp"
#include "spop/value.hpp"

namespace spop::test {

/// A NOTIFY frame (LEN included) with one message.
std::vector<std::byte> notify_bytes(std::uint64_t sid, std::uint64_t fid, std::string_view message,
                                    std::span<const spop::Argument> args);

/// One SET-VAR (or, with a NULL value and `unset`, an UNSET-VAR) of an ACK.
struct SetVar {
  spop::Scope scope = spop::Scope::txn;
  std::string name;
  spop::Value value;
  bool unset = false;
};

/// An ACK frame (LEN included) with these actions.
std::vector<std::byte> ack_bytes(std::uint64_t sid, std::uint64_t fid, std::span<const SetVar> actions);

/// A recording under construction: the file header, then records appended in order.
class RecordingBuilder {
 public:
  explicit RecordingBuilder(const recording::FileHeader& header = {});
  /// Appends a record; `ack` empty gives a NOTIFY-only record. Returns the record's offset.
  std::size_t add(std::span<const std::byte> notify, std::span<const std::byte> ack, std::uint64_t connection = 1,
                  std::int64_t notify_ns = 0, std::int64_t ack_ns = 0);
  std::vector<std::byte>& bytes() noexcept { return bytes_; }
  /// Writes the bytes to `path` and returns it.
  std::filesystem::path write(const std::filesystem::path& path) const;

 private:
  std::vector<std::byte> bytes_;
};

/// Writes `bytes` to `path`.
void write_bytes(const std::filesystem::path& path, std::span<const std::byte> bytes);

}  // namespace spop::test
