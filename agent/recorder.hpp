// spoa's traffic recorder (issue 27): keeps NOTIFY frames and the ACKs sent back, in the recording
// format (recording/format.hpp), for `spop-sim replay`. record() only copies the two frames into a
// buffer under a short lock (no system call, no allocation); a writer thread of its own redacts,
// checksums and appends whole batches to the file (agent/recording_file.hpp), so a slow or full disk
// never holds up serving: when the buffer is full or the file cannot be written, records are dropped,
// counted, and the failure is logged once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "agent/engines/engine.hpp"
#include "agent/recording_file.hpp"
#include "recording/redaction.hpp"
#include "recording/writer.hpp"

namespace spoa {

struct RecorderSettings {
  std::filesystem::path path;        ///< --record FILE
  double sample = 1.0;               ///< --record-sample: the share of NOTIFYs kept, in (0, 1]
  std::uint64_t max_size = 0;        ///< --record-max-size: rotate at this size; 0 = never
  unsigned max_files = 5;            ///< --record-max-files: FILE.1 .. FILE.N kept
  std::vector<std::string> redact;   ///< --record-redact: argument names whose values are replaced
  spop::recording::RedactionKey key; ///< used when `redact` is not empty (one per agent: see options)
  std::uint32_t source = 0;          ///< written in every record: the worker's pid
  std::size_t buffer_size = std::size_t{4} << 20;  ///< bytes buffered while the writer writes (x2)
  /// The writer is woken once this much is buffered (at most half of buffer_size, so that the other half
  /// takes the records that arrive while it writes). Large, so that it runs rarely: each run is a thread
  /// switch and a write; 64 KiB cost twice as much CPU per record as 1 MiB (bench/run-record-bench.sh).
  std::size_t batch_size = std::size_t{1024} << 10;
  std::chrono::milliseconds flush_interval{200};   ///< the longest a record waits in the buffer
  std::chrono::milliseconds retry_interval{10000}; ///< after a failed write, how often to try again
  std::uint64_t seed = 0;            ///< of the sampling draws (0: from the clock)
  LogSink log;                       ///< the recorder's few log lines (may be empty)
};

/// Counters since the recorder started.
struct RecorderStats {
  std::uint64_t recorded = 0;     ///< records written to the file
  std::uint64_t sampled_out = 0;  ///< NOTIFYs left out by --record-sample
  std::uint64_t dropped = 0;      ///< lost: buffer full, file not writable, or NOTIFY not redactable
  std::uint64_t write_errors = 0; ///< failed batch writes
  std::uint64_t rotations = 0;    ///< rotations done by this recorder
  std::uint64_t bytes = 0;        ///< record bytes written
};

/// The recorder's buffers: a fixed capacity allocated once, and bytes handed out without being zeroed
/// first (a record is written over them at once).
class RecordBuffer {
 public:
  explicit RecordBuffer(std::size_t capacity) : bytes_(new std::byte[capacity]), capacity_(capacity) {}
  /// `n` more bytes at the end; the caller checks that they fit (size() + n <= capacity()).
  std::byte* extend(std::size_t n) noexcept {
    std::byte* p = bytes_.get() + size_;
    size_ += n;
    return p;
  }
  void shrink(std::size_t n) noexcept { size_ = n < size_ ? n : size_; }
  void clear() noexcept { size_ = 0; }
  std::span<std::byte> bytes() noexcept { return {bytes_.get(), size_}; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  friend void swap(RecordBuffer& a, RecordBuffer& b) noexcept {
    std::swap(a.bytes_, b.bytes_);
    std::swap(a.size_, b.size_);
    std::swap(a.capacity_, b.capacity_);
  }

 private:
  std::unique_ptr<std::byte[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_;
};

class Recorder {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  /// Starts the writer thread (with every signal blocked: they belong to the worker's loop). The file is
  /// opened, or created with mode 0600, by the first batch.
  explicit Recorder(RecorderSettings settings);
  /// Writes what is buffered, then stops the writer thread.
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// Draws whether the next NOTIFY is recorded (--record-sample). Lock-free. A connection that must copy
  /// the NOTIFY until its ACK is ready calls this when the NOTIFY arrives, then record_sampled().
  bool sample() noexcept;

  /// Records one exchange if sample() says so. `notify` and `ack` are whole frames with their LEN prefix;
  /// `ack` is empty when the NOTIFY got none. Copies them and returns: safe from any thread.
  void record(std::uint64_t connection, std::span<const std::byte> notify, std::span<const std::byte> ack,
              TimePoint notify_at, TimePoint ack_at) noexcept;
  /// The same without the sampling draw.
  void record_sampled(std::uint64_t connection, std::span<const std::byte> notify, std::span<const std::byte> ack,
                      TimePoint notify_at, TimePoint ack_at) noexcept;
  /// The same with the NOTIFY given by its ids and payload (spoa's connections: a call keeps only its
  /// payload); the frame is written into the buffer directly, so this too is one copy.
  void record_sampled(std::uint64_t connection, const spop::recording::NotifyParts& notify,
                      std::span<const std::byte> ack, TimePoint notify_at, TimePoint ack_at) noexcept;

  /// Closes the file and opens FILE again for the next batch (SIGHUP after logrotate moved it); a
  /// failed file is tried again at once. Returns at once.
  void reopen() noexcept;
  /// Waits until every record given so far is written (or dropped). For tests and shutdown.
  void flush();

  RecorderStats stats() const noexcept;
  const RecorderSettings& settings() const noexcept { return settings_; }

 private:
  // Appends one record of `size` bytes written by write(at, meta), or drops it when the buffer is full.
  template <class Write>
  void append(std::uint64_t connection, TimePoint notify_at, TimePoint ack_at, std::size_t size,
              const Write& write) noexcept;
  void run();                                  // the writer thread
  std::size_t redact(RecordBuffer& batch);  // returns the records removed
  void write(RecordBuffer& batch, std::uint64_t records);
  void log(LogLevel level, const std::string& text) const;

  RecorderSettings settings_;
  std::optional<spop::recording::Redactor> redactor_;
  std::size_t batch_size_;                     // settings_.batch_size, at most half the buffer
  std::uint64_t sample_threshold_;             // draws below it are kept (UINT64_MAX: all)
  std::atomic<std::uint64_t> draw_;            // splitmix64 state

  mutable std::mutex mutex_;
  std::condition_variable wake_;               // the writer: data, flush, reopen or stop
  std::condition_variable flushed_;            // flush(): a batch was written
  RecordBuffer active_;                        // records appended here
  std::uint64_t active_records_ = 0;
  std::uint64_t given_ = 0;                    // records appended so far
  std::uint64_t done_ = 0;                     // records written or dropped by the writer
  bool flush_wanted_ = false;
  bool reopen_wanted_ = false;
  bool stop_ = false;

  std::atomic<std::uint64_t> recorded_{0}, sampled_out_{0}, dropped_{0}, write_errors_{0}, rotations_{0}, bytes_{0};

  // Writer thread only.
  RecordBuffer spare_;
  RecordingFile file_;
  bool failing_ = false;
  std::chrono::steady_clock::time_point retry_at_;
  std::uint64_t dropped_while_failing_ = 0;

  std::thread thread_;  // last: started once everything above is ready
};

}  // namespace spoa
