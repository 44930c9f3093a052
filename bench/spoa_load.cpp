// spoa_load: end-to-end load generator for the agent. Opens C connections, keeps D NOTIFYs in flight
// on each for N seconds, and prints NOTIFY->ACK per second and latency percentiles.
//
// One thread and epoll, so that it can run pinned to one core beside the agent on another
// (bench/run-agent-bench.sh). Two more modes serve the memory benchmark (bench/run-memory-bench.sh):
// -n stops after a number of ACKs instead of a time, and -i opens idle connections (handshake only)
// and holds them. NOTIFYs are built into a reused buffer and every batch of new NOTIFYs
// for one connection leaves in one write, like HAProxy's pipelined connections. -k MS adds a second
// thread that runs a health check (new connection, HAPROXY-HELLO with healthcheck, AGENT-HELLO) every
// MS milliseconds during the measurement and reports their latency: what HAProxy's `option spop-check`
// sees while the agent is loaded. With --tls-ca (and --tls-cert/--tls-key for an agent that requires
// client certificates) every connection is TLS, as HAProxy's `server ... ssl verify required ca-file ...
// crt ...`; each batch is then one TLS record.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "netclient/transport.hpp"
#include "spop/frame.hpp"
#include "spop/hello.hpp"
#include "spop/notify_builder.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::string host = "127.0.0.1";
  int port = 12345;
  std::string unix_path;
  int connections = 10;
  int depth = 20;
  double seconds = 5;
  double warmup = 1;
  std::string message = "check-client-ip";
  std::uint64_t count = 0;  ///< -n: stop after this many ACKs (0: run for `seconds`)
  int idle = 0;             ///< -i: open this many idle connections, print "idle-ready", hold `seconds`
  int check_every_ms = 0;   ///< -k: a health check every this many ms while measuring (0: none)
  spop::netclient::TlsClientOptions tls;  ///< --tls-ca, --tls-cert, --tls-key
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "spoa_load: %s\n", what.c_str());
  std::exit(1);
}

void usage() {
  std::printf(
      "usage: spoa_load [-h host] [-p port | -u unix-path] [-c connections] [-d in-flight-per-connection]\n"
      "                 [-t seconds] [-w warmup-seconds] [-m message-name] [-n acks] [-i idle-connections]\n"
      "                 [-k check-every-ms] [--tls-ca ca.pem [--tls-cert client.pem --tls-key client.key]]\n"
      "defaults: -h 127.0.0.1 -p 12345 -c 10 -d 20 -t 5 -w 1 -m check-client-ip\n"
      "-n N: stop after N ACKs (no warm-up; -t is ignored); -i N: open N connections, do the handshake,\n"
      "print 'idle-ready', hold them for -t seconds, then close them; -k MS: a health check every MS ms\n"
      "while measuring, their latency on a 'check' line; --tls-ca: TLS to the agent, verified against this\n"
      "CA (its name is not checked), with a client certificate when --tls-cert is given\n");
}

Config parse(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + std::string(a));
      return argv[++i];
    };
    if (a == "-h") c.host = value();
    else if (a == "-p") c.port = std::stoi(value());
    else if (a == "-u") c.unix_path = value();
    else if (a == "-c") c.connections = std::stoi(value());
    else if (a == "-d") c.depth = std::stoi(value());
    else if (a == "-t") c.seconds = std::stod(value());
    else if (a == "-w") c.warmup = std::stod(value());
    else if (a == "-m") c.message = value();
    else if (a == "-n") c.count = std::stoull(value());
    else if (a == "-i") c.idle = std::stoi(value());
    else if (a == "-k") c.check_every_ms = std::stoi(value());
    else if (a == "--tls-ca") c.tls.ca = value();
    else if (a == "--tls-cert") c.tls.cert = value();
    else if (a == "--tls-key") c.tls.key = value();
    else if (a == "--help") {
      usage();
      std::exit(0);
    } else {
      usage();
      die("unknown argument " + std::string(a));
    }
  }
  if (c.connections < 1 || c.depth < 1 || c.seconds <= 0) die("-c, -d and -t must be positive");
  if (c.idle < 0) die("-i must not be negative");
  if (c.count > 0) c.warmup = 0;
  c.tls.enabled = !c.tls.ca.empty();
  if (!c.tls.enabled && !c.tls.cert.empty()) die("--tls-cert needs --tls-ca");
  c.tls.verify_name = "";  // the agent is reached by address; its chain is still verified
  return c;
}

