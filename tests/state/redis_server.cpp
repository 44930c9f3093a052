#include "tests/state/redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>

#include "tests/support/temp_dir.hpp"

namespace spoa::test {

namespace {

// Ready: it answers PING, or asks for a password (NOAUTH): not while it loads its data (LOADING).
bool answers(std::uint16_t port) {
  try {
    RedisConnection c = RedisConnection::open({"127.0.0.1", port, {}}, std::chrono::milliseconds{1000});
    std::string request;
    resp::append_command(request, {"PING"});
    const auto replies = c.exchange(request, 1, std::chrono::milliseconds{1000});
    const resp::Reply& r = replies.front();
    return (r.type == resp::Reply::Type::status && r.text == "PONG") || r.error_code() == "NOAUTH";
  } catch (const RedisFailure&) {
    return false;
  }
}

void pause_briefly() {
  pollfd none{-1, 0, 0};
  ::poll(&none, 0, 10);  // a short pause between polls of a condition
}

// Polls until the process on `port` answers (true), exits (false) or 10 s pass (false).
bool wait_ready(pid_t& pid, std::uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (answers(port)) return true;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {  // exited: port taken, or no binary
      pid = -1;
      return false;
    }
    pause_briefly();
  }
  return false;
}

void kill_and_reap(pid_t& pid, int sig) {
  if (pid > 0) {
    ::kill(pid, SIGCONT);  // a paused process must run to die of SIGTERM
    ::kill(pid, sig);
    ::waitpid(pid, nullptr, 0);
  }
  pid = -1;
}

}  // namespace

pid_t spawn_quietly(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

bool redis_server_available() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }
bool redis_sentinel_available() { return std::system("command -v redis-sentinel >/dev/null 2>&1") == 0; }

std::optional<resp::Reply> redis_command(std::uint16_t port, std::initializer_list<std::string_view> args,
                                         const std::string& password) {
  try {
    constexpr std::chrono::milliseconds patience{5000};
    RedisConnection c = RedisConnection::open({"127.0.0.1", port, {}}, patience);
    std::string request;
    if (!password.empty()) resp::append_command(request, {"AUTH", password});
    resp::append_command(request, args);
    auto replies = c.exchange(request, password.empty() ? 1 : 2, patience);
    return std::move(replies.back());
  } catch (const RedisFailure&) {
    return std::nullopt;
  }
}

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

RedisServer::RedisServer(std::uint16_t port) : RedisServer(RedisServerOptions{port, {}, false, false, {}}) {}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)), dir_(spop::test::scratch_dir("redis")) {
  // A port picked here may be taken before redis binds it: try a few.
  const bool fixed = options_.port != 0;
  for (int attempt = 0; attempt < 5 && !ready_; ++attempt) {
    if (!fixed) options_.port = free_port();
    if (start_once() || fixed) break;
  }
}

bool RedisServer::start_once() {
  std::vector<std::string> args{"redis-server", "--port", std::to_string(options_.port), "--bind", "127.0.0.1",
                                "--save", "", "--dir", dir_.string()};
  if (options_.persistent) {
    args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    args.insert(args.end(), {"--appendonly", "no"});
  }
  if (options_.unix_socket) args.insert(args.end(), {"--unixsocket", unix_path().string(), "--unixsocketperm", "700"});
  args.insert(args.end(), options_.args.begin(), options_.args.end());
  pid_ = spawn_quietly(args);
  ready_ = wait_ready(pid_, options_.port);
  if (!ready_) kill_and_reap(pid_, SIGKILL);
  return ready_;
}

RedisServer::~RedisServer() { kill(); }

void RedisServer::kill() {
  kill_and_reap(pid_, SIGKILL);
  ready_ = false;
}

void RedisServer::stop() {
  kill_and_reap(pid_, SIGTERM);
  ready_ = false;
}

bool RedisServer::restart() {
  kill();
  return start_once();
}

std::size_t RedisServer::unread_bytes() const {
  // "sl local_address rem_address st tx_queue:rx_queue ...", addresses and queues in hex: sum rx_queue
  // over the ESTABLISHED (01) sockets whose local port is the server's.
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the header
  std::size_t total = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    if (!(fields >> slot >> local >> remote >> state >> queues)) continue;
    const auto colon = local.find(':');
    if (colon == std::string::npos || state != "01") continue;
    if (std::stoul(local.substr(colon + 1), nullptr, 16) != options_.port) continue;
    const auto split = queues.find(':');
    if (split != std::string::npos) total += std::stoul(queues.substr(split + 1), nullptr, 16);
  }
  return total;
}

void RedisServer::pause() {
  if (pid_ <= 0 || ::kill(pid_, SIGSTOP) != 0) return;
  // SIGSTOP takes effect when the server is next scheduled: wait for it, so that nothing sent from now on
  // is answered before resume().
  int status = 0;
  pid_t got = -1;
  do {
    got = ::waitpid(pid_, &status, WUNTRACED);
  } while (got < 0 && errno == EINTR);
  if (got == pid_ && !WIFSTOPPED(status)) {  // it died meanwhile, and is reaped now
    pid_ = -1;
    ready_ = false;
  }
}

void RedisServer::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

RedisSentinel::RedisSentinel(std::uint16_t master_port, const std::string& master, const std::string& auth_pass,
                             const std::string& own_password)
    : password_(own_password), dir_(spop::test::scratch_dir("sentinel")) {
  for (int attempt = 0; attempt < 5 && !ready_; ++attempt) {
    port_ = free_port();
    const auto conf = dir_ / "sentinel.conf";  // sentinel rewrites it: a file of its own
    {
      std::ofstream out(conf, std::ios::trunc);
      out << "port " << port_ << "\nbind 127.0.0.1\ndir " << dir_.string() << "\n"
          << "sentinel monitor " << master << " 127.0.0.1 " << master_port << " 2\n"
          << "sentinel down-after-milliseconds " << master << " 500\n"
          << "sentinel failover-timeout " << master << " 2000\n";
      if (!auth_pass.empty()) out << "sentinel auth-pass " << master << " " << auth_pass << "\n";
      if (!own_password.empty()) out << "requirepass " << own_password << "\n";
    }
    pid_ = spawn_quietly({"redis-sentinel", conf.string()});
    ready_ = wait_ready(pid_, port_);
    if (!ready_) kill_and_reap(pid_, SIGKILL);
  }
}

RedisSentinel::~RedisSentinel() { kill_and_reap(pid_, SIGKILL); }

RedisStoreOptions redis_store_options_for(const std::string& url) {
  RedisStoreOptions o;
  auto parsed = parse_redis_target(url);
  if (auto* target = std::get_if<RedisTarget>(&parsed)) o.target = *target;
  o.timeout = std::chrono::milliseconds{500};  // generous: the CI machine is busy; failure tests set their own
  o.first_backoff = std::chrono::milliseconds{20};
  o.max_backoff = std::chrono::milliseconds{200};
  return o;
}

RedisStoreOptions redis_store_options(std::uint16_t port, const std::string& url_tail) {
  return redis_store_options_for("redis://127.0.0.1:" + std::to_string(port) + url_tail);
}

}  // namespace spoa::test
