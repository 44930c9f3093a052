// Raw POSIX connection with deadlines for the conformance checks.
#include "simulator/conform/probe.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

namespace spop::sim::conform {

namespace {

constexpr std::uint32_t largest_readable_frame = 16u << 20;

int wait_fd(int fd, short events, Clock::time_point deadline) { return spop::netclient::wait_fd(fd, events, deadline); }

}  // namespace

std::string Probe::connect(const Endpoint& endpoint, const spop::netclient::ClientContext* tls,
                           Clock::time_point deadline) {
  close();
  in_.clear();
  auto c = spop::netclient::connect_transport(endpoint, tls, deadline);
  if (!c.transport.is_open()) return c.message;
  io_ = std::move(c.transport);
  return "";
}

bool Probe::send(std::span<const std::byte> bytes, Clock::time_point deadline) {
  if (!io_.is_open()) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = io_.send(bytes.data() + done, bytes.size() - done);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    if (wait_fd(io_.fd(), POLLOUT, deadline) <= 0) return false;
  }
  return true;
}

bool Probe::send_chunked(std::span<const std::byte> bytes, std::size_t chunk, Millis gap,
                         Clock::time_point deadline) {
  chunk = std::max<std::size_t>(chunk, 1);
  for (std::size_t off = 0; off < bytes.size(); off += chunk) {
    if (off > 0 && gap.count() > 0) std::this_thread::sleep_for(gap);  // pacing, not synchronisation
    if (!send(bytes.subspan(off, std::min(chunk, bytes.size() - off)), deadline)) return false;
  }
  return true;
}

Probe::Fill Probe::fill(Clock::time_point deadline) {
  for (;;) {
    std::byte buf[16384];
    const ssize_t n = io_.recv(buf, sizeof buf);
    if (n > 0) {
      in_.insert(in_.end(), buf, buf + n);
      return Fill::ok;
    }
    if (n == 0) return Fill::closed;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET || errno == EPIPE) return Fill::reset;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Fill::reset;
    if (io_.has_buffered_input()) continue;
    const int rc = wait_fd(io_.fd(), POLLIN, deadline);
    if (rc == 0) return Fill::timeout;
    if (rc < 0) return Fill::reset;
  }
}

Received Probe::read_frame(Clock::time_point deadline) {
  Received r;
  if (!io_.is_open()) {
    r.status = ReadStatus::closed;
    return r;
  }
  for (;;) {
    std::uint32_t len = 0;
    if (peek_frame_length(in_, len) == Errc::ok) {
      if (len < min_frame_length || len > largest_readable_frame) {
        r.status = ReadStatus::broken;
        r.error = "LEN " + std::to_string(len) + (len < min_frame_length ? " is below 7" : " is absurdly large");
        return r;
      }
      if (in_.size() >= frame_length_prefix + len) {
        Frame frame;
        const auto body = std::span<const std::byte>(in_).subspan(frame_length_prefix, len);
        if (const Errc e = decode_frame(body, frame); e != Errc::ok) {
          r.status = ReadStatus::broken;
          r.error = "frame header does not decode (" + make_error_code(e).message() + ")";
          return r;
        }
        r.status = ReadStatus::frame;
        r.header = frame.header;
        r.length = len;
        r.payload.assign(frame.payload.begin(), frame.payload.end());
        in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(frame_length_prefix + len));
        return r;
      }
    }
    switch (fill(deadline)) {
      case Fill::ok: continue;
      case Fill::closed:
        r.status = in_.empty() ? ReadStatus::closed : ReadStatus::broken;
        if (!in_.empty()) r.error = "connection closed in the middle of a frame";
        return r;
      case Fill::reset: r.status = ReadStatus::reset; return r;
      case Fill::timeout: r.status = ReadStatus::timeout; return r;
    }
  }
}

bool Probe::readable(Millis wait) {
  if (!io_.is_open()) return true;
  if (!in_.empty() || io_.has_buffered_input()) return true;
  return wait_fd(io_.fd(), POLLIN, Clock::now() + wait) != 0;
}

void Probe::reset() noexcept { io_.reset(); }

void Probe::close() noexcept { io_.close(); }

void Probe::shutdown_write() noexcept { io_.shutdown_write(); }

}  // namespace spop::sim::conform