// Latency histogram: 1 us buckets up to 100 ms, then one overflow bucket.
class Histogram {
 public:
  void add(Clock::duration d) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    std::size_t i = us < 0 ? 0 : static_cast<std::size_t>(us);
    ++buckets_[i < buckets_.size() - 1 ? i : buckets_.size() - 1];
    ++count_;
    if (us > max_us_) max_us_ = us;
  }
  double percentile(double p) const {
    auto target = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen > target) return i + 1 < buckets_.size() ? static_cast<double>(i) : static_cast<double>(max_us_);
    }
    return static_cast<double>(max_us_);
  }
  std::uint64_t count() const { return count_; }
  long long max_us() const { return max_us_; }
  void clear() {
    std::fill(buckets_.begin(), buckets_.end(), 0);
    count_ = 0;
    max_us_ = 0;
  }

 private:
  std::vector<std::uint64_t> buckets_ = std::vector<std::uint64_t>(100'001);
  std::uint64_t count_ = 0;
  long long max_us_ = 0;
};

struct Conn {
  int fd = -1;
  std::unique_ptr<spop::netclient::TlsSession> tls;
  std::vector<std::byte> in;
  std::size_t in_len = 0;
  std::vector<std::byte> out;
  std::size_t out_head = 0;
  std::uint64_t next_sid = 1;
  std::vector<std::pair<std::uint64_t, Clock::time_point>> sent;  // ring of in-flight (sid, time)
};

int open_socket(const Config& cfg) {
  int fd;
  if (!cfg.unix_path.empty()) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, cfg.unix_path.c_str(), sizeof a.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect: " + std::string(std::strerror(errno)));
  } else {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(cfg.port));
    if (::inet_pton(AF_INET, cfg.host.c_str(), &a.sin_addr) != 1) die("bad IPv4 address " + cfg.host);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect: " + std::string(std::strerror(errno)));
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

// The TLS context of every connection (--tls-ca), or none; SSL_CTX is safe to share with the -k thread.
std::optional<spop::netclient::ClientContext> tls_context;

// Blocking TLS handshake right after connect (the socket is still blocking).
void start_tls(Conn& c, const Config& cfg) {
  if (!tls_context) return;
  c.tls = std::make_unique<spop::netclient::TlsSession>(*tls_context, c.fd, cfg.host);
  if (c.tls->handshake() != spop::netclient::TlsStep::done) die("TLS: " + c.tls->error());
}

// Plaintext: the same calls as before TLS existed (blocking until the sockets are made non-blocking).
ssize_t send_bytes(Conn& c, const void* data, std::size_t size) {
  if (!c.tls) return ::send(c.fd, data, size, MSG_NOSIGNAL);
  std::string error;
  const ssize_t n = spop::netclient::send_some(c.fd, c.tls.get(), data, size, error);
  if (n < 0 && errno == EPROTO) die("TLS: " + error);
  return n;
}

ssize_t recv_bytes(Conn& c, void* data, std::size_t size) {
  if (!c.tls) return ::recv(c.fd, data, size, 0);
  std::string error;
  const ssize_t n = spop::netclient::recv_some(c.fd, c.tls.get(), data, size, error);
  if (n < 0 && errno == EPROTO) die("TLS: " + error);
  return n;
}

