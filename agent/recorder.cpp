#include "agent/recorder.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "recording/writer.hpp"

namespace spoa {

namespace {

std::uint32_t record_length_at(const std::byte* p) noexcept {
  return std::to_integer<std::uint32_t>(p[0]) << 24 | std::to_integer<std::uint32_t>(p[1]) << 16 |
         std::to_integer<std::uint32_t>(p[2]) << 8 | std::to_integer<std::uint32_t>(p[3]);
}

std::int64_t ns_since_epoch(Recorder::TimePoint t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

spop::recording::FileHeader recording_header_for(const RecorderSettings& s) {
  spop::recording::FileHeader h;
  if (!s.redact.empty()) {
    h.flags = spop::recording::header_flags::redacted;
    h.key_id = s.key.id();
  }
  return h;
}

std::string retry_interval_text(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + " s" : std::to_string(d.count()) + " ms";
}

// splitmix64's output function: a good 64-bit draw from a counter.
std::uint64_t splitmix64_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Recorder::Recorder(RecorderSettings settings)
    : settings_(std::move(settings)),
      batch_size_(std::clamp<std::size_t>(settings_.batch_size, 1, settings_.buffer_size / 2)),
      sample_threshold_(settings_.sample >= 1.0 ? UINT64_MAX
                                                : static_cast<std::uint64_t>(std::ldexp(std::max(settings_.sample, 0.0), 64))),
      draw_(settings_.seed != 0 ? settings_.seed
                                : static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())),
      active_(settings_.buffer_size),
      spare_(settings_.buffer_size),
      file_(RecordingFileSettings{settings_.path, settings_.max_size, settings_.max_files, recording_header_for(settings_)}) {
  if (!settings_.redact.empty()) redactor_.emplace(settings_.key, settings_.redact);
  // Both buffers are allocated once (above): record() never allocates, it drops what does not fit.
  // Process-directed signals belong to the worker's loop: the writer thread blocks them all (threads
  // inherit the mask of their creator).
  sigset_t all, previous;
  sigfillset(&all);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS}) sigdelset(&all, sig);
  ::pthread_sigmask(SIG_BLOCK, &all, &previous);
  thread_ = std::thread([this] { run(); });
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  ::pthread_setname_np(thread_.native_handle(), "spoa-recorder");
}

Recorder::~Recorder() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool Recorder::sample() noexcept {
  if (sample_threshold_ == UINT64_MAX) return true;
  const std::uint64_t z = splitmix64_mix(draw_.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed));
  if (z < sample_threshold_) return true;
  sampled_out_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void Recorder::record(std::uint64_t connection, std::span<const std::byte> notify, std::span<const std::byte> ack,
                      TimePoint notify_at, TimePoint ack_at) noexcept {
  if (sample()) record_sampled(connection, notify, ack, notify_at, ack_at);
}

template <class Write>
void Recorder::append(std::uint64_t connection, TimePoint notify_at, TimePoint ack_at, std::size_t size,
                      const Write& write) noexcept {
  spop::recording::RecordMeta meta;
  meta.source = settings_.source;
  meta.connection = connection;
  meta.notify_ns = ns_since_epoch(notify_at);
  meta.ack_ns = ns_since_epoch(ack_at);
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (active_.size() + size > active_.capacity()) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const bool below_batch = active_.size() < batch_size_;
    write(active_.extend(size), meta);  // within capacity: no allocation
    ++active_records_;
    ++given_;
    // Wake the writer once per batch, not per record: a notify is a system call when it waits.
    wake = below_batch && active_.size() >= batch_size_;
  }
  if (wake) wake_.notify_one();
}

void Recorder::record_sampled(std::uint64_t connection, std::span<const std::byte> notify,
                              std::span<const std::byte> ack, TimePoint notify_at, TimePoint ack_at) noexcept {
  append(connection, notify_at, ack_at, spop::recording::record_size(notify, ack),
         [&](std::byte* at, const spop::recording::RecordMeta& meta) {
           spop::recording::put_record_unsealed(at, meta, notify, ack);
         });
}

