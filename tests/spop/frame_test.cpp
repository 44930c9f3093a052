#include "spop/frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/spop/golden_frames.hpp"
#include "tests/support/hex.hpp"

namespace spop {
namespace {

using test::hex;
using test::to_hex;
using test::golden::big_limit;

// ---- length prefix --------------------------------------------------------------------------

TEST(Frame, PeeksTheLengthFromFourBytes) {
  const auto bytes = hex("00 00 01 E0 03");
  std::uint32_t len = 0;
  for (std::size_t n = 0; n < 4; ++n) {
    EXPECT_EQ(peek_frame_length(std::span(bytes).first(n), len), Errc::need_more);
  }
  ASSERT_EQ(peek_frame_length(bytes, len), Errc::ok);
  EXPECT_EQ(len, 0x1E0u);
}

TEST(Frame, ChecksTheLengthBounds) {
  for (std::uint32_t len = 0; len < 7; ++len) EXPECT_EQ(check_frame_length(len, 16380), Errc::frame_too_small) << len;
  EXPECT_EQ(check_frame_length(7, 16380), Errc::ok);
  EXPECT_EQ(check_frame_length(16380, 16380), Errc::ok);
  EXPECT_EQ(check_frame_length(16381, 16380), Errc::frame_too_big);
  EXPECT_EQ(check_frame_length(0xFFFFFFFF, 16380), Errc::frame_too_big);
}

// ---- header -----------------------------------------------------------------------------------

TEST(Frame, DecodesTheHeader) {
  const auto body = hex("03 00000001 FC03 01  AA BB");
  Frame f;
  ASSERT_EQ(decode_frame(body, f), Errc::ok);
  EXPECT_EQ(f.header.type, FrameType::notify);
  EXPECT_EQ(f.header.flags, frame_flags::fin);
  EXPECT_TRUE(f.header.fin());
  EXPECT_FALSE(f.header.abort());
  EXPECT_EQ(f.header.stream_id, 300u);
  EXPECT_EQ(f.header.frame_id, 1u);
  EXPECT_EQ(to_hex(f.payload), "aa bb");
  EXPECT_EQ(f.payload.data(), body.data() + 8);  // a view, not a copy
  EXPECT_EQ(f.length, body.size());
}

TEST(Frame, DecodesWideIdsInEitherPosition) {
  Frame f;
  const auto wide_fid = hex("67 00000001 01 F08000  AA");
  ASSERT_EQ(decode_frame(wide_fid, f), Errc::ok);
  EXPECT_EQ(f.header.stream_id, 1u);
  EXPECT_EQ(f.header.frame_id, 2288u);
  EXPECT_EQ(to_hex(f.payload), "aa");
  const auto both = hex("67 00000001 FFF0FEFE7E FFF0FEFEFEFEFEFEFE0E");
  ASSERT_EQ(decode_frame(both, f), Errc::ok);
  EXPECT_EQ(f.header.stream_id, 4294967295u);
  EXPECT_EQ(f.header.frame_id, 18446744073709551615u);
  EXPECT_TRUE(f.payload.empty());
}

TEST(Frame, KeepsFlagsAndUnknownTypesAsSent) {
  Frame f;
  const auto abort = hex("00 00000003 01 01");
  ASSERT_EQ(decode_frame(abort, f), Errc::ok);
  EXPECT_EQ(f.header.type, FrameType::unset);
  EXPECT_TRUE(f.header.fin());
  EXPECT_TRUE(f.header.abort());
  EXPECT_TRUE(f.payload.empty());

  const auto unknown = hex("42 80000000 00 00");
  ASSERT_EQ(decode_frame(unknown, f), Errc::ok);
  EXPECT_EQ(static_cast<unsigned>(f.header.type), 0x42u);
  EXPECT_EQ(f.header.flags, 0x80000000u);
  EXPECT_FALSE(f.header.fin());
}

TEST(Frame, ShortHeaderIsTruncated) {
  const auto body = hex("03 00000001 FC03 01");
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    Frame f;
    EXPECT_EQ(decode_frame(std::span(body).first(cut), f), Errc::truncated) << cut;
  }
}

TEST(Frame, OverlongIdIsRejected) {
  Frame f;
  EXPECT_EQ(decode_frame(hex("03 00000001 FFFFFFFFFFFFFFFFFFFF00 01"), f), Errc::varint_too_long);
  EXPECT_EQ(decode_frame(hex("03 00000001 01 FFFFFFFFFFFFFFFFFFFF00"), f), Errc::varint_too_long);
}

// ---- split_frame ------------------------------------------------------------------------------

TEST(SplitFrame, NeedsFourBytesBeforeAnything) {
  const auto bytes = hex("00000007");
  Frame f;
  std::size_t used = 77;
  for (std::size_t n = 0; n < 4; ++n) {
    EXPECT_EQ(split_frame(std::span(bytes).first(n), 16380, f, used), Errc::need_more);
  }
  EXPECT_EQ(used, 77u);
}

TEST(SplitFrame, RejectsLengthBelowSeven) {
  for (unsigned len = 0; len < 7; ++len) {
    SCOPED_TRACE(len);
    // Seen from the prefix alone, and also with the LEN bytes present.
    std::vector<std::byte> bytes = {std::byte{0}, std::byte{0}, std::byte{0}, static_cast<std::byte>(len)};
    Frame f;
    std::size_t used = 0;
    EXPECT_EQ(split_frame(bytes, 16380, f, used), Errc::frame_too_small);
    bytes.resize(4 + len, std::byte{0x01});
    EXPECT_EQ(split_frame(bytes, 16380, f, used), Errc::frame_too_small);
  }
}

TEST(SplitFrame, RejectsOversizeFromThePrefixAlone) {
  Frame f;
  std::size_t used = 0;
  // LEN 16381 against a limit of 16380: refused before a single body byte arrived.
  EXPECT_EQ(split_frame(hex("00003FFD"), 16380, f, used), Errc::frame_too_big);
  EXPECT_EQ(split_frame(hex("FFFFFFFF"), 16380, f, used), Errc::frame_too_big);
  EXPECT_EQ(split_frame(hex("00000100 03"), 255, f, used), Errc::frame_too_big);
  // LEN equal to the limit is allowed: it just needs the body.
  EXPECT_EQ(split_frame(hex("00003FFC"), 16380, f, used), Errc::need_more);
}

TEST(SplitFrame, NeedsMoreUntilTheWholeFrameIsThere) {
  const auto bytes = hex(test::golden::notify);
  Frame f;
  std::size_t used = 0;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(split_frame(std::span(bytes).first(n), 16380, f, used), Errc::need_more) << n;
  }
  ASSERT_EQ(split_frame(bytes, 16380, f, used), Errc::ok);
  EXPECT_EQ(used, bytes.size());
  EXPECT_EQ(f.length, 0x20u);
}

