#include "spop/notify.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spop/frame.hpp"
#include "spop/notify_builder.hpp"
#include "spop/wire.hpp"
#include "tests/spop/golden_frames.hpp"
#include "tests/support/hex.hpp"

namespace spop {
namespace {

using test::hex;
using test::to_hex;
namespace golden = test::golden;

const Ipv4Address localhost{{127, 0, 0, 1}};

using golden::frame_of;

// ---- NotifyBuilder ----------------------------------------------------------------------------

TEST(NotifyBuilder, BuildsTheNotifyOfTheSpec) {
  std::vector<std::byte> out;
  NotifyBuilder b(out, 1, 1, 16380);
  const Argument args[] = {{"ip", Value::ipv4(localhost)}};
  ASSERT_EQ(b.add_message("check-client-ip", args), Errc::ok);
  EXPECT_EQ(b.message_count(), 1u);
  EXPECT_EQ(b.finish(), 36u);
  EXPECT_EQ(to_hex(out), to_hex(hex(golden::notify)));
}

TEST(NotifyBuilder, BuildsTheSid300Variant) {
  std::vector<std::byte> out;
  NotifyBuilder b(out, 300, 1, 16380);
  const Argument args[] = {{"ip", Value::ipv4(localhost)}};
  ASSERT_EQ(b.add_message("check-client-ip", args), Errc::ok);
  EXPECT_EQ(b.finish(), 37u);
  EXPECT_EQ(to_hex(out), to_hex(hex(golden::notify_sid300)));
}

TEST(NotifyBuilder, KeepsFlagsAndAllowsNoMessage) {
  std::vector<std::byte> out;
  NotifyBuilder b(out, 0, 1, 16380, 0);  // a first fragment: no FIN
  EXPECT_EQ(b.finish(), 11u);
  EXPECT_EQ(to_hex(out), to_hex(hex("00000007 03 00000000 00 01")));
}

TEST(NotifyBuilder, RefusesMessagesPastTheMaximumAndStaysValid) {
  const std::string big(40, 'v');
  const Argument args[] = {{"a", Value::string(big)}};  // message "m": 2 + 1 + 2 + 1 + 1 + 40 = 47 bytes
  for (std::uint32_t max : {7u, 8u, 53u, 54u, 100u, 101u, 102u, 150u, 256u}) {
    SCOPED_TRACE(max);
    std::vector<std::byte> out;
    NotifyBuilder b(out, 1, 1, max);
    std::size_t accepted = 0;
    while (true) {
      const std::size_t before = b.message_count();
      const Errc e = b.add_message("m", args);
      if (e != Errc::ok) {
        EXPECT_EQ(e, Errc::frame_too_big);
        EXPECT_EQ(b.message_count(), before);
        break;
      }
      ++accepted;
    }
    EXPECT_EQ(accepted, (max - 7) / 47);  // every message that fits, no more
    b.finish();
    const Frame f = frame_of(out, max);
    EXPECT_LE(f.length, max);
    NotifyView view;
    ASSERT_EQ(NotifyView::parse(f.payload, view), Errc::ok);
    EXPECT_EQ(view.message_count(), accepted);
  }
}

TEST(NotifyBuilder, RejectsMoreThan255Arguments) {
  std::vector<std::byte> out;
  NotifyBuilder b(out, 1, 1, 1u << 20);
  std::vector<Argument> args(256, Argument{"", Value::null()});
  EXPECT_EQ(b.add_message("many", args), Errc::invalid_argument);
  args.pop_back();
  EXPECT_EQ(b.add_message("many", args), Errc::ok);
  b.finish();
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(frame_of(out).payload, view), Errc::ok);
  EXPECT_EQ(view.begin()->argument_count(), 255);
}

TEST(NotifyBuilder, HeaderThatDoesNotFitRefusesEverything) {
  std::vector<std::byte> out;
  NotifyBuilder b(out, 300, 1, 7);  // the header alone is 8 bytes
  EXPECT_EQ(b.add_message("m", {}), Errc::frame_too_big);
  EXPECT_EQ(b.finish(), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(NotifyBuilder, CancelRemovesTheFrame) {
  std::vector<std::byte> out = hex("01");
  NotifyBuilder b(out, 1, 1, 16380);
  ASSERT_EQ(b.add_message("m", {}), Errc::ok);
  b.cancel();
  EXPECT_EQ(to_hex(out), "01");
}

// ---- NotifyView -------------------------------------------------------------------------------

TEST(NotifyView, ParsesTheNotifyOfTheSpec) {
  const auto bytes = hex(golden::notify);
  const Frame f = frame_of(bytes);
  EXPECT_EQ(f.header.type, FrameType::notify);
  EXPECT_EQ(f.header.stream_id, 1u);
  EXPECT_EQ(f.header.frame_id, 1u);
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(f.payload, view), Errc::ok);
  ASSERT_EQ(view.message_count(), 1u);
  EXPECT_EQ(view.payload().data(), f.payload.data());
  const MessageView m = *view.begin();  // a copy: the iterator owns the view it hands out
  EXPECT_EQ(m.name(), "check-client-ip");
  EXPECT_EQ(m.argument_count(), 1);
  std::vector<Argument> args;
  m.arguments(args);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0].name, "ip");
  EXPECT_TRUE(args[0].value == Value::ipv4(localhost));
}

