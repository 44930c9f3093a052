// RedisAsyncClient against a real redis-server: pipelined requests answered in order on one connection,
// the set-up (password, database, unix socket), and failures: refused, stalled (timeout for all and a
// new connection after), lost, reset, and a client destroyed with requests in flight.
#include "agent/state/redis_async_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "agent/state/redis_commands.hpp"
#include "tests/state/redis_server.hpp"

namespace spoa {
namespace {

using std::chrono::milliseconds;
using Client = RedisAsyncClient;

#define REQUIRE_ASYNC_REDIS() \
  if (!test::redis_server_available()) GTEST_SKIP() << "redis-server is not installed"

std::string command(std::initializer_list<std::string_view> args) {
  std::string out;
  resp::append_command(out, args);
  return out;
}

Client::Settings tcp_settings(std::uint16_t port, milliseconds timeout = milliseconds(2000)) {
  Client::Settings s;
  s.server.host = "127.0.0.1";
  s.server.port = port;
  s.timeout = timeout;
  return s;
}

/// Collects results in arrival order.
struct Results {
  std::vector<RedisAsyncResult> got;
  Client::Callback collect() {
    return [this](RedisAsyncResult r) { got.push_back(std::move(r)); };
  }
};

bool run_until(boost::asio::io_context& loop, const std::function<bool()>& done) {
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  loop.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() > guard) return false;
    loop.run_one_for(milliseconds(50));
    loop.restart();
  }
  return true;
}

TEST(RedisAsyncClient, PipelinesRequestsOnOneConnectionAndAnswersInOrder) {
  REQUIRE_ASYNC_REDIS();
  test::RedisServer server;
  ASSERT_TRUE(server.running());
  boost::asio::io_context loop;
  Client client(loop, tcp_settings(server.port()));
  Results results;
  for (int i = 0; i < 100; ++i) client.request(command({"INCR", "n"}), results.collect());
  EXPECT_TRUE(results.got.empty()) << "never answered from within request()";
  EXPECT_EQ(client.in_flight(), 100u);
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 100; }));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(results.got[static_cast<std::size_t>(i)].reply);
    EXPECT_EQ(results.got[static_cast<std::size_t>(i)].reply->integer, i + 1);
  }
  EXPECT_EQ(client.connects(), 1u);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST(RedisAsyncClient, SetsTheConnectionUpWithPasswordAndDatabaseOverAUnixSocket) {
  REQUIRE_ASYNC_REDIS();
  auto options = test::RedisServerOptions::requiring_password("s3cret");
  options.unix_socket = true;
  test::RedisServer server(options);
  ASSERT_TRUE(server.running());
  boost::asio::io_context loop;
  Client::Settings settings;
  settings.server.unix_path = server.unix_path().string();
  settings.credentials.password = "s3cret";
  settings.db = 3;
  settings.timeout = milliseconds(2000);
  Client client(loop, settings);
  Results results;
  client.request(command({"SET", "k", "v"}), results.collect());
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 1; }));
  ASSERT_TRUE(results.got[0].reply) << results.got[0].failure->what();
  EXPECT_EQ(server.command({"SELECT", "3"})->type, resp::Reply::Type::status);
  auto wrong = settings;
  wrong.credentials.password = "wrong-pw";
  Client refused(loop, wrong);
  refused.request(command({"GET", "k"}), results.collect());
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 2; }));
  ASSERT_TRUE(results.got[1].failure);
  EXPECT_EQ(results.got[1].failure->kind(), RedisFailure::Kind::refused);
  EXPECT_EQ(std::string(results.got[1].failure->what()).find("wrong-pw"), std::string::npos)
      << results.got[1].failure->what();
}

TEST(RedisAsyncClient, ARefusedConnectionFailsTheRequest) {
  boost::asio::io_context loop;
  Client client(loop, tcp_settings(test::free_port()));
  Results results;
  client.request(command({"GET", "k"}), results.collect());
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 1; }));
  ASSERT_TRUE(results.got[0].failure);
  EXPECT_EQ(results.got[0].failure->kind(), RedisFailure::Kind::io);
  EXPECT_STREQ(results.got[0].failure->what(), "cannot connect: connection refused");
}

