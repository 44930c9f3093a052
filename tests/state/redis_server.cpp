#include "tests/state/redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

namespace spoa::test {

namespace {

int connect_local(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool answers_ping(std::uint16_t port) {
  int fd = connect_local(port);
  if (fd < 0) return false;
  const char ping[] = "PING\r\n";
  bool ok = ::write(fd, ping, sizeof ping - 1) == static_cast<ssize_t>(sizeof ping - 1);
  char buf[16] = {};
  pollfd p{fd, POLLIN, 0};
  ok = ok && ::poll(&p, 1, 1000) == 1 && ::read(fd, buf, sizeof buf - 1) > 0 && std::strncmp(buf, "+PONG", 5) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

bool redis_server_available() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

RedisServer::RedisServer(std::uint16_t port) {
  // A port picked here may be taken before redis binds it: try a few.
  for (int attempt = 0; attempt < 5 && !ready_; ++attempt) {
    port_ = port != 0 ? port : free_port();
    const std::string p = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", "/tmp", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (answers_ping(port_)) {
        ready_ = true;
        break;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: port taken, or no binary
        pid_ = -1;
        break;
      }
      pollfd none{-1, 0, 0};
      ::poll(&none, 0, 10);  // a short pause between polls of the condition
    }
    if (!ready_) kill();
    if (port != 0) break;
  }
}

RedisServer::~RedisServer() { kill(); }

void RedisServer::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  ready_ = false;
}

}  // namespace spoa::test
