// The file side of spoa's recorder: appends batches of whole records to FILE, shared safely by every
// worker process of the agent, rotates FILE -> FILE.1 -> ... FILE.N when it reaches a size, and follows
// a FILE moved away (logrotate). Used by one thread (the recorder's writer); blocking system calls.
//
// Sharing: each batch is written under flock(LOCK_EX) on the file, in one append, after checking that the
// open file is still the one at FILE (another worker may have rotated it, logrotate may have moved it).
// A new FILE is written with its header under a temporary name and linked into place, so no process
// ever sees it without one. A batch cut short by a write error is truncated away under the lock, so
// the file stays readable. Files are created with mode 0600.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "recording/format.hpp"

namespace spoa {

struct RecordingFileSettings {
  std::filesystem::path path;
  std::uint64_t max_size = 0;  ///< rotate once FILE reaches this many bytes; 0: never
  unsigned max_files = 5;      ///< rotated files kept: FILE.1 (newest) .. FILE.<max_files>
  spop::recording::FileHeader header;  ///< written at the top of each new FILE (flags, key id)
};

class RecordingFile {
 public:
  explicit RecordingFile(RecordingFileSettings settings);
  ~RecordingFile();
  RecordingFile(const RecordingFile&) = delete;
  RecordingFile& operator=(const RecordingFile&) = delete;

  /// Appends `records` (whole, sealed records) to FILE, opening or creating it first and rotating it
  /// afterwards when it passed max_size. False when they could not be written (nothing of them stays
  /// in the file): error() then says what failed, e.g. "cannot create /x/rec: No such file or directory".
  bool append(std::span<const std::byte> records);
  /// Closes the file: the next append() opens FILE again (SIGHUP, after logrotate moved it).
  void close() noexcept;

  const std::string& error() const noexcept { return error_; }
  std::uint64_t rotations() const noexcept { return rotations_; }
  const RecordingFileSettings& settings() const noexcept { return settings_; }

 private:
  enum class HeaderCheck { ours, other_recording, foreign };
  bool open();                        // fd_ on FILE, created with its header when missing
  bool create();                      // a new FILE with its header (temporary name, then link)
  std::vector<std::byte> fresh_header() const;  // the header of a FILE created now
  bool locked_write(std::span<const std::byte> records);
  HeaderCheck check_header();         // what FILE starts with (fd_ open and locked)
  bool still_at_path() const;         // fd_ is the file FILE names now
  void rotate();                      // FILE -> FILE.1 -> ...; fd_ closed (under its lock) and reopened
  bool fail(const std::string& what, int err);

  RecordingFileSettings settings_;
  int fd_ = -1;
  bool header_checked_ = false;
  std::uint64_t rotations_ = 0;
  std::string error_;
};

}  // namespace spoa
