// ACKs built outside the connection and committed in completion order (commit_ack(frame)): what the
// agent's executor threads rely on. Also input pausing and the closing/backpressure distinction.
#include <gtest/gtest.h>

#include <vector>

#include "spop/agent_connection.hpp"
#include "spop/types.hpp"
#include "tests/spop/connection_script.hpp"
#include "tests/support/hex.hpp"

namespace spop {
namespace concurrent_acks {

using test::to_hex;
using test::script::Bytes;
using test::script::byte_hex;
using test::script::cat;
using test::script::disconnect;
using test::script::frame;
using test::script::raw;
using test::script::str;
using test::script::t0;

Bytes hello() {
  return frame("01 00000001 00 00 " + raw("supported-versions") + " " + str("2.0") + " " + raw("max-frame-size") +
               " 03 fcf006 " + raw("capabilities") + " " + str("pipelining"));
}

/// NOTIFY stream `s`, frame 1: one message "m" without arguments.
Bytes notify(unsigned s) { return frame("03 00000001 " + byte_hex(s) + " 01 " + raw("m") + " 00"); }

/// A connection that received the handshake and NOTIFYs of streams 1..n, its output already written.
std::unique_ptr<AgentConnection> with_notifies(unsigned n, AgentOptions options = {}) {
  auto c = std::make_unique<AgentConnection>(options, t0);
  Bytes in = hello();
  for (unsigned s = 1; s <= n; ++s) in = cat({in, notify(s)});
  EXPECT_EQ(c->feed(in, t0), in.size());
  while (c->next_event()) {
  }
  c->consume_output(c->pending_output().size());
  return c;
}

/// An ACK for stream `s` (frame 1) setting txn "n" = INT32 s, built in its own buffer (LEN not written).
Bytes unfinished_ack(unsigned s) {
  Bytes buffer;
  AckBuilder ack(buffer, s, 1, 16380);
  EXPECT_EQ(ack.set_var(Scope::txn, "n", Value::int32(static_cast<std::int32_t>(s))), Errc::ok);
  return buffer;  // the builder's destructor drops spare bytes; LEN stays 0
}

std::string expected_ack(unsigned s) {
  return to_hex(frame("67 00000001 " + byte_hex(s) + " 01 01 03 02 " + raw("n") + " 02 " + byte_hex(s)));
}

TEST(AgentConcurrentAcks, CommitsAcksInCompletionOrderWithTheirOwnIds) {
  auto c = with_notifies(3);
  ASSERT_EQ(c->in_flight(), 3u);
  std::vector<Bytes> acks{unfinished_ack(1), unfinished_ack(2), unfinished_ack(3)};
  // Completion order 2, 3, 1: each ACK goes out as it completes, LEN computed from its bytes.
  ASSERT_EQ(c->commit_ack(acks[1]), Errc::ok);
  ASSERT_EQ(c->commit_ack(acks[2]), Errc::ok);
  ASSERT_EQ(c->commit_ack(acks[0]), Errc::ok);
  EXPECT_EQ(to_hex(c->pending_output()), expected_ack(2) + " " + expected_ack(3) + " " + expected_ack(1));
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_EQ(c->stats().acks, 3u);
}

TEST(AgentConcurrentAcks, CommitsAFramePrefixCutAfterAnAction) {
  auto c = with_notifies(1);
  Bytes buffer;
  AckBuilder ack(buffer, 1, 1, 16380);
  std::size_t after_first = 0;
  ack.observe_actions([](void* at, std::size_t end) noexcept { *static_cast<std::size_t*>(at) = end; }, &after_first);
  ASSERT_EQ(ack.set_var(Scope::txn, "n", Value::int32(1)), Errc::ok);
  const std::size_t first_end = after_first;
  ASSERT_EQ(ack.set_var(Scope::txn, "late", Value::int32(2)), Errc::ok);
  EXPECT_GT(after_first, first_end) << "the observer sees each action";
  // What a budget takeover commits: the bytes up to the end of the first action only.
  ASSERT_EQ(c->commit_ack(std::span<const std::byte>(buffer.data(), first_end)), Errc::ok);
  EXPECT_EQ(to_hex(c->pending_output()), expected_ack(1));
}

TEST(AgentConcurrentAcks, RefusesFramesThatAnswerNothing) {
  auto c = with_notifies(2);
  const Bytes ack1 = unfinished_ack(1);
  EXPECT_EQ(c->commit_ack(unfinished_ack(9)), Errc::invalid_argument) << "stream never notified";
  EXPECT_EQ(c->commit_ack(Bytes(ack1.begin(), ack1.begin() + 3)), Errc::invalid_argument) << "shorter than LEN";
  EXPECT_EQ(c->commit_ack(Bytes(ack1.begin(), ack1.begin() + 6)), Errc::invalid_argument) << "below 7 bytes";
  Bytes not_an_ack = ack1;
  not_an_ack[4] = std::byte{0x65};  // AGENT-HELLO
  EXPECT_EQ(c->commit_ack(not_an_ack), Errc::invalid_argument) << "not an ACK";
  Bytes too_big(4 + 16381, std::byte{0});
  std::copy(ack1.begin(), ack1.end(), too_big.begin());
  EXPECT_EQ(c->commit_ack(too_big), Errc::invalid_argument) << "above the negotiated frame size";
  EXPECT_TRUE(c->pending_output().empty()) << "refused frames leave nothing behind";
  EXPECT_EQ(c->in_flight(), 2u);

  ASSERT_EQ(c->commit_ack(ack1), Errc::ok);
  EXPECT_EQ(c->commit_ack(ack1), Errc::invalid_argument) << "answered already";
  EXPECT_EQ(to_hex(c->pending_output()), expected_ack(1));
}

TEST(AgentConcurrentAcks, DropsResultsOfCallsStillRunningWhenHaproxyDisconnects) {
  auto c = with_notifies(2);
  ASSERT_EQ(c->commit_ack(unfinished_ack(1)), Errc::ok);
  const Bytes bye = disconnect(0x02, 0, "normal");
  ASSERT_EQ(c->feed(bye, t0), bye.size());
  EXPECT_TRUE(c->closing());
  // The call of stream 2 completes afterwards: nothing may follow our AGENT-DISCONNECT.
  EXPECT_EQ(c->commit_ack(unfinished_ack(2)), Errc::invalid_argument);
  EXPECT_EQ(to_hex(c->pending_output()), expected_ack(1) + " " + to_hex(disconnect(0x66, 0, "normal")));
}

TEST(AgentConcurrentAcks, DropsResultsAfterAProtocolErrorOrOurOwnDisconnect) {
  auto c = with_notifies(2);
  const Bytes broken = frame("01 00000001 00 00");  // a second HAPROXY-HELLO: status 4
  c->feed(broken, t0);
  EXPECT_TRUE(c->closing());
  const std::size_t out = c->pending_output().size();
  EXPECT_EQ(c->commit_ack(unfinished_ack(1)), Errc::invalid_argument);
  EXPECT_EQ(c->pending_output().size(), out);

  auto d = with_notifies(1);
  d->submit_disconnect(Status::normal, "normal");
  EXPECT_EQ(d->commit_ack(unfinished_ack(1)), Errc::invalid_argument);
  d->consume_output(d->pending_output().size());
  EXPECT_EQ(d->state(), AgentState::closed) << "the peer closed after our DISCONNECT: the call completes later";
  EXPECT_EQ(d->commit_ack(unfinished_ack(1)), Errc::invalid_argument);
}

TEST(AgentConcurrentAcks, BackpressureIsNotClosing) {
  AgentOptions options;
  options.max_in_flight = 2;
  auto c = with_notifies(2, options);
  EXPECT_FALSE(c->wants_read()) << "at the in-flight cap";
  EXPECT_FALSE(c->closing()) << "calls in progress: wait for them, do not close";
  ASSERT_EQ(c->commit_ack(unfinished_ack(2)), Errc::ok);
  EXPECT_TRUE(c->wants_read());
}

TEST(AgentConcurrentAcks, PausedInputStillAnswersTheHandshake) {
  AgentConnection c({}, t0);
  c.pause_input(true);
  const Bytes in = cat({hello(), notify(1)});
  // The HELLO is answered (health checks must be), the NOTIFY after it waits.
  EXPECT_EQ(c.feed(in, t0), hello().size());
  EXPECT_EQ(c.state(), AgentState::running);
  EXPECT_FALSE(c.pending_output().empty());
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(AgentConcurrentAcks, PausedInputConsumesNothingUntilResumed) {
  auto c = with_notifies(0);
  c->pause_input(true);
  EXPECT_FALSE(c->wants_read());
  EXPECT_FALSE(c->closing());
  const Bytes n = notify(1);
  EXPECT_EQ(c->feed(n, t0), 0u);
  EXPECT_FALSE(c->next_event());
  c->pause_input(false);
  EXPECT_EQ(c->feed(n, t0), n.size());
  EXPECT_TRUE(c->next_event());
  EXPECT_EQ(c->in_flight(), 1u);
}

}  // namespace concurrent_acks
}  // namespace spop