TEST(NotifyView, ParsesTheSid300Variant) {
  const auto bytes = hex(golden::notify_sid300);
  const Frame f = frame_of(bytes);
  EXPECT_EQ(f.header.type, FrameType::notify);
  EXPECT_EQ(f.header.stream_id, 300u);
  EXPECT_EQ(f.header.frame_id, 1u);
  EXPECT_EQ(f.length, 0x21u);
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(f.payload, view), Errc::ok);
  ASSERT_EQ(view.message_count(), 1u);
  EXPECT_EQ(view.begin()->name(), "check-client-ip");
  std::vector<Argument> args;
  view.begin()->arguments(args);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_TRUE(args[0].value == Value::ipv4(localhost));
}

TEST(NotifyView, IteratesSeveralMessagesInOrder) {
  const auto payload = hex(
      "05 6669727374 00"                            // "first", no argument
      "06 7365636f6e64 02  00 08 03 474554  01 78 11"  // "second": "" = "GET", x = true
      "00 01 00 00");                               // "" with one unnamed NULL argument
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(payload, view), Errc::ok);
  EXPECT_EQ(view.message_count(), 3u);
  std::vector<std::string> names;
  std::vector<std::size_t> counts;
  std::vector<Argument> args;
  for (const MessageView& m : view) {
    names.emplace_back(m.name());
    m.arguments(args);
    counts.push_back(args.size());
    EXPECT_EQ(args.size(), m.argument_count());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"first", "second", ""}));
  EXPECT_EQ(counts, (std::vector<std::size_t>{0, 2, 1}));

  auto it = view.begin();
  ++it;
  it->arguments(args);
  EXPECT_EQ(args[0].name, "");
  EXPECT_TRUE(args[0].value == Value::string("GET"));
  EXPECT_EQ(args[1].name, "x");
  EXPECT_TRUE(args[1].value == Value::boolean(true));
  auto post = it++;
  EXPECT_EQ(post->name(), "second");
  EXPECT_EQ(it->name(), "");
  ++it;
  EXPECT_TRUE(it == view.end());
}

TEST(NotifyView, EmptyPayloadHasNoMessage) {
  NotifyView view;
  ASSERT_EQ(NotifyView::parse({}, view), Errc::ok);
  EXPECT_EQ(view.message_count(), 0u);
  EXPECT_TRUE(view.begin() == view.end());
}

TEST(NotifyView, ReportsBrokenPayloads) {
  struct Case {
    const char* payload;
    Errc error;
  };
  const Case cases[] = {
      {"05 6669727374", Errc::truncated},                      // no nb-args
      {"01 6d 01", Errc::truncated},                           // one argument announced, none there
      {"01 6d 02 01 61 00", Errc::truncated},                  // two announced, one there
      {"01 6d 01 01 61 0A", Errc::reserved_type},              // reserved type id
      {"01 6d 01 01 61 08 05 6162", Errc::truncated},          // string past the end
      {"01 6d 01 05 61", Errc::truncated},                     // argument name past the end
      {"01 6d 01 01 61 02 FFFFFFFFFFFFFFFFFFFF00", Errc::varint_too_long},
      {"01 6d 00 FFFFFFFFFFFFFFFFFFFF00", Errc::varint_too_long},  // second message name length
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.payload);
    const auto payload = hex(c.payload);
    NotifyView view;
    EXPECT_EQ(NotifyView::parse(payload, view), c.error);
  }
}