// Blocking handshake before the measured phase (or a health check's whole exchange).
void handshake(Conn& c, bool healthcheck = false) {
  std::vector<std::byte> hello;
  spop::HaproxyHelloParams p;
  p.healthcheck = healthcheck;
  p.capabilities = "pipelining";
  p.engine_id = "spoa-load";
  spop::write_haproxy_hello(hello, p);
  if (send_bytes(c, hello.data(), hello.size()) != static_cast<ssize_t>(hello.size())) die("send HELLO");
  std::vector<std::byte> buf(65536);
  std::size_t len = 0;
  for (;;) {
    ssize_t n = recv_bytes(c, buf.data() + len, buf.size() - len);
    if (n < 0 && errno == EAGAIN) continue;  // TLS: a record other than data (a session ticket)
    if (n <= 0) die("agent closed during the handshake");
    len += static_cast<std::size_t>(n);
    spop::Frame f;
    std::size_t used = 0;
    auto e = spop::split_frame(std::span<const std::byte>(buf.data(), len), 0xFFFFFF, f, used);
    if (e == spop::Errc::need_more) continue;
    if (e != spop::Errc::ok || f.header.type != spop::FrameType::agent_hello) die("no AGENT-HELLO");
    return;
  }
}

void queue_notifies(Conn& c, int n, const Config& cfg, std::span<const spop::Argument> args, Clock::time_point now) {
  for (int i = 0; i < n; ++i) {
    std::uint64_t sid = c.next_sid++;
    spop::NotifyBuilder b(c.out, sid, 1, spop::default_max_frame_size);
    b.add_message(cfg.message, args);
    b.finish();
    c.sent[sid % c.sent.size()] = {sid, now};
  }
}

bool flush(Conn& c) {
  while (c.out_head < c.out.size()) {
    ssize_t n = send_bytes(c, c.out.data() + c.out_head, c.out.size() - c.out_head);
    if (n < 0) {
      if (errno == EAGAIN) return true;
      if (errno == EINTR) continue;
      die("send: " + std::string(std::strerror(errno)));
    }
    c.out_head += static_cast<std::size_t>(n);
  }
  c.out.clear();
  c.out_head = 0;
  return true;
}

}  // namespace

// -i: connections that only did the handshake, as HAProxy keeps them between requests.
int hold_idle(const Config& cfg) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  std::vector<Conn> conns(static_cast<std::size_t>(cfg.idle));
  for (auto& c : conns) {
    c.fd = open_socket(cfg);
    start_tls(c, cfg);
    handshake(c);
  }
  std::printf("idle-ready %d\n", cfg.idle);
  std::fflush(stdout);
  ::usleep(static_cast<useconds_t>(cfg.seconds * 1e6));
  for (auto& c : conns) ::close(c.fd);
  return 0;
}

// -k: health checks one after the other, each on a new connection, until `stop`.
void run_checks(const Config& cfg, const std::atomic<bool>& measuring, const std::atomic<bool>& stop, Histogram& hist) {
  while (!stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(cfg.check_every_ms));
    const auto started = Clock::now();
    Conn c;
    c.fd = open_socket(cfg);
    start_tls(c, cfg);
    handshake(c, true);
    const auto took = Clock::now() - started;
    ::close(c.fd);
    if (measuring.load()) hist.add(took);
  }
}

