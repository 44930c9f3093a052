// SocketLink and the KeepalivePool (see socket_link.hpp).
#include "agent/engines/lua/socket_link.hpp"

#include <algorithm>
#include <cstring>

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
  start += std::min(n, buffered());
  if (start == buffer.size()) {
    buffer.clear();
    start = 0;
  }
}

char* SocketLink::prepare(std::size_t chunk) {
  if (start > 0 && start >= buffer.size() / 2) {  // move the unread bytes to the front now and then
    buffer.erase(0, start);
    start = 0;
  }
  const std::size_t used = buffer.size();
  buffer.resize(used + chunk);
  return buffer.data() + used;
}

void SocketLink::close() noexcept {
  boost::system::error_code ignored;
  socket.close(ignored);  // the buffer stays: a read in progress still owns its end
}

KeepalivePool::~KeepalivePool() = default;

void KeepalivePool::shutdown() {
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
  while (!link && !entries.empty()) {
    std::shared_ptr<Entry> entry = std::move(entries.back());  // the most recent: the least likely closed
    entries.pop_back();
    --count_;
    entry->pooled = false;
    boost::system::error_code ignored;
    cancel_timer(entry->timer);
    entry->link->socket.cancel(ignored);  // its watch for the peer's close ends (operation_aborted)
    if (entry->link->socket.is_open()) link = std::move(entry->link);
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
  auto entry = std::make_shared<Entry>(std::move(link));
  entries.push_back(entry);
  ++count_;
  // The peer closing (or anything arriving) makes the socket readable: it is no use any more.
  entry->link->socket.async_wait(boost::asio::socket_base::wait_read,
                                 [this, entry](const boost::system::error_code& ec) {
                                   if (ec != boost::asio::error::operation_aborted && entry->pooled) drop(entry);
                                 });
  if (idle.count() > 0) {
    entry->timer.expires_after(idle);
    entry->timer.async_wait([this, entry](const boost::system::error_code& ec) {
      if (!ec && entry->pooled) drop(entry);
    });
  }
}

void KeepalivePool::drop(std::shared_ptr<Entry> entry) noexcept {  // a copy: it may be the deque's own
  if (!entry->pooled) return;
  entry->pooled = false;
  cancel_timer(entry->timer);
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