// MessageView::arguments() decodes values itself; it must follow the same HAProxy rules as WireReader.
TEST(NotifyView, ArgumentsReadFlagBitsAsHaproxyDoes) {
  const auto payload = hex(
      "01 6d 06"
      "  01 61 18 02 6869"   // a = STRING with a flag bit: BINARY "hi"
      "  01 62 31"           // b = BOOL with flags 0x30: false
      "  01 63 11"           // c = BOOL true
      "  01 64 F4 2a"        // d = INT64 42 with every flag bit
      "  01 65 50"           // e = NULL with a flag bit
      "  01 66 08 00");      // f = empty STRING
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(payload, view), Errc::ok);
  std::vector<Argument> args;
  view.begin()->arguments(args);
  ASSERT_EQ(args.size(), 6u);
  EXPECT_TRUE(args[0].value == Value::binary("hi"));
  EXPECT_TRUE(args[1].value == Value::boolean(false));
  EXPECT_TRUE(args[2].value == Value::boolean(true));
  EXPECT_TRUE(args[3].value == Value::int64(42));
  EXPECT_TRUE(args[4].value.is_null());
  EXPECT_TRUE(args[5].value == Value::string(""));
  // WireReader reads the same bytes the same way.
  WireReader r{std::span(payload).subspan(3)};
  for (const Argument& a : args) {
    std::string_view name;
    Value v;
    ASSERT_EQ(r.read_raw_string(name), Errc::ok);
    ASSERT_EQ(r.read_value(v), Errc::ok);
    EXPECT_EQ(name, a.name);
    EXPECT_TRUE(v == a.value) << describe(v) << " vs " << describe(a.value);
  }
}

TEST(NotifyView, LongNamesAndWideVarintsIterate) {
  // Names and values whose lengths take 2 and 3 varint bytes, and 10-byte integers.
  const std::string name(300, 'n');
  const std::string value(3000, 'v');
  const Argument args[] = {{name, Value::string(value)}, {"i", Value::int64(-1)}, {"u", Value::uint64(~0ull)}};
  std::vector<std::byte> out;
  NotifyBuilder b(out, 1, 1, 16380);
  ASSERT_EQ(b.add_message(name, args), Errc::ok);
  ASSERT_EQ(b.add_message("second", {}), Errc::ok);
  b.finish();
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(frame_of(out).payload, view), Errc::ok);
  ASSERT_EQ(view.message_count(), 2u);
  auto it = view.begin();
  EXPECT_EQ(it->name(), name);
  std::vector<Argument> got;
  it->arguments(got);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].name, name);
  EXPECT_TRUE(got[0].value == Value::string(value));
  EXPECT_EQ(got[1].value.as_int64(), -1);
  EXPECT_EQ(got[2].value.as_uint64(), ~0ull);
  ++it;
  EXPECT_EQ(it->name(), "second");
  EXPECT_EQ(it->argument_count(), 0);
  ++it;
  EXPECT_TRUE(it == view.end());
}

TEST(NotifyView, ArgumentsReuseTheCallersVector) {
  const auto bytes = test::read_file(test::capture("haproxy-2.6/notify-types.bin"));
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(frame_of(bytes).payload, view), Errc::ok);
  std::vector<Argument> args;
  args.reserve(16);
  const auto* storage = args.data();
  for (int round = 0; round < 3; ++round) {
    for (const MessageView& m : view) {
      m.arguments(args);
      EXPECT_EQ(args.size(), m.argument_count());
    }
  }
  EXPECT_EQ(args.data(), storage);  // cleared and refilled, never reallocated
  EXPECT_EQ(args.capacity(), 16u);
}

TEST(NotifyView, RoundTripsThroughTheBuilder) {
  const std::string long_value(1000, 'z');
  const Argument m1[] = {{"s", Value::string("hello")}, {"n", Value::int64(-5)}, {"u", Value::uint64(~0ull)}};
  const Argument m2[] = {{"", Value::binary(std::string_view("\0\xff", 2))}, {"big", Value::string(long_value)}};
  std::vector<std::byte> out;
  NotifyBuilder b(out, 7, 9, 16380);
  ASSERT_EQ(b.add_message("one", m1), Errc::ok);
  ASSERT_EQ(b.add_message("two", m2), Errc::ok);
  b.finish();
  const Frame f = frame_of(out);
  EXPECT_EQ(f.header.stream_id, 7u);
  EXPECT_EQ(f.header.frame_id, 9u);
  NotifyView view;
  ASSERT_EQ(NotifyView::parse(f.payload, view), Errc::ok);
  ASSERT_EQ(view.message_count(), 2u);
  std::vector<Argument> args;
  auto it = view.begin();
  it->arguments(args);
  ASSERT_EQ(args.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(args[i].name, m1[i].name);
    EXPECT_TRUE(args[i].value == m1[i].value) << describe(args[i].value);
  }
  (++it)->arguments(args);
  ASSERT_EQ(args.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(args[i].name, m2[i].name);
    EXPECT_TRUE(args[i].value == m2[i].value) << describe(args[i].value);
  }
}

}  // namespace
}  // namespace spop
