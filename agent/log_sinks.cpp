// The syslog and journal sinks. The journal goes through libsystemd (its native protocol); syslog
// through a plain datagram socket, as syslog(3) does, but with a configurable path.
#include "agent/log_sinks.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/log_format.hpp"
#include "agent/logging.hpp"

namespace spoa {

SyslogSocketSink::SyslogSocketSink(std::filesystem::path socket, int facility)
    : path_(std::move(socket)), facility_(facility) {}

SyslogSocketSink::~SyslogSocketSink() {
  if (fd_ >= 0) ::close(fd_);
}

bool SyslogSocketSink::connect_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const auto& p = path_.native();
  if (p.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, p.c_str(), p.size());
  return ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

void SyslogSocketSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t body;
  formatter_->format(msg, body);
  std::size_t n = body.size();
  while (n > 0 && body[n - 1] == '\n') --n;  // the formatter ends lines; a datagram needs no newline
  std::string datagram = fmt::format("<{}>{:%b %e %H:%M:%S} spoa[{}]: ", facility_ | syslog_severity(msg.level),
                                     fmt::localtime(std::chrono::system_clock::to_time_t(msg.time)),
                                     log_worker_pid());
  datagram.append(body.data(), n);
  // The socket is connected lazily and again after an error: syslogd may have restarted.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if ((fd_ >= 0 || connect_socket()) && ::send(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL) >= 0) {
      warned_ = false;
      return;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  if (!warned_) {
    warned_ = true;
    std::fprintf(stderr, "spoa: cannot write to syslog socket %s: %s; log records are lost until it is back\n",
                 path_.c_str(), std::strerror(errno));
  }
}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  auto fields = journal_fields(msg.level, std::string_view(msg.payload.data(), msg.payload.size()),
                               current_log_context());
  std::vector<iovec> iov;
  iov.reserve(fields.size());
  for (auto& f : fields) iov.push_back({f.data(), f.size()});
  int rc = ::sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
  if (rc < 0 && !warned_) {
    warned_ = true;
    std::fprintf(stderr, "spoa: cannot write to the systemd journal: %s; log records are lost until it is back\n",
                 std::strerror(-rc));
  } else if (rc >= 0) {
    warned_ = false;
  }
}

}  // namespace spoa
