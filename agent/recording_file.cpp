#include "agent/recording_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "recording/reader.hpp"
#include "recording/writer.hpp"

namespace spoa {

namespace {

// Writes everything (a regular file may take a write in pieces); the bytes written in `done`.
int write_all_bytes(int fd, std::span<const std::byte> bytes, std::size_t& done) {
  done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

// Cuts the file back to `size` (after a failed write); the write's error is the one worth reporting.
void truncate_back_to(int fd, off_t size) {
  [[maybe_unused]] const int ignored = ::ftruncate(fd, size);
}

class RecordingFileLock {
 public:
  explicit RecordingFileLock(int fd) : fd_(fd) {
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~RecordingFileLock() {
    if (fd_ >= 0) ::flock(fd_, LOCK_UN);
  }
  void release() noexcept { fd_ = -1; }  // the descriptor was closed, which dropped the lock
  RecordingFileLock(const RecordingFileLock&) = delete;
  RecordingFileLock& operator=(const RecordingFileLock&) = delete;

 private:
  int fd_;
};

}  // namespace

RecordingFile::RecordingFile(RecordingFileSettings settings) : settings_(std::move(settings)) {}

RecordingFile::~RecordingFile() { close(); }

void RecordingFile::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  header_checked_ = false;
}

bool RecordingFile::fail(const std::string& what, int err) {
  error_ = what + ": " + std::strerror(err);
  return false;
}

bool RecordingFile::open() {
  if (fd_ >= 0) return true;
  fd_ = ::open(settings_.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ >= 0) return true;
  if (errno != ENOENT) return fail("cannot open " + settings_.path.string(), errno);
  return create();
}

std::vector<std::byte> RecordingFile::fresh_header() const {
  std::vector<std::byte> header;
  spop::recording::FileHeader h = settings_.header;
  h.created_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
  spop::recording::append_file_header(header, h);
  return header;
}

bool RecordingFile::create() {
  const std::filesystem::path tmp = settings_.path.string() + ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());  // left over by a process of the same pid that died here
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create " + settings_.path.string(), errno);
  const std::vector<std::byte> header = fresh_header();
  std::size_t done = 0;
  if (const int err = write_all_bytes(fd, header, done); err != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail("cannot write " + settings_.path.string(), err);
  }
  // link() never replaces: if another worker created FILE meanwhile, use theirs.
  if (::link(tmp.c_str(), settings_.path.c_str()) == 0) {
    ::unlink(tmp.c_str());
    fd_ = fd;
    header_checked_ = true;
    return true;
  }
  const int err = errno;
  ::close(fd);
  ::unlink(tmp.c_str());
  if (err != EEXIST) return fail("cannot create " + settings_.path.string(), err);
  fd_ = ::open(settings_.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return fail("cannot open " + settings_.path.string(), errno);
  return true;
}

bool RecordingFile::still_at_path() const {
  struct stat mine {}, named {};
  if (::fstat(fd_, &mine) != 0 || ::stat(settings_.path.c_str(), &named) != 0) return false;
  return mine.st_dev == named.st_dev && mine.st_ino == named.st_ino;
}

RecordingFile::HeaderCheck RecordingFile::check_header() {
  std::byte bytes[spop::recording::file_header_size];
  const int rfd = ::open(settings_.path.c_str(), O_RDONLY | O_CLOEXEC);  // fd_ is write-only
  ssize_t n = -1;
  if (rfd >= 0) {
    n = ::pread(rfd, bytes, sizeof bytes, 0);
    ::close(rfd);
  }
  if (n < static_cast<ssize_t>(spop::recording::magic.size()) ||
      !spop::recording::has_recording_magic(std::span(bytes, static_cast<std::size_t>(n))))
    return HeaderCheck::foreign;
  spop::recording::FileHeader h;
  std::size_t used = 0;
  std::string reason;
  if (spop::recording::decode_file_header(std::span(bytes, static_cast<std::size_t>(n)), h, used, reason) !=
          spop::recording::DecodeStatus::ok ||
      h.flags != settings_.header.flags || h.key_id != settings_.header.key_id)
    return HeaderCheck::other_recording;
  return HeaderCheck::ours;
}

bool RecordingFile::append(std::span<const std::byte> records) {
  // A few rounds at most: each one follows a rotation by another process or a file moved away.
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (!open()) return false;
    RecordingFileLock lock(fd_);
    if (!still_at_path()) {
      lock.release();
      close();
      continue;
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return fail("cannot stat " + settings_.path.string(), errno);
    if (st.st_size == 0) {
      // An empty FILE (created by logrotate or by hand): it gets our header first.
      const std::vector<std::byte> header = fresh_header();
      std::size_t done = 0;
      if (const int err = write_all_bytes(fd_, header, done); err != 0) {
        truncate_back_to(fd_, 0);
        return fail("cannot write " + settings_.path.string(), err);
      }
      st.st_size = static_cast<off_t>(header.size());
      header_checked_ = true;
    } else if (!header_checked_) {
      switch (check_header()) {
        case HeaderCheck::ours:
          header_checked_ = true;
          break;
        case HeaderCheck::other_recording:  // an earlier run's (another key): it goes to FILE.1
          rotate();
          lock.release();
          continue;
        case HeaderCheck::foreign:
          error_ = settings_.path.string() + " exists and is not a spop recording: it is left alone";
          return false;
      }
    }
    std::size_t done = 0;
    if (const int err = write_all_bytes(fd_, records, done); err != 0) {
      // Keep the file readable: a record cut in half would end every later read of it.
      if (done > 0) truncate_back_to(fd_, st.st_size);
      return fail("cannot write " + settings_.path.string(), err);
    }
    if (settings_.max_size != 0 && static_cast<std::uint64_t>(st.st_size) + done >= settings_.max_size) {
      rotate();
      lock.release();
    }
    return true;
  }
  error_ = settings_.path.string() + " keeps being replaced while it is written";
  return false;
}

void RecordingFile::rotate() {
  const std::string base = settings_.path.string();
  for (unsigned i = settings_.max_files; i > 1; --i)
    ::rename((base + "." + std::to_string(i - 1)).c_str(), (base + "." + std::to_string(i)).c_str());
  ::rename(base.c_str(), (base + ".1").c_str());
  ++rotations_;
  close();  // drops the lock
  // A new FILE at once, so that FILE is always there for whoever looks (its failure is the next append's).
  if (!create()) close();
}

}  // namespace spoa