TEST(SplitFrame, HeaderLongerThanLenIsTruncated) {
  // LEN 7, but stream-id 300 takes two bytes: the frame-id would be the 8th byte.
  Frame f;
  std::size_t used = 0;
  EXPECT_EQ(split_frame(hex("00000007 03 00000001 FC03 01"), 16380, f, used), Errc::truncated);
}

TEST(SplitFrame, TakesSeveralFramesFromOneBuffer) {
  std::vector<std::byte> stream;
  for (auto text : {test::golden::notify, test::golden::ack, test::golden::ack_empty}) {
    const auto b = hex(text);
    stream.insert(stream.end(), b.begin(), b.end());
  }
  std::span<const std::byte> rest(stream);
  std::vector<FrameType> types;
  std::vector<std::size_t> sizes;
  while (!rest.empty()) {
    Frame f;
    std::size_t used = 0;
    ASSERT_EQ(split_frame(rest, 16380, f, used), Errc::ok);
    types.push_back(f.header.type);
    sizes.push_back(used);
    rest = rest.subspan(used);
  }
  EXPECT_EQ(types, (std::vector<FrameType>{FrameType::notify, FrameType::ack, FrameType::ack}));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{36, 25, 11}));
}

// ---- FrameWriter ------------------------------------------------------------------------------

