#include "simulator/run/sim_socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace spop::sim {

bool resolve(const AgentAddress& agent, ResolvedAddress& out, std::string& error) {
  out = ResolvedAddress{};
  if (!agent.unix_path.empty()) {
    sockaddr_un un{};
    if (agent.unix_path.size() >= sizeof un.sun_path) {
      error = "Unix socket path too long: " + agent.unix_path;
      return false;
    }
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, agent.unix_path.c_str(), agent.unix_path.size() + 1);
    std::memcpy(&out.storage, &un, sizeof un);
    out.length = sizeof un;
    out.family = AF_UNIX;
    return true;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(agent.port);
  if (const int rc = ::getaddrinfo(agent.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
    error = "cannot resolve host '" + agent.host + "': " + ::gai_strerror(rc);
    return false;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(list, &::freeaddrinfo);
  std::memcpy(&out.storage, list->ai_addr, list->ai_addrlen);
  out.length = list->ai_addrlen;
  out.family = list->ai_family;
  return true;
}

int start_connect(const ResolvedAddress& address, std::string& error) {
  const int fd = ::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket(): ") + std::strerror(errno);
    return -1;
  }
  if (address.family != AF_UNIX) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0 &&
      errno != EINPROGRESS && errno != EAGAIN) {
    error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void close_with_reset(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

}  // namespace spop::sim
