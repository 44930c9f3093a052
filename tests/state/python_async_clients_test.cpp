// Debian's asyncio libraries inside `async def` handlers of the real agent: a redis.asyncio client made
// at load time (one pool per worker) against a real redis-server, an aiohttp session made by the
// start-up hook against a local aiohttp server, the standard library (asyncio.open_connection,
// loop.getaddrinfo, asyncio.sleep) and the awaitable spoa.state_incr_async on the Redis store, with
// many calls in flight on several connections: every ACK carries its own call's values.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "spop/ack_reader.hpp"
#include "tests/agent/agent_process.hpp"
#include "tests/agent/ops_helpers.hpp"
#include "tests/agent/test_client.hpp"
#include "tests/state/aiohttp_server.hpp"
#include "tests/state/redis_server.hpp"

namespace spoa::test {
namespace {

using namespace std::chrono_literals;

std::string client_script(std::uint16_t redis_port, std::uint16_t http_port) {
  return "REDIS_PORT = " + std::to_string(redis_port) + "\nHTTP_PORT = " + std::to_string(http_port) + R"PY(
import asyncio
import aiohttp
import redis.asyncio as aioredis
import spoa

pool = aioredis.Redis(host='127.0.0.1', port=REDIS_PORT)   # made at load time, used by every call
clients = {}

async def startup():
    clients['http'] = aiohttp.ClientSession()                # needs the running loop: made in the hook

spoa.register_startup(startup)

async def lookup(args):
    ip = str(args[0]['value'])
    score = await pool.get('score:' + ip)
    spoa.set_var_int32('score', spoa.scope_txn, int(score) if score is not None else -1)
    async with clients['http'].get('http://127.0.0.1:%d/score/%s' % (HTTP_PORT, ip)) as response:
        spoa.set_var_int32('http', spoa.scope_txn, int(await response.text()))
    reader, writer = await asyncio.open_connection('127.0.0.1', REDIS_PORT)
    writer.write(b'PING\r\n')
    await writer.drain()
    pong = await reader.readline()
    writer.close()
    await writer.wait_closed()
    spoa.set_var_int32('ping', spoa.scope_txn, int(pong == b'+PONG\r\n'))
    infos = await asyncio.get_running_loop().getaddrinfo('localhost', REDIS_PORT)
    spoa.set_var_int32('resolved', spoa.scope_txn, int(len(infos) > 0))
    await asyncio.sleep(0.001)
    spoa.set_var_int32('lookups', spoa.scope_txn, await spoa.state_incr_async('lookups'))

spoa.register_message('lookup', lookup)
)PY";
}

std::map<std::string, std::int64_t> vars_of(const ReceivedFrame& ack) {
  spop::AckContents contents;
  spop::read_ack_actions(ack.payload, contents);
  std::map<std::string, std::int64_t> vars;
  for (const auto& a : contents.actions) vars[std::string(a.name)] = a.value.as_int64();
  return vars;
}

TEST(PythonAsyncClients, RedisAsyncioAiohttpAndTheStandardLibraryServeInterleavedCalls) {
  if (!engine_available(".py")) GTEST_SKIP() << "spoa was built without the Python engine";
  if (!redis_server_available()) GTEST_SKIP() << "redis-server is not installed";
  if (!aiohttp_available()) GTEST_SKIP() << "python3-aiohttp is not installed";
  RedisServer redis;
  ASSERT_TRUE(redis.running());
  AiohttpServer http;
  ASSERT_TRUE(http.running());
  constexpr int connections = 5;
  constexpr int per_connection = 10;
  for (int i = 1; i <= connections * per_connection; ++i) {
    const std::string ip = "10.0.0." + std::to_string(i);
    ASSERT_TRUE(redis.command({"SET", "score:" + ip, std::to_string(i * 3)}));
  }
  const auto dir = make_temp_dir();
  const auto script = put_script(dir, "clients.py", client_script(redis.port(), http.port()));
  AgentProcess agent({"-n", "1", "--state", redis.url(), "--state-timeout", "2s", "-f", script.string()});
  ASSERT_TRUE(agent.ready()) << agent.log();

  std::vector<std::map<std::string, std::int64_t>> answers(connections * per_connection + 1);
  std::vector<std::thread> clients;
  for (int c = 0; c < connections; ++c) {
    clients.emplace_back([&, c] {
      TestClient client(agent.port());
      if (!client.hello()) return;
      // Every NOTIFY of the connection is sent before any ACK is read: the calls interleave on the loop.
      for (int k = 1; k <= per_connection; ++k) {
        const int i = c * per_connection + k;
        const spop::Argument arg{"", spop::Value::ipv4(spop::Ipv4Address{10, 0, 0, static_cast<std::uint8_t>(i)})};
        if (!client.notify(static_cast<std::uint64_t>(i), 1, "lookup", std::span<const spop::Argument>(&arg, 1))) return;
      }
      for (int k = 1; k <= per_connection; ++k) {
        auto ack = client.read_frame(20s);
        if (!ack || ack->header.type != spop::FrameType::ack) return;
        answers[ack->header.stream_id] = vars_of(*ack);
      }
    });
  }
  for (auto& t : clients) t.join();

  std::set<std::int64_t> counts;
  for (int i = 1; i <= connections * per_connection; ++i) {
    const auto& v = answers[static_cast<std::size_t>(i)];
    ASSERT_EQ(v.size(), 5u) << "call " << i << " lost variables\n" << agent.log();
    EXPECT_EQ(v.at("score"), i * 3) << i;
    EXPECT_EQ(v.at("http"), i) << i;
    EXPECT_EQ(v.at("ping"), 1) << i;
    EXPECT_EQ(v.at("resolved"), 1) << i;
    counts.insert(v.at("lookups"));
  }
  EXPECT_EQ(counts.size(), static_cast<std::size_t>(connections * per_connection)) << "every increment is its own";
  EXPECT_EQ(redis.command({"GET", "lookups"})->text, std::to_string(connections * per_connection));
  EXPECT_EQ(agent.log().find("[error]"), std::string::npos) << agent.log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spoa::test