TEST(FrameWriter, WritesTheHeaderThenBackPatchesLen) {
  std::vector<std::byte> out;
  FrameWriter fw(out, FrameHeader{FrameType::notify, frame_flags::fin, 300, 1}, 16380);
  ASSERT_EQ(fw.status(), Errc::ok);
  EXPECT_EQ(fw.length(), 8u);
  ASSERT_EQ(fw.payload().put_raw_string("ip"), Errc::ok);
  EXPECT_EQ(fw.length(), 11u);
  EXPECT_EQ(fw.finish(), 15u);
  EXPECT_EQ(to_hex(out), to_hex(hex("0000000B 03 00000001 FC03 01  02 6970")));
}

TEST(FrameWriter, AppendsAfterExistingBytesAndCancelsCleanly) {
  std::vector<std::byte> out = hex("AA");
  {
    FrameWriter fw(out, FrameHeader{FrameType::ack, frame_flags::fin, 1, 1}, 16380);
    EXPECT_EQ(fw.finish(), 11u);
  }
  EXPECT_EQ(to_hex(out), to_hex(hex("AA  00000007 67 00000001 01 01")));
  {
    FrameWriter fw(out, FrameHeader{FrameType::ack, frame_flags::fin, 2, 2}, 16380);
    ASSERT_EQ(fw.payload().put_u8(1), Errc::ok);
    fw.cancel();
  }
  EXPECT_EQ(out.size(), 12u);
}

TEST(FrameWriter, NeverLetsLenPassTheMaximum) {
  std::vector<std::byte> out;
  FrameWriter fw(out, FrameHeader{FrameType::haproxy_hello, frame_flags::fin, 0, 0}, 10);  // 7 + 3
  ASSERT_EQ(fw.status(), Errc::ok);
  EXPECT_EQ(fw.payload().put_raw_string("abc"), Errc::frame_too_big);  // 4 bytes
  EXPECT_EQ(fw.length(), 7u);
  EXPECT_EQ(fw.payload().put_raw_string("ab"), Errc::ok);  // exactly 3
  EXPECT_EQ(fw.payload().put_u8(0), Errc::frame_too_big);
  EXPECT_EQ(fw.finish(), 14u);
  Frame f;
  std::size_t used = 0;
  ASSERT_EQ(split_frame(out, 10, f, used), Errc::ok);
  EXPECT_EQ(f.length, 10u);
}

TEST(FrameWriter, HeaderThatDoesNotFitLeavesNothing) {
  std::vector<std::byte> out = hex("01 02");
  FrameWriter small(out, FrameHeader{FrameType::ack, frame_flags::fin, 0, 0}, 6);
  EXPECT_EQ(small.status(), Errc::frame_too_big);
  EXPECT_EQ(small.finish(), 0u);
  EXPECT_EQ(to_hex(out), "01 02");
  FrameWriter ids(out, FrameHeader{FrameType::ack, frame_flags::fin, 300, 1}, 7);  // needs 8
  EXPECT_EQ(ids.status(), Errc::frame_too_big);
  EXPECT_EQ(to_hex(out), "01 02");
}

// ---- grind: every golden frame, whole, split at every offset, byte by byte ---------------------

struct Collected {
  FrameHeader header;
  std::vector<std::byte> payload;
  std::size_t length = 0;
  friend bool operator==(const Collected& a, const Collected& b) {
    return a.header.type == b.header.type && a.header.flags == b.header.flags &&
           a.header.stream_id == b.header.stream_id && a.header.frame_id == b.header.frame_id &&
           a.payload == b.payload && a.length == b.length;
  }
};

// A receive buffer that grows as bytes arrive and hands out every complete frame.
class Reassembler {
 public:
  void feed(std::span<const std::byte> bytes) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    while (true) {
      Frame f;
      std::size_t used = 0;
      const Errc e = split_frame(std::span(buffer_).subspan(consumed_), big_limit, f, used);
      if (e != Errc::ok) {
        ASSERT_EQ(e, Errc::need_more);
        return;
      }
      frames_.push_back({f.header, {f.payload.begin(), f.payload.end()}, f.length});
      consumed_ += used;
    }
  }
  const std::vector<Collected>& frames() const { return frames_; }
  bool drained() const { return consumed_ == buffer_.size(); }

 private:
  std::vector<std::byte> buffer_;
  std::size_t consumed_ = 0;
  std::vector<Collected> frames_;
};