int main(int argc, char** argv) {
  Config cfg = parse(argc, argv);
  if (cfg.tls.enabled) {
    try {
      tls_context.emplace(cfg.tls);
    } catch (const std::exception& e) {
      die(e.what());
    }
  }
  if (cfg.idle > 0) return hold_idle(cfg);
  const spop::Argument args[] = {{"ip", spop::Value::ipv4({{192, 0, 2, 10}})}};

  std::vector<Conn> conns(static_cast<std::size_t>(cfg.connections));
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    Conn& c = conns[i];
    c.fd = open_socket(cfg);
    start_tls(c, cfg);
    handshake(c);
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    c.in.resize(256 * 1024);
    c.sent.resize(static_cast<std::size_t>(cfg.depth) * 4);
    c.out.reserve(64 * 1024);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }

  Histogram hist;
  auto start = Clock::now();
  auto measure_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.warmup));
  auto end = measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.seconds));
  for (auto& c : conns) {
    queue_notifies(c, cfg.depth, cfg, args, start);
    flush(c);
  }

  bool measuring = false;
  std::atomic<bool> checks_measuring{false};
  std::atomic<bool> checks_stop{false};
  Histogram checks;
  std::thread checker;
  if (cfg.check_every_ms > 0) checker = std::thread(run_checks, std::cref(cfg), std::cref(checks_measuring),
                                                    std::cref(checks_stop), std::ref(checks));
  std::uint64_t acks = 0, unknown = 0;
  std::array<epoll_event, 256> events{};
  for (;;) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    auto now = Clock::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      checks_measuring = true;
      hist.clear();
      acks = 0;
    }
    if (cfg.count > 0 ? acks >= cfg.count : now >= end) break;
    for (int k = 0; k < n; ++k) {
      Conn& c = conns[events[static_cast<std::size_t>(k)].data.u64];
      // Plaintext: one read per wake-up. TLS: read until the socket and the session are empty, since
      // records the session already holds wake no epoll.
      bool any = false;
      do {
        ssize_t r = recv_bytes(c, c.in.data() + c.in_len, c.in.size() - c.in_len);
        if (r == 0) die("agent closed a connection");
        if (r < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          die("recv: " + std::string(std::strerror(errno)));
        }
        c.in_len += static_cast<std::size_t>(r);
        any = true;
      } while (c.tls && c.in_len < c.in.size());
      if (!any) continue;
      std::size_t pos = 0;
      int answered = 0;
      for (;;) {
        spop::Frame f;
        std::size_t used = 0;
        auto e = spop::split_frame(std::span<const std::byte>(c.in.data() + pos, c.in_len - pos), 0xFFFFFF, f, used);
        if (e == spop::Errc::need_more) break;
        if (e != spop::Errc::ok) die("bad frame from the agent");
        pos += used;
        if (f.header.type == spop::FrameType::agent_disconnect) die("agent sent DISCONNECT");
        if (f.header.type != spop::FrameType::ack) {
          ++unknown;
          continue;
        }
        auto& slot = c.sent[f.header.stream_id % c.sent.size()];
        if (slot.first == f.header.stream_id) hist.add(now - slot.second);
        ++answered;
      }
      std::memmove(c.in.data(), c.in.data() + pos, c.in_len - pos);
      c.in_len -= pos;
      acks += static_cast<std::uint64_t>(answered);
      if (answered > 0) {
        queue_notifies(c, answered, cfg, args, now);
        flush(c);
      }
    }
  }
  double secs = cfg.count > 0 ? std::chrono::duration<double>(Clock::now() - start).count() : cfg.seconds;
  std::printf("connections %d  in-flight/conn %d  duration %.1fs\n", cfg.connections, cfg.depth, secs);
  std::printf("%-14s %12s %8s %8s %8s %8s %8s\n", "", "NOTIFY/s", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us");
  std::printf("%-14s %12.0f %8.0f %8.0f %8.0f %8.0f %8lld\n", "result", static_cast<double>(acks) / secs,
              hist.percentile(50), hist.percentile(90), hist.percentile(99), hist.percentile(99.9), hist.max_us());
  if (unknown != 0) std::printf("(%llu frames other than ACK)\n", static_cast<unsigned long long>(unknown));
  if (checker.joinable()) {
    checks_stop = true;
    checker.join();
    std::printf("%-14s %12llu %8.0f %8.0f %8.0f %8.0f %8lld   (health checks: count, then latency)\n", "check",
                static_cast<unsigned long long>(checks.count()), checks.percentile(50), checks.percentile(90),
                checks.percentile(99), checks.percentile(99.9), checks.max_us());
  }
  for (auto& c : conns) ::close(c.fd);
  ::close(ep);
  return 0;
}
