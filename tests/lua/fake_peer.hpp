// A line-command server on a test's event loop, for testing spoa.tcp() sockets: it listens on
// 127.0.0.1 (a free port) or a unix socket, and each line a client sends is a command:
//   "echo <text>"  -> "<text>\n"
//   "split"        -> "hel", then "lo\r\nwor", then "ld\n", then "12345", a few ms apart
//   "half"         -> "abc", then it closes the connection
//   "bye"          -> "all the rest", then it closes the connection
//   "silent"       -> nothing
// It counts what happens, so tests can check what the client did to its connections.
#pragma once

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace spoa::lua::test {

class FakePeer {
 public:
  /// Listens on 127.0.0.1, a free port.
  explicit FakePeer(boost::asio::io_context& loop);
  /// Listens on the unix socket `path`.
  FakePeer(boost::asio::io_context& loop, const std::filesystem::path& path);
  ~FakePeer();

  std::uint16_t port() const noexcept { return port_; }
  /// Connections accepted, and those whose client closed them (EOF or reset seen).
  int accepted() const noexcept { return accepted_; }
  int closed_by_client() const noexcept { return closed_by_client_; }
  /// Commands received, in order.
  const std::vector<std::string>& commands() const noexcept { return commands_; }
  /// false: new connections are never read (a client's sends fill the socket buffers).
  bool reading = true;
  /// Closes every connection from this side.
  void close_all();

 private:
  struct Connection;
  void accept();
  void read(const std::shared_ptr<Connection>& c);
  void act(const std::shared_ptr<Connection>& c, const std::string& line);

  boost::asio::io_context& loop_;
  boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol> acceptor_;
  std::uint16_t port_ = 0;
  std::filesystem::path unix_path_;
  int accepted_ = 0;
  int closed_by_client_ = 0;
  std::vector<std::string> commands_;
  std::vector<std::shared_ptr<Connection>> connections_;  // kept open until close_all() or the end
};

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
std::uint16_t closed_port();

}  // namespace spoa::lua::test