std::vector<Collected> collect_whole(std::span<const std::byte> stream) {
  Reassembler r;
  r.feed(stream);
  EXPECT_TRUE(r.drained());
  return r.frames();
}

void grind(const std::string& name, std::span<const std::byte> stream, std::size_t expected_frames) {
  SCOPED_TRACE(name);
  const auto whole = collect_whole(stream);
  ASSERT_EQ(whole.size(), expected_frames);
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    SCOPED_TRACE(testing::Message() << "split at " << split);
    Reassembler r;
    r.feed(stream.first(split));
    r.feed(stream.subspan(split));
    ASSERT_TRUE(r.drained());
    ASSERT_TRUE(r.frames() == whole);
  }
  Reassembler bytewise;
  for (std::size_t i = 0; i < stream.size(); ++i) bytewise.feed(stream.subspan(i, 1));
  EXPECT_TRUE(bytewise.drained());
  EXPECT_TRUE(bytewise.frames() == whole);
}

TEST(FrameGrind, EveryGoldenFrameWholeSplitAndByteByByte) {
  for (const auto& frame : test::golden::all_frames()) grind(frame.name, frame.bytes, 1);
}

TEST(FrameGrind, AllGoldenFramesBackToBack) {
  std::vector<std::byte> stream;
  const auto frames = test::golden::all_frames();
  for (const auto& frame : frames) stream.insert(stream.end(), frame.bytes.begin(), frame.bytes.end());
  grind("all frames", stream, frames.size());
  // The whole-buffer pass agrees with the frames taken one at a time.
  const auto whole = collect_whole(stream);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto alone = collect_whole(frames[i].bytes);
    ASSERT_EQ(alone.size(), 1u);
    EXPECT_TRUE(alone[0] == whole[i]) << frames[i].name;
    EXPECT_EQ(alone[0].length + 4, frames[i].bytes.size()) << frames[i].name;
  }
}

// ---- truncation: every cut of every golden frame fails cleanly ---------------------------------

TEST(FrameTruncation, EveryPrefixOfEveryGoldenFrameNeedsMore) {
  for (const auto& frame : test::golden::all_frames()) {
    for (std::size_t cut = 0; cut < frame.bytes.size(); ++cut) {
      SCOPED_TRACE(testing::Message() << frame.name << " cut at " << cut);
      Frame f;
      std::size_t used = 0;
      // A fresh copy of exactly `cut` bytes, so that ASan sees any read past it.
      const std::vector<std::byte> prefix(frame.bytes.begin(), frame.bytes.begin() + static_cast<std::ptrdiff_t>(cut));
      EXPECT_EQ(split_frame(prefix, big_limit, f, used), Errc::need_more);
    }
  }
}

// A cut body either fails to decode, or (when the cut falls between two items of a list) decodes to
// exactly the items it holds: building it again gives the same bytes.
TEST(FrameTruncation, EveryCutBodyFailsOrDecodesToExactlyItsBytes) {
  for (const auto& frame : test::golden::all_frames()) {
    const std::span<const std::byte> body = std::span(frame.bytes).subspan(frame_length_prefix);
    std::size_t failures = 0;
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
      SCOPED_TRACE(testing::Message() << frame.name << " body cut at " << cut);
      const std::vector<std::byte> prefix(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(cut));
      Frame f;
      const Errc e = decode_frame(prefix, f);
      if (e != Errc::ok) {
        EXPECT_EQ(e, Errc::truncated);
        ++failures;
        continue;
      }
      const auto rebuilt = test::golden::rebuild_payload(f.header.type, f.payload);
      if (cut == body.size()) {
        ASSERT_TRUE(rebuilt.has_value()) << "the whole payload must decode";
      }
      if (!rebuilt) {
        ++failures;
        continue;
      }
      EXPECT_EQ(to_hex(*rebuilt), to_hex(f.payload));
    }
    // The header cuts always fail, and so does any cut inside the payload's first item.
    EXPECT_GE(failures, 7u) << frame.name;
  }
}

}  // namespace
}  // namespace spop