void Recorder::record_sampled(std::uint64_t connection, const spop::recording::NotifyParts& notify,
                              std::span<const std::byte> ack, TimePoint notify_at, TimePoint ack_at) noexcept {
  append(connection, notify_at, ack_at, spop::recording::record_size(notify, ack),
         [&](std::byte* at, const spop::recording::RecordMeta& meta) {
           spop::recording::put_record_unsealed(at, meta, notify, ack);
         });
}

void Recorder::reopen() noexcept {
  {
    std::lock_guard lock(mutex_);
    reopen_wanted_ = true;
  }
  wake_.notify_one();
}

void Recorder::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = given_;
  flush_wanted_ = true;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return done_ >= target; });
}

RecorderStats Recorder::stats() const noexcept {
  RecorderStats s;
  s.recorded = recorded_.load();
  s.sampled_out = sampled_out_.load();
  s.dropped = dropped_.load();
  s.write_errors = write_errors_.load();
  s.rotations = rotations_.load();
  s.bytes = bytes_.load();
  return s;
}

void Recorder::log(LogLevel level, const std::string& text) const {
  if (settings_.log) settings_.log(level, text);
}

void Recorder::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, settings_.flush_interval, [&] {
      return stop_ || flush_wanted_ || reopen_wanted_ || active_.size() >= batch_size_;
    });
    const bool reopen = std::exchange(reopen_wanted_, false);
    flush_wanted_ = false;
    const bool stopping = stop_;
    swap(active_, spare_);
    const std::uint64_t records = std::exchange(active_records_, 0);
    lock.unlock();
    if (reopen) {
      file_.close();
      retry_at_ = {};  // a failed file is tried again now
    }
    if (records > 0) write(spare_, records);
    spare_.clear();
    lock.lock();
    done_ += records;
    flushed_.notify_all();
    if (stopping && active_.empty()) return;
  }
}

std::size_t Recorder::redact(RecordBuffer& batch) {
  if (!redactor_) return 0;
  std::size_t read = 0, kept = 0, removed = 0;
  while (read + spop::recording::record_header_size <= batch.size()) {
    const std::size_t length = record_length_at(batch.bytes().data() + read);
    const std::size_t notify_at = read + spop::recording::record_header_size;
    const std::size_t notify_size = 4 + std::size_t{record_length_at(batch.bytes().data() + notify_at)};
    std::size_t replaced = 0;
    // A NOTIFY that cannot be walked may hide a value that had to go: the record is not kept.
    if (redactor_->redact_notify(batch.bytes().subspan(notify_at, notify_size), replaced)) {
      if (kept != read) std::memmove(batch.bytes().data() + kept, batch.bytes().data() + read, length);
      kept += length;
    } else {
      ++removed;
    }
    read += length;
  }
  batch.shrink(kept);
  return removed;
}

void Recorder::write(RecordBuffer& batch, std::uint64_t records) {
  const auto now = std::chrono::steady_clock::now();
  if (failing_ && now < retry_at_) {
    dropped_.fetch_add(records, std::memory_order_relaxed);
    dropped_while_failing_ += records;
    return;
  }
  const std::size_t removed = redact(batch);
  dropped_.fetch_add(removed, std::memory_order_relaxed);
  const std::uint64_t kept = records - removed;
  spop::recording::seal_records(batch.bytes());
  if (batch.empty() || file_.append(batch.bytes())) {
    if (failing_) {
      log(LogLevel::info, "recording to " + settings_.path.string() + " resumed (" +
                              std::to_string(dropped_while_failing_) + " records were dropped meanwhile)");
      failing_ = false;
    }
    recorded_.fetch_add(kept, std::memory_order_relaxed);
    bytes_.fetch_add(batch.size(), std::memory_order_relaxed);
    rotations_.store(file_.rotations(), std::memory_order_relaxed);
    return;
  }
  write_errors_.fetch_add(1, std::memory_order_relaxed);
  dropped_.fetch_add(kept, std::memory_order_relaxed);
  if (!failing_) {
    // One line per outage, not one per batch: a full disk must not fill the log as well.
    log(LogLevel::error, "recording stopped: " + file_.error() +
                             "; serving continues without recording, trying again every " +
                             retry_interval_text(settings_.retry_interval));
    failing_ = true;
    dropped_while_failing_ = 0;
  }
  dropped_while_failing_ += kept;
  retry_at_ = now + settings_.retry_interval;
  file_.close();
}

}  // namespace spoa
