// SocketLink and the KeepalivePool (see socket_link.hpp).
#include "agent/engines/lua/socket_link.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace spoa::lua {

namespace {

void cancel_timer(boost::asio::steady_timer& timer) noexcept {
  try {
    timer.cancel();
  } catch (...) {  // cannot fail on Linux; its handler then just finds the entry gone
  }
}

}  // namespace

void SocketLink::consume(std::size_t n) noexcept {
  start_ += std::min(n, buffered());
  if (start_ == end_) start_ = end_ = 0;
}

char* SocketLink::prepare(std::size_t chunk) {
  if (start_ > 0 && (start_ >= end_ / 2 || buffer_.size() - end_ < chunk)) {  // move the unread bytes to the front
    buffer_.erase(0, start_);
    buffer_.resize(buffer_.capacity());
    end_ -= start_;
    start_ = 0;
  }
  if (buffer_.size() - end_ < chunk) buffer_.resize(end_ + chunk);
  return buffer_.data() + end_;
}

void SocketLink::close() noexcept {
  boost::system::error_code ignored;
  socket.close(ignored);  // the buffer stays: a read in progress still owns its end
}

KeepalivePool::~KeepalivePool() = default;

void KeepalivePool::shutdown() {
  cancel_timer(sweep_);
  for (auto& [name, entries] : pools_) {
    for (auto& entry : entries) {
      entry->pooled = false;
      entry->link->close();
    }
  }
  pools_.clear();
  count_ = 0;
}

std::shared_ptr<SocketLink> KeepalivePool::take(const std::string& address) {
  auto it = pools_.find(address);
  if (it == pools_.end()) return nullptr;
  auto& entries = it->second;
  std::shared_ptr<SocketLink> link;
  const auto now = Clock::now();
  while (!link && !entries.empty()) {
    std::shared_ptr<Entry> entry = std::move(entries.back());  // the most recent: the least likely closed
    entries.pop_back();
    --count_;
    entry->pooled = false;
    boost::system::error_code ignored;
    entry->link->socket.cancel(ignored);  // its watch for the peer's close ends (operation_aborted)
    if (entry->link->socket.is_open() && entry->idle_until > now) {
      link = std::move(entry->link);
    } else {
      entry->link->close();
    }
  }
  if (entries.empty()) pools_.erase(it);
  if (link) ++link->reused;
  return link;
}

void KeepalivePool::put(std::shared_ptr<SocketLink> link, std::chrono::milliseconds idle, std::size_t size) {
  auto& entries = pools_[link->key];
  while (!entries.empty() && entries.size() >= std::max<std::size_t>(size, 1)) {
    drop(entries.front());  // the one idle the longest
  }
  const auto until = idle.count() > 0 ? Clock::now() + idle : Clock::time_point::max();
  auto entry = std::make_shared<Entry>(Entry{std::move(link), until, true});
  entries.push_back(entry);
  ++count_;
  watch(entry);
  if (until < sweep_at_) arm_sweep(until);
}

void KeepalivePool::watch(const std::shared_ptr<Entry>& entry) {
  entry->link->socket.async_wait(boost::asio::socket_base::wait_read,
                                 [this, entry](const boost::system::error_code& ec) {
                                   if (ec == boost::asio::error::operation_aborted || !entry->pooled) return;
                                   // Readable: the peer closed (or sent what nobody asked for). A readiness
                                   // that no longer holds (the bytes were taken before it was pooled) is
                                   // not one: look without taking anything.
                                   char byte;
                                   const ssize_t n = ::recv(entry->link->socket.native_handle(), &byte, 1,
                                                            MSG_PEEK | MSG_DONTWAIT);
                                   if (!ec && n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return watch(entry);
                                   drop(entry);
                                 });
}

void KeepalivePool::arm_sweep(Clock::time_point when) {
  sweep_at_ = when;
  sweep_.expires_at(when);
  sweep_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) sweep();
  });
}

void KeepalivePool::sweep() {
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  std::vector<std::shared_ptr<Entry>> expired;
  for (auto& [name, entries] : pools_) {
    for (auto& entry : entries) {
      if (entry->idle_until <= now) {
        expired.push_back(entry);
      } else {
        next = std::min(next, entry->idle_until);
      }
    }
  }
  for (auto& entry : expired) drop(entry);
  sweep_at_ = Clock::time_point::max();
  if (next != Clock::time_point::max()) arm_sweep(next);
}

void KeepalivePool::drop(std::shared_ptr<Entry> entry) noexcept {  // a copy: it may be the deque's own
  if (!entry->pooled) return;
  entry->pooled = false;
  entry->link->close();
  auto it = pools_.find(entry->link->key);
  if (it == pools_.end()) return;
  auto& entries = it->second;
  auto found = std::find(entries.begin(), entries.end(), entry);
  if (found != entries.end()) {
    entries.erase(found);
    --count_;
  }
  if (entries.empty()) pools_.erase(it);
}

std::size_t KeepalivePool::idle(const std::string& address) const {
  auto it = pools_.find(address);
  return it == pools_.end() ? 0 : it->second.size();
}

}  // namespace spoa::lua