TEST(RedisAsyncClient, AStalledServerTimesOutEveryRequestAndTheNextOneReconnects) {
  REQUIRE_ASYNC_REDIS();
  test::RedisServer server;
  ASSERT_TRUE(server.running());
  boost::asio::io_context loop;
  Client client(loop, tcp_settings(server.port(), milliseconds(100)));
  Results results;
  client.request(command({"PING"}), results.collect());
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 1; }));
  server.pause();
  for (int i = 0; i < 3; ++i) client.request(command({"INCR", "n"}), results.collect());
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 4; }));
  for (std::size_t i = 1; i < 4; ++i) {
    ASSERT_TRUE(results.got[i].failure);
    EXPECT_EQ(results.got[i].failure->kind(), RedisFailure::Kind::timeout);
    EXPECT_STREQ(results.got[i].failure->what(), "no answer within 100 ms (connection dropped)");
  }
  EXPECT_FALSE(client.connected());
  server.resume();
  client.request(command({"PING"}), results.collect());
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 5; }));
  EXPECT_TRUE(results.got[4].reply);
  EXPECT_EQ(client.connects(), 2u);
}

TEST(RedisAsyncClient, ARequestMadeWhileTheConnectionIsBeingSetUpIsAnswered) {
  REQUIRE_ASYNC_REDIS();
  test::RedisServer server;
  ASSERT_TRUE(server.running());
  boost::asio::io_context loop;
  Client client(loop, tcp_settings(server.port()));
  Results results;
  server.pause();  // the kernel accepts the connection; the set-up's PING stays unanswered meanwhile
  client.request(command({"INCR", "n"}), results.collect());
  // The connection is made and the set-up written: it waits, unread, in the paused server's socket.
  ASSERT_TRUE(run_until(loop, [&] { return client.connects() == 1 && server.unread_bytes() > 0; }));
  EXPECT_FALSE(client.connected()) << "still being set up";
  client.request(command({"INCR", "n"}), results.collect());
  server.resume();
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 2; }));
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(results.got[i].reply) << "request " << i << ": " << (results.got[i].failure ? results.got[i].failure->what() : "");
    EXPECT_EQ(results.got[i].reply->integer, static_cast<std::int64_t>(i + 1));
  }
  EXPECT_EQ(client.connects(), 1u);
}

TEST(RedisAsyncClient, ALostConnectionOrAResetFailsTheRequestsInFlight) {
  REQUIRE_ASYNC_REDIS();
  test::RedisServer server;
  ASSERT_TRUE(server.running());
  boost::asio::io_context loop;
  Client client(loop, tcp_settings(server.port()));
  Results results;
  client.request(command({"PING"}), results.collect());
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 1; }));
  client.request(command({"BLPOP", "nothing", "0"}), results.collect());  // never answered
  client.reset("dropped by the test");
  ASSERT_EQ(results.got.size(), 2u);
  EXPECT_STREQ(results.got[1].failure->what(), "dropped by the test");
  client.request(command({"PING"}), results.collect());  // reconnects
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 3; }));
  client.request(command({"BLPOP", "nothing", "0"}), results.collect());
  loop.restart();
  loop.poll();  // written
  server.kill();
  ASSERT_TRUE(run_until(loop, [&] { return results.got.size() == 4; }));
  ASSERT_TRUE(results.got[3].failure);
  EXPECT_EQ(std::string(results.got[3].failure->what()).rfind("connection lost: ", 0), 0u) << results.got[3].failure->what();
}

TEST(RedisAsyncClient, ADestroyedClientNeverCallsBack) {
  REQUIRE_ASYNC_REDIS();
  test::RedisServer server;
  ASSERT_TRUE(server.running());
  boost::asio::io_context loop;
  Results results;
  {
    Client client(loop, tcp_settings(server.port()));
    for (int i = 0; i < 10; ++i) client.request(command({"INCR", "n"}), results.collect());
  }
  loop.restart();
  loop.run_for(milliseconds(100));
  EXPECT_TRUE(results.got.empty());
}

}  // namespace
}  // namespace spoa
