// Binding with plain POSIX calls: the sockets exist before fork and every worker accepts on them.
#include "agent/listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "agent/options.hpp"
#include "agent/systemd.hpp"

namespace spoa {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// An ephemeral port chosen by the first socket can be taken on the other family already; retry then.
constexpr int ephemeral_attempts = 16;

struct Candidate {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = 0;
  std::string host;
};

std::string numeric_host(const sockaddr* sa, socklen_t len) {
  char buf[NI_MAXHOST] = {};
  if (::getnameinfo(sa, len, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) != 0) return "?";
  return buf;
}

std::vector<Candidate> resolve(const std::string& spec) {
  std::string host = spec;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), "0", &hints, &res);
  if (rc != 0) throw ListenError("cannot listen on '" + spec + "': " + ::gai_strerror(rc));
  std::vector<Candidate> out;
  for (auto* ai = res; ai != nullptr; ai = ai->ai_next) {
    Candidate c;
    std::memcpy(&c.addr, ai->ai_addr, ai->ai_addrlen);
    c.len = ai->ai_addrlen;
    c.family = ai->ai_family;
    c.host = numeric_host(ai->ai_addr, ai->ai_addrlen);
    bool dup = false;
    for (const auto& o : out) dup = dup || (o.family == c.family && o.host == c.host);
    if (!dup) out.push_back(c);
  }
  ::freeaddrinfo(res);
  return out;
}

void set_port(Candidate& c, std::uint16_t port) {
  if (c.family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&c.addr)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&c.addr)->sin6_port = htons(port);
  }
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

// Returns the fd, or -1 with `err` set to the failing errno and `what` to the failing call.
int bind_tcp(const Candidate& c, int& err, const char*& what) {
  int fd = ::socket(c.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    what = "socket";
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // "::" must not also claim IPv4, or it would collide with the 0.0.0.0 socket.
  if (c.family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&c.addr), c.len) != 0) {
    err = errno;
    what = "bind";
    ::close(fd);
    return -1;
  }
  if (::listen(fd, SOMAXCONN) != 0) {
    err = errno;
    what = "listen";
    ::close(fd);
    return -1;
  }
  return fd;
}

bool ipv6_unavailable(int err) {
  return err == EAFNOSUPPORT || err == EADDRNOTAVAIL || err == EPROTONOSUPPORT;
}

// A socket file left by a previous run answers nothing: remove it. One that accepts is in use.
void clear_stale_unix_socket(const std::filesystem::path& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode)) throw ListenError("cannot listen on unix:" + path.string() + ": the file exists and is not a socket");
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return;
  int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::close(probe);
  if (rc == 0) throw ListenError("cannot listen on unix:" + path.string() + ": another process is listening there");
  ::unlink(path.c_str());
}

// Socket activation: describes a listening socket systemd passed us, after checking it is one.
ListenSocket adopt_socket(int fd) {
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
  len = sizeof listening;
  ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
  sockaddr_storage ss{};
  socklen_t slen = sizeof ss;
  if (type != SOCK_STREAM || listening == 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &slen) != 0) {
    throw ListenError("descriptor " + std::to_string(fd) +
                      " passed by systemd (LISTEN_FDS) is not a listening stream socket");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  ListenSocket s{fd, ss.ss_family, "", 0};
  if (ss.ss_family == AF_UNIX) {
    s.host = reinterpret_cast<const sockaddr_un*>(&ss)->sun_path;
  } else {
    s.host = numeric_host(reinterpret_cast<const sockaddr*>(&ss), slen);
    s.port = bound_port(fd);
  }
  return s;
}

}  // namespace

std::string ListenSocket::display() const {
  if (family == AF_UNIX) return "unix:" + host;
  if (family == AF_INET6) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string ListenSocket::ready_line() const {
  if (family == AF_UNIX) return "unix " + host;
  return host + " " + std::to_string(port);
}

Listeners::Listeners(const Options& options) {
  // systemd socket activation: its sockets replace -p/--address/--unix. The socket file of a unix
  // socket belongs to systemd, so unix_path_ stays empty and it is never removed here.
  if (auto inherited = inherited_sockets(); !inherited.empty()) {
    try {
      for (int fd : inherited) sockets_.push_back(adopt_socket(fd));
    } catch (...) {
      close_all();
      throw;
    }
    spdlog::info("using {} socket(s) passed by systemd; -p, --address and --unix are ignored", sockets_.size());
    return;
  }
  if (options.listen_tcp()) {
    bool defaults = options.addresses.empty();
    std::vector<Candidate> candidates;
    for (const auto& spec : defaults ? std::vector<std::string>{"0.0.0.0", "::"} : options.addresses) {
      auto found = resolve(spec);
      candidates.insert(candidates.end(), found.begin(), found.end());
    }
    for (int attempt = 0;; ++attempt) {
      std::uint16_t port = options.port;
      bool retry = false;
      for (auto& c : candidates) {
        set_port(c, port);
        int err = 0;
        const char* what = "";
        int fd = bind_tcp(c, err, what);
        if (fd < 0) {
          if (defaults && c.family == AF_INET6 && ipv6_unavailable(err)) {
            spdlog::info("IPv6 is not available ({}: {}); listening on IPv4 only", what, errno_text(err));
            continue;
          }
          if (options.port == 0 && err == EADDRINUSE && port != 0 && attempt + 1 < ephemeral_attempts) {
            retry = true;
            break;
          }
          throw ListenError("cannot listen on " + c.host + ":" + std::to_string(port) + ": " + what + ": " +
                            errno_text(err));
        }
        if (port == 0) port = bound_port(fd);
        sockets_.push_back({fd, c.family, c.host, port});
      }
      if (!retry) break;
      close_all();
    }
  }
  if (options.unix_path) {
    const auto& path = *options.unix_path;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.native().size() >= sizeof addr.sun_path) {
      close_all();
      throw ListenError("cannot listen on unix:" + path.string() + ": path longer than " +
                        std::to_string(sizeof addr.sun_path - 1) + " bytes");
    }
    std::memcpy(addr.sun_path, path.c_str(), path.native().size());
    try {
      clear_stale_unix_socket(path, addr);
    } catch (...) {
      close_all();
      throw;
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, SOMAXCONN) != 0) {
      int err = errno;
      if (fd >= 0) ::close(fd);
      close_all();
      throw ListenError("cannot listen on unix:" + path.string() + ": " + errno_text(err));
    }
    unix_path_ = path;
    sockets_.push_back({fd, AF_UNIX, path.string(), 0});
  }
  if (sockets_.empty()) throw ListenError("no address to listen on");
}

Listeners::~Listeners() { close_all(); }

void Listeners::close_all() noexcept {
  for (auto& s : sockets_) {
    if (s.fd >= 0) ::close(s.fd);
  }
  sockets_.clear();
}

void Listeners::remove_unix_socket() noexcept {
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

}  // namespace spoa
