// Helpers of ops_helpers.hpp.
#include "tests/agent/ops_helpers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "agent/engines/engine.hpp"
#include "spop/ack_reader.hpp"

namespace spoa::test {

ParseResult parse_args(std::vector<std::string> args, std::string* err) {
  args.insert(args.begin(), "spoa");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  ::testing::internal::CaptureStderr();
  auto r = parse_options(static_cast<int>(argv.size()), argv.data());
  std::string text = ::testing::internal::GetCapturedStderr();
  if (err != nullptr) *err = text;
  return r;
}

bool engine_available(const std::string& suffix) {
  auto known = known_script_suffixes();
  return std::find(known.begin(), known.end(), suffix) != known.end();
}

std::filesystem::path put_script(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
  auto path = dir / name;
  auto tmp = dir / (name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(tmp, path);
  return path;
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

std::optional<std::int64_t> ack_int(const ReceivedFrame& ack, const std::string& name) {
  spop::AckContents contents;
  spop::read_ack_actions(ack.payload, contents);
  for (const auto& a : contents.actions) {
    if (a.name == name) return a.value.as_int64();
  }
  return std::nullopt;
}

std::uint16_t metrics_port(const std::string& log) {
  const std::string marker = "metrics on http://127.0.0.1:";
  auto pos = log.find(marker);
  if (pos == std::string::npos) return 0;
  return static_cast<std::uint16_t>(std::stoi(log.substr(pos + marker.size())));
}

std::optional<std::string> scrape(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (response.rfind("HTTP/1.1 200", 0) != 0 && response.rfind("HTTP/1.0 200", 0) != 0) return std::nullopt;
  auto body = response.find("\r\n\r\n");
  if (body == std::string::npos) return std::nullopt;
  return response.substr(body + 4);
}

std::optional<double> sample_value(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace spoa::test
