// spop-sim replay without an agent: --ignore patterns, the ACK comparison, reading recordings and
// captures (and every way they can be bad), and the report's wording.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "simulator/replay/ack_diff.hpp"
#include "simulator/replay/replay_input.hpp"
#include "simulator/replay/replay_report.hpp"
#include "tests/recording/recording_builder.hpp"
#include "tests/sim-replay/replay_support.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/temp_dir.hpp"

namespace spop::sim::replay {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;

std::filesystem::path dir() {
  static const auto d = spop::test::scratch_dir("sim-replay-unit");
  return d;
}

TEST(GlobMatch, StarsMatchAnyRun) {
  EXPECT_TRUE(glob_match("txn.iprep.score", "txn.iprep.score"));
  EXPECT_FALSE(glob_match("txn.iprep.score", "txn.iprep.scores"));
  EXPECT_TRUE(glob_match("txn.*.ts", "txn.iprep.ts"));
  EXPECT_FALSE(glob_match("txn.*.ts", "sess.iprep.ts"));
  EXPECT_TRUE(glob_match("*.debug_*", "req.x.debug_time"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(glob_match("**x", "x"));
  EXPECT_FALSE(glob_match("", "x"));
}

// ---- the comparison -------------------------------------------------------------------------

// The payload of an ACK frame built from `vars` (ids below 240: a 7-byte header).
std::vector<std::byte> payload_of(std::vector<spop::test::SetVar> vars) {
  auto frame = spop::test::ack_bytes(1, 1, vars);
  return {frame.begin() + 11, frame.end()};
}

// What the HAProxy side reads from a replayed ACK.
struct Replayed {
  std::vector<std::byte> payload;
  std::vector<std::string> names;
  std::vector<spop::AckAction> actions;
  Replayed(std::vector<spop::test::SetVar> vars, const std::string& prefix) : payload(payload_of(vars)) {
    for (const auto& v : vars) names.push_back(spop::variable_name(v.scope, prefix, v.name));
    for (std::size_t i = 0; i < vars.size(); ++i)
      actions.push_back({vars[i].unset ? spop::ActionType::unset_var : spop::ActionType::set_var, vars[i].scope,
                         vars[i].name, names[i], vars[i].value});
  }
};

std::vector<std::string> diff(AckComparer& c, std::vector<spop::test::SetVar> before, std::vector<spop::test::SetVar> after,
                              const std::string& prefix = "p") {
  const Replayed now(std::move(after), prefix);
  std::vector<VariableDifference> out;
  c.compare(payload_of(std::move(before)), now.payload, now.actions, out);
  std::vector<std::string> text;
  for (const auto& d : out) text.push_back(d.variable + ": " + d.before + " -> " + d.after);
  return text;
}

using spop::Scope;
using spop::Value;

TEST(AckComparer, SameVariablesInAnyOrderAreEqual) {
  AckComparer c("p", {});
  EXPECT_TRUE(diff(c, {}, {}).empty());
  EXPECT_TRUE(diff(c, {{Scope::txn, "a", Value::int32(1)}, {Scope::sess, "b", Value::string("x")}},
                   {{Scope::sess, "b", Value::string("x")}, {Scope::txn, "a", Value::int32(1)}})
                  .empty());
  // The last action on a variable counts, as HAProxy applies them in order.
  EXPECT_TRUE(diff(c, {{Scope::txn, "a", Value::int32(5)}}, {{Scope::txn, "a", Value::int32(1)}, {Scope::txn, "a", Value::int32(5)}})
                  .empty());
}

TEST(AckComparer, ChangedAddedMissingAndUnset) {
  AckComparer c("p", {});
  EXPECT_THAT(diff(c, {{Scope::txn, "score", Value::int32(12)}}, {{Scope::txn, "score", Value::int32(40)}}),
              ElementsAre("txn.p.score: int32:12 -> int32:40"));
  EXPECT_THAT(diff(c, {{Scope::txn, "score", Value::int32(12)}}, {{Scope::txn, "score", Value::int64(12)}}),
              ElementsAre("txn.p.score: int32:12 -> int64:12"))
      << "the type counts";
  EXPECT_THAT(diff(c, {{Scope::txn, "old", Value::string("yes")}, {Scope::txn, "same", Value::boolean(true)}},
                   {{Scope::txn, "same", Value::boolean(true)}, {Scope::req, "new", Value::ipv4({{1, 2, 3, 4}})}}),
              ElementsAre("req.p.new: (not set) -> ipv4:1.2.3.4", "txn.p.old: str:\"yes\" -> (not set)"));
  EXPECT_THAT(diff(c, {{Scope::txn, "x", Value::null(), true}}, {{Scope::txn, "x", Value::null()}}), ElementsAre())
      << "UNSET-VAR and a SET-VAR of NULL both unset";
  EXPECT_THAT(diff(c, {{Scope::txn, "x", Value::null(), true}}, {}), ElementsAre("txn.p.x: unset -> (not set)"));
  EXPECT_THAT(diff(c, {{Scope::txn, "x", Value::int32(1)}}, {{Scope::txn, "x", Value::int32(1)}, {Scope::txn, "x", Value::null(), true}}),
              ElementsAre("txn.p.x: int32:1 -> unset"));
}

TEST(AckComparer, IgnoredVariablesAreLeftOut) {
  AckComparer c("iprep", {"txn.iprep.ts", "*.debug_*"});
  EXPECT_THAT(diff(c,
                   {{Scope::txn, "ts", Value::int64(1)}, {Scope::req, "debug_a", Value::int32(1)}, {Scope::txn, "s", Value::int32(1)}},
                   {{Scope::txn, "ts", Value::int64(2)}, {Scope::txn, "s", Value::int32(2)}}, "iprep"),
              ElementsAre("txn.iprep.s: int32:1 -> int32:2"));
  EXPECT_THAT(c.ignored_names(), ElementsAre("req.iprep.debug_a", "txn.iprep.ts"));
}

// ---- reading the inputs ---------------------------------------------------------------------

std::vector<test::Exchanged> exchanges(int count, std::int64_t start_ns = 1'000'000'000) {
  std::vector<test::Exchanged> out;
  for (int n = 0; n < count; ++n) {
    test::Exchanged e;
    e.notify = test::check_notify(static_cast<std::uint64_t>(n), n);
    const spop::test::SetVar vars[] = {{Scope::txn, "score", Value::int32(n)}};
    e.ack = spop::test::ack_bytes(static_cast<std::uint64_t>(n), 1, vars);
    e.notify_ns = start_ns + n * 1'000'000;
    e.ack_ns = e.notify_ns + 200'000;
    out.push_back(std::move(e));
  }
  return out;
}

TEST(ReplayInput, RecordingsInTimeOrder) {
  const auto early = test::write_recording(dir() / "early.rec", exchanges(3, 1'000'000'000));
  const auto late = test::write_recording(dir() / "late.rec", exchanges(2, 1'000'500'000));
  const ReplayInput in = load_inputs({late.string(), early.string()}, {});
  ASSERT_EQ(in.exchanges.size(), 5u);
  EXPECT_FALSE(in.has_errors());
  ASSERT_EQ(in.files.size(), 2u);
  EXPECT_EQ(in.files[0].kind, "recording");
  EXPECT_EQ(in.files[0].exchanges, 2u);
  for (std::size_t i = 1; i < in.exchanges.size(); ++i) EXPECT_LE(in.exchanges[i - 1].notify_ns, in.exchanges[i].notify_ns);
  const Exchange& first = in.exchanges.front();
  EXPECT_EQ(in.where(first), early.string() + " record 1");
  EXPECT_EQ(first.latency_ns, 200'000);
  EXPECT_TRUE(first.has_ack);
  EXPECT_THAT(in.message_sets, ElementsAre("check"));
  const auto notify = test::check_notify(0, 0);
  EXPECT_EQ(std::vector<std::byte>(in.notify(first).begin(), in.notify(first).end()),
            std::vector<std::byte>(notify.begin() + 11, notify.end()))
      << "the payload, without LEN and header: the ids are renumbered";
}

TEST(ReplayInput, BadRecordingsKeepWhatCameBefore) {
  spop::test::RecordingBuilder b;
  for (const auto& e : exchanges(4)) b.add(e.notify, e.ack, 1, e.notify_ns, e.ack_ns);
  auto cut = b;
  cut.bytes().resize(cut.bytes().size() - 3);
  const auto truncated = cut.write(dir() / "cut.rec");
  auto flipped = b;
  flipped.bytes()[flipped.bytes().size() - 1] ^= std::byte{0x10};
  const auto corrupted = flipped.write(dir() / "flip.rec");
  auto future = b;
  future.bytes()[9] = std::byte{9};
  const auto v9 = future.write(dir() / "v9.rec");
  spop::test::write_bytes(dir() / "notes.txt", spop::test::bytes("not a recording"));

  const ReplayInput in = load_inputs(
      {truncated.string(), corrupted.string(), v9.string(), (dir() / "notes.txt").string(), (dir() / "none").string()}, {});
  EXPECT_EQ(in.exchanges.size(), 6u) << "three good records from each of the first two files";
  EXPECT_TRUE(in.has_errors());
  const std::uint64_t record = 40 + exchanges(1)[0].notify.size() + exchanges(1)[0].ack.size();
  const std::uint64_t fourth = 32 + 3 * record;
  EXPECT_THAT(in.files[0].errors,
              ElementsAre(truncated.string() + ": byte " + std::to_string(fourth) + ": record 4 is cut short: its header says " +
                          std::to_string(record) + " bytes, the file has " + std::to_string(record - 3)));
  ASSERT_EQ(in.files[1].errors.size(), 1u);
  EXPECT_THAT(in.files[1].errors[0], HasSubstr(corrupted.string() + ": byte " + std::to_string(fourth) +
                                               ": record 4: checksum mismatch"));
  EXPECT_THAT(in.files[2].errors, ElementsAre(v9.string() + ": byte 0: recording format version 9 is not supported "
                                                            "(this build reads version 1)"));
  EXPECT_THAT(in.files[3].errors, ElementsAre((dir() / "notes.txt").string() +
                                              ": byte 0: neither a spop recording nor a pcap/pcapng capture"));
  EXPECT_THAT(in.files[4].errors, ElementsAre((dir() / "none").string() + ": cannot open: No such file or directory"));
}

TEST(ReplayInput, ARecordWithAMalformedNotifyIsSkippedWithANote) {
  spop::test::RecordingBuilder b;
  const auto good = exchanges(2);
  b.add(good[0].notify, good[0].ack, 1, 1, 2);
  b.add(spop::test::hex("00000011 03 00000001 01 01 02 6d31 01 02 6970 06 7f00"), {}, 1, 3);
  b.add(good[1].notify, good[1].ack, 1, 5, 6);
  const auto path = b.write(dir() / "malformed.rec");
  const ReplayInput in = load_inputs({path.string()}, {});
  EXPECT_EQ(in.exchanges.size(), 2u);
  EXPECT_FALSE(in.has_errors());
  ASSERT_EQ(in.files[0].notes.size(), 1u);
  EXPECT_THAT(in.files[0].notes[0], HasSubstr(path.string() + ": byte "));
  EXPECT_THAT(in.files[0].notes[0], HasSubstr("record 2 skipped: the NOTIFY's messages are malformed"));
}

TEST(ReplayInput, CapturesPairNotifiesWithTheirAcks) {
  auto ex = exchanges(5);
  ex[3].ack.clear();  // never answered
  const auto path = test::write_pcap(dir() / "five.pcap", ex, {.agent_port = 12345});
  const ReplayInput in = load_inputs({path.string()}, InputOptions{12345});
  EXPECT_FALSE(in.has_errors()) << in.files[0].errors.front();
  ASSERT_EQ(in.exchanges.size(), 5u);
  EXPECT_EQ(in.files[0].kind, "capture");
  EXPECT_EQ(in.files[0].without_ack, 1u);
  for (int n = 0; n < 5; ++n) {
    const Exchange& e = in.exchanges[static_cast<std::size_t>(n)];
    EXPECT_EQ(e.has_ack, n != 3) << n;
    if (n != 3) {
      EXPECT_EQ(e.latency_ns, 200'000) << n;
      EXPECT_EQ(std::vector<std::byte>(in.ack(e).begin(), in.ack(e).end()),
                std::vector<std::byte>(ex[static_cast<std::size_t>(n)].ack.begin() + 11, ex[static_cast<std::size_t>(n)].ack.end()));
    }
  }
  EXPECT_EQ(in.where(in.exchanges[0]), path.string() + " connection #1 @133") << "after the 133-byte HELLO";
}

TEST(ReplayInput, BadCaptures) {
  // Traffic on another port only.
  const auto other = test::write_pcap(dir() / "other-port.pcap", exchanges(2), {.agent_port = 8080});
  ReplayInput in = load_inputs({other.string()}, InputOptions{12345});
  EXPECT_TRUE(in.exchanges.empty());
  EXPECT_THAT(in.files[0].errors,
              ElementsAre(other.string() + ": no SPOP NOTIFY on port 12345 (0 TCP connection(s) to it, 9 packets in the capture)"));
  // The capture ends in the middle of the last ACK: the NOTIFYs before are kept.
  const auto cut = test::write_pcap(dir() / "cut.pcap", exchanges(3), {.agent_port = 12345, .cut_tail = 5});
  in = load_inputs({cut.string()}, InputOptions{12345});
  EXPECT_EQ(in.exchanges.size(), 3u);
  EXPECT_EQ(in.files[0].without_ack, 1u) << "the cut ACK is not there";
  const std::size_t ack_size = exchanges(1)[0].ack.size();
  EXPECT_THAT(in.files[0].errors,
              ElementsAre(cut.string() + ": connection #1 agent->haproxy, byte " + std::to_string(68 + 2 * ack_size) +
                          ": the last " + std::to_string(ack_size - 5) + " bytes do not make a whole frame"));
  // A length no frame can have: that direction cannot be read further.
  std::vector<test::Segment> segments = {{1000, true, spop::test::read_file(spop::test::capture("haproxy-2.6/hello.bin"))},
                                         {2000, true, spop::test::hex("00 00 00 02 03 00")}};
  const auto bad = test::write_pcap_segments(dir() / "bad-length.pcap", 12345, segments);
  in = load_inputs({bad.string()}, InputOptions{12345});
  EXPECT_THAT(in.files[0].errors,
              ElementsAre(bad.string() + ": connection #1 haproxy->agent, byte 133: frame length 2 is below the minimum of 7: the rest of this direction cannot be read",
                          bad.string() + ": no SPOP NOTIFY on port 12345 (1 TCP connection(s) to it, 5 packets in the capture)"));
}

// ---- the report -----------------------------------------------------------------------------

TEST(ReplayReport, SaysWhatDiffersInTheIssuesWords) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1204), "1,204");
  EXPECT_EQ(with_commas(1234567), "1,234,567");
  ReplayReport r;
  r.agent = "127.0.0.1:12345";
  r.profile = "2.6";
  r.mode = "4 connection(s) x 20 in flight, as fast as possible";
  r.exchanges = r.sent = r.answered = r.compared = 50000;
  r.differing = 1204;
  MessageDiff& m = r.messages["check-client-ip"];
  m.compared = 50000;
  m.differing = 1204;
  VariableDiff& v = m.variables["txn.iprep.score"];
  v.differing = 1204;
  v.transitions["int32:12 -> int32:40"] = 1204;
  v.examples.offer(17, "traffic.rec record 17: int32:12 -> int32:40");
  FailureKind& timeouts = r.failures["processing timeout (1000 ms)"];
  timeouts.count = 3;
  timeouts.examples.offer(5, "traffic.rec record 5");
  r.failed = 3;
  const std::string text = to_text(r);
  EXPECT_THAT(text, HasSubstr("  check-client-ip: 1,204 of 50,000 ACKs differ\n"
                              "    txn.iprep.score: int32:12 -> int32:40 in 1,204 of 50,000 ACKs\n"
                              "      e.g. traffic.rec record 17: int32:12 -> int32:40\n"));
  EXPECT_THAT(text, HasSubstr("  3  processing timeout (1000 ms)\n      e.g. traffic.rec record 5\n"));
  EXPECT_THAT(text, HasSubstr("DIFFERENT: 1,204 ACK(s) differ, 3 call(s) failed\n"));
  const auto j = to_json(r);
  EXPECT_EQ(j["messages"]["check-client-ip"]["variables"]["txn.iprep.score"]["transitions"][0]["from"], "int32:12");
  EXPECT_EQ(j["messages"]["check-client-ip"]["variables"]["txn.iprep.score"]["transitions"][0]["count"], 1204);
  EXPECT_EQ(j["differs"], true);
  const std::string html = to_html(r);
  EXPECT_THAT(html, HasSubstr("int32:12 -&gt; int32:40"));
  EXPECT_THAT(html, testing::Not(HasSubstr("<script")));
}

TEST(ReplayReport, ExamplesAreTheFirstInInputOrderWhateverOrderAnswersCameIn) {
  FirstExamples examples;
  for (const std::uint64_t order : {47, 9, 46, 3, 48, 12, 3})
    examples.offer(order, "record " + std::to_string(order));
  EXPECT_EQ(examples.list(), (std::vector<std::string>{"record 3", "record 9", "record 12"}));
}

}  // namespace
}  // namespace spop::sim::replay
