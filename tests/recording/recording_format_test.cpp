// The recording format: writer and reader agree byte for byte, and every way a file can be bad is
// reported with its offset after everything before it was read.
#include "recording/reader.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "recording/crc32c.hpp"
#include "recording/writer.hpp"
#include "spop/notify_builder.hpp"
#include "tests/recording/recording_builder.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/temp_dir.hpp"

namespace spop::recording {
namespace {

using spop::test::hex;
using spop::test::to_hex;

const spop::Argument ip_arg[] = {{"ip", spop::Value::ipv4({{127, 0, 0, 1}})}};
const spop::test::SetVar score[] = {{spop::Scope::txn, "score", spop::Value::int32(42)}};

std::filesystem::path dir() {
  static const auto d = spop::test::scratch_dir("recording-test");
  return d;
}

TEST(Crc32c, CheckValueAndChaining) {
  const auto digits = spop::test::bytes("123456789");
  EXPECT_EQ(crc32c(digits), 0xE3069283u);
  EXPECT_EQ(crc32c(std::span(digits).subspan(4), crc32c(std::span(digits).first(4))), 0xE3069283u);
  EXPECT_EQ(crc32c({}), 0u);
  // 32 zero bytes: the iSCSI test vector (RFC 3720, B.4).
  const std::vector<std::byte> zeros(32);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
}

// The CPU's instruction (where crc32c() uses it) and the tables agree on every length and alignment.
TEST(Crc32c, TheInstructionAndTheTablesAgree) {
  std::vector<std::byte> data(300);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 131 + 7);
  for (std::size_t from = 0; from < 9; ++from) {
    for (std::size_t n = 0; from + n <= data.size(); n += 1 + n / 4) {
      const auto part = std::span<const std::byte>(data).subspan(from, n);
      EXPECT_EQ(crc32c(part, 0x12345678u), crc32c_portable(part, 0x12345678u)) << from << " " << n;
      EXPECT_EQ(crc32c(part), crc32c_portable(part)) << from << " " << n;
    }
  }
  EXPECT_EQ(crc32c_portable(spop::test::bytes("123456789")), 0xE3069283u);
}

TEST(RecordingWriter, FileHeaderBytes) {
  std::vector<std::byte> out;
  FileHeader h;
  h.flags = header_flags::redacted;
  h.key_id = 0x0102030405060708;
  h.created_ns = 0x1122334455667788;
  append_file_header(out, h);
  EXPECT_EQ(to_hex(out), to_hex(hex("89 53 50 4f 50 52 45 43  0001  0020  00000001  0102030405060708"
                                    "  1122334455667788")));
}

// The example of docs/replay.md ("The recording format"), byte for byte.
TEST(RecordingWriter, TheDocumentedExample) {
  std::vector<std::byte> file;
  FileHeader h;
  h.created_ns = 1'700'000'000'000'000'000;
  append_file_header(file, h);
  EXPECT_EQ(to_hex(file), to_hex(hex("89 53 50 4f 50 52 45 43  00 01  00 20  00 00 00 00  00 00 00 00 00 00 00 00"
                                     "  17 97 9c fe 36 2a 00 00")));
  const auto notify = hex("00000020 03 00000001 01 01 0f 636865636b2d636c69656e742d6970 01 02 6970 06 7f000001");
  const auto ack = hex("00000015 67 00000001 01 01 01 03 02 08 69705f73636f7265 02 2a");
  RecordMeta m;
  m.source = 77;
  m.connection = 5;
  m.notify_ns = 1000;
  m.ack_ns = 1250;
  std::vector<std::byte> out;
  append_record(out, m, notify, ack);
  ASSERT_EQ(out.size(), 40u + 36u + 25u);
  EXPECT_EQ(to_hex(std::span(out).first(40)),
            to_hex(hex("00 00 00 65  0c 4a cd 2f  01 00 00 00  00 00 00 4d  00 00 00 00 00 00 00 05"
                       "  00 00 00 00 00 00 03 e8  00 00 00 00 00 00 04 e2")));
  EXPECT_EQ(to_hex(std::span(out).subspan(40)), to_hex(notify) + " " + to_hex(ack));
  // The CRC covers every byte but its own.
  EXPECT_EQ(record_crc(out), 0x0c4acd2fu);
  EXPECT_EQ(crc32c(std::span(out).subspan(8), crc32c(std::span(out).first(4))), 0x0c4acd2fu);
}

TEST(RecordingWriter, UnsealedRecordsGetTheSameChecksumsWhenSealed) {
  const auto notify = spop::test::notify_bytes(1, 1, "m", ip_arg);
  const auto ack = spop::test::ack_bytes(1, 1, score);
  std::vector<std::byte> sealed, unsealed;
  for (int i = 0; i < 3; ++i) {
    RecordMeta m;
    m.connection = static_cast<std::uint64_t>(i);
    append_record(sealed, m, notify, i == 1 ? std::span<const std::byte>() : ack);
    append_record_unsealed(unsealed, m, notify, i == 1 ? std::span<const std::byte>() : ack);
  }
  EXPECT_NE(sealed, unsealed);
  EXPECT_EQ(seal_records(unsealed), 3u);
  EXPECT_EQ(sealed, unsealed);
}

// A NOTIFY given by its ids and payload is written as the frame a peer sends for them, with ids of every
// varint length; the record is the same as one made from that frame.
TEST(RecordingWriter, ANotifyFromItsPartsIsTheFrameOnTheWire) {
  for (const auto& [sid, fid] : {std::pair<std::uint64_t, std::uint64_t>{0, 1}, {239, 240}, {2288, 70000},
                                 {UINT64_MAX, 1}}) {
    const auto notify = spop::test::notify_bytes(sid, fid, "check", ip_arg);
    spop::Frame frame;
    std::size_t used = 0;
    ASSERT_EQ(spop::split_frame(notify, spop::default_max_frame_size, frame, used), spop::Errc::ok);
    const NotifyParts parts{sid, fid, frame.payload};
    EXPECT_EQ(notify_frame_size(parts), notify.size()) << sid;
    const auto ack = spop::test::ack_bytes(sid, fid, score);
    RecordMeta m;
    m.connection = 9;
    m.notify_ns = 5;
    m.ack_ns = 6;
    for (const bool answered : {true, false}) {
      const std::span<const std::byte> sent = answered ? std::span<const std::byte>(ack) : std::span<const std::byte>();
      std::vector<std::byte> from_bytes, from_parts;
      append_record(from_bytes, m, notify, sent);
      append_record_unsealed(from_parts, m, parts, sent);
      EXPECT_EQ(from_parts.size(), record_size(parts, sent));
      EXPECT_EQ(seal_records(from_parts), 1u);
      EXPECT_EQ(to_hex(from_parts), to_hex(from_bytes)) << sid << " " << answered;
    }
  }
}

TEST(RecordingReader, ReadsBackWhatWasWritten) {
  spop::test::RecordingBuilder b;
  const auto n1 = spop::test::notify_bytes(0, 1, "check", ip_arg);
  const auto a1 = spop::test::ack_bytes(0, 1, score);
  const auto n2 = spop::test::notify_bytes(1, 1, "check", ip_arg);
  b.add(n1, a1, 3, 100, 150);
  const std::size_t second = b.add(n2, {}, 4, 200);
  const auto path = b.write(dir() / "two.spoprec");

  RecordingReader r(path);
  ASSERT_TRUE(r.opened());
  EXPECT_FALSE(r.header().redacted());
  const Record* rec = r.next();
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->offset, 32u);
  EXPECT_EQ(rec->meta.kind, RecordKind::exchange);
  EXPECT_EQ(rec->meta.connection, 3u);
  EXPECT_EQ(rec->meta.notify_ns, 100);
  EXPECT_EQ(rec->meta.ack_ns, 150);
  EXPECT_EQ(to_hex(rec->notify), to_hex(n1));
  EXPECT_EQ(to_hex(rec->ack), to_hex(a1));
  rec = r.next();
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->offset, second);
  EXPECT_EQ(rec->meta.kind, RecordKind::notify_only);
  EXPECT_EQ(rec->meta.ack_ns, 0);
  EXPECT_TRUE(rec->ack.empty());
  EXPECT_EQ(r.next(), nullptr);
  EXPECT_FALSE(r.error()) << r.error()->to_string();
  EXPECT_EQ(r.records(), 2u);
}

TEST(RecordingReader, ReadsRecordsLargerThanItsReadChunk) {
  // A 3 MB binary argument: the reader must grow its buffer to the record's length.
  const std::string big(3 << 20, 'x');
  const spop::Argument arg[] = {{"body", spop::Value::binary(big)}};
  std::vector<std::byte> frame;  // notify_bytes() stops at 16380 bytes: this one is built by hand
  spop::NotifyBuilder nb(frame, 1, 1, 0xFFFFFF);
  ASSERT_EQ(nb.add_message("m", arg), spop::Errc::ok);
  nb.finish();
  spop::test::RecordingBuilder b;
  for (int i = 0; i < 3; ++i) b.add(frame, {});
  RecordingReader r(b.write(dir() / "big.spoprec"));
  int n = 0;
  while (const Record* rec = r.next()) {
    EXPECT_EQ(rec->notify.size(), frame.size());
    ++n;
  }
  EXPECT_EQ(n, 3);
  EXPECT_FALSE(r.error());
}

// ---- bad files ------------------------------------------------------------------------------

struct BadFile {
  std::filesystem::path path;
  std::uint64_t good_records;  // yielded before the error
};

// Three good records, then `tail` bytes.
BadFile three_then(const std::string& name, const std::function<void(std::vector<std::byte>&)>& spoil) {
  spop::test::RecordingBuilder b;
  const auto n = spop::test::notify_bytes(1, 1, "check", ip_arg);
  const auto a = spop::test::ack_bytes(1, 1, score);
  for (int i = 0; i < 4; ++i) b.add(n, a, 1, i, i + 1);
  spoil(b.bytes());
  return {b.write(dir() / name), 3};
}

std::uint64_t record_length() {
  return 40 + spop::test::notify_bytes(1, 1, "check", ip_arg).size() + spop::test::ack_bytes(1, 1, score).size();
}
std::uint64_t fourth_record_offset() { return 32 + 3 * record_length(); }

void expect_error_after_three(const BadFile& f, std::uint64_t offset, const std::string& reason) {
  RecordingReader r(f.path);
  ASSERT_TRUE(r.opened());
  std::uint64_t n = 0;
  while (r.next()) ++n;
  EXPECT_EQ(n, f.good_records);
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error()->offset, offset);
  EXPECT_EQ(r.error()->reason, reason);
  EXPECT_EQ(r.error()->to_string(), f.path.string() + ": byte " + std::to_string(offset) + ": " + reason);
  EXPECT_EQ(r.next(), nullptr) << "nothing after an error";
}

TEST(RecordingReader, TruncatedLastRecord) {
  const auto f = three_then("truncated.spoprec", [](auto& b) { b.resize(b.size() - 10); });
  expect_error_after_three(f, fourth_record_offset(),
                           "record 4 is cut short: its header says " + std::to_string(record_length()) +
                               " bytes, the file has " + std::to_string(record_length() - 10));
}

TEST(RecordingReader, FileEndingInsideARecordLength) {
  const auto f = three_then("stub.spoprec", [](auto& b) { b.resize(fourth_record_offset() + 2); });
  expect_error_after_three(f, fourth_record_offset(), "record 4 is cut short: the file ends 2 bytes into it");
}

TEST(RecordingReader, CorruptedRecordFailsItsChecksum) {
  const auto f = three_then("flipped.spoprec", [](auto& b) { b[fourth_record_offset() + 60] ^= std::byte{0x40}; });
  RecordingReader r(f.path);
  while (r.next()) {
  }
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error()->offset, fourth_record_offset());
  EXPECT_EQ(r.error()->reason.rfind("record 4: checksum mismatch (stored 0x", 0), 0u) << r.error()->reason;
  EXPECT_NE(r.error()->reason.find("): the record is corrupted"), std::string::npos);
  EXPECT_EQ(r.records(), 3u);
}

TEST(RecordingReader, ImpossibleLengthIsRefusedBeforeBuffering) {
  const auto f = three_then("length.spoprec", [](auto& b) {
    b[fourth_record_offset()] = std::byte{0x7f};  // about 2 GB
  });
  expect_error_after_three(f, fourth_record_offset(),
                           "record 4: impossible record length " + std::to_string(0x7f000000 + record_length()) +
                               " (a record takes 51 to 33554478 bytes)");
}

TEST(RecordingReader, UnknownVersionNamesBothVersions) {
  spop::test::RecordingBuilder b;
  b.bytes()[9] = std::byte{2};
  const auto path = b.write(dir() / "v2.spoprec");
  RecordingReader r(path);
  EXPECT_FALSE(r.opened());
  EXPECT_EQ(r.next(), nullptr);
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error()->to_string(),
            path.string() + ": byte 0: recording format version 2 is not supported (this build reads version 1)");
}

TEST(RecordingReader, NotARecording) {
  const auto path = dir() / "text.txt";
  spop::test::write_bytes(path, spop::test::bytes("hello, this is text\n"));
  RecordingReader r(path);
  EXPECT_FALSE(r.opened());
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error()->reason, "not a spop recording: it does not start with the magic bytes 89 53 50 4f 50 52 45 43");

  const auto empty = dir() / "empty";
  spop::test::write_bytes(empty, {});
  RecordingReader e(empty);
  ASSERT_TRUE(e.error());
  EXPECT_EQ(e.error()->reason, "the file is empty: not a spop recording");

  spop::test::RecordingBuilder b;
  b.bytes().resize(20);
  RecordingReader h(b.write(dir() / "short-header"));
  ASSERT_TRUE(h.error());
  EXPECT_EQ(h.error()->offset, 20u);
  EXPECT_EQ(h.error()->reason, "the file ends inside its header (20 bytes)");

  RecordingReader missing(dir() / "does-not-exist");
  ASSERT_TRUE(missing.error());
  EXPECT_EQ(missing.error()->reason, "cannot open: No such file or directory");
}

TEST(RecordingReader, ALongerHeaderFromALaterWriterIsSkipped) {
  std::vector<std::byte> bytes;
  append_file_header(bytes, {});
  bytes[11] = std::byte{40};  // header length 40: 8 bytes this reader does not know
  bytes.resize(40);
  RecordMeta m;
  append_record(bytes, m, spop::test::notify_bytes(1, 1, "m", ip_arg), {});
  const auto path = dir() / "longer-header";
  spop::test::write_bytes(path, bytes);
  RecordingReader r(path);
  const Record* rec = r.next();
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->offset, 40u);
}

// Records that pass their checksum but do not hold what a record must (a writer bug, or a crafted file).
TEST(RecordDecoder, StructuralErrors) {
  const auto notify = spop::test::notify_bytes(1, 1, "m", ip_arg);
  const auto ack = spop::test::ack_bytes(1, 1, score);
  struct Case {
    const char* name;
    std::function<void(std::vector<std::byte>&)> spoil;  // applied to an exchange record, then resealed
    std::string reason;
  };
  const Case cases[] = {
      {"unknown kind", [](auto& r) { r[8] = std::byte{9}; }, "unknown record kind 9"},
      {"ACK first", [&](auto& r) { r[40 + 4] = std::byte{0x67}; }, "the first frame has type 103, not NOTIFY (3)"},
      {"NOTIFY second",
       [&](auto& r) { r[40 + notify.size() + 4] = std::byte{3}; }, "the second frame has type 3, not ACK (103)"},
      {"exchange without ACK",
       [&](auto& r) {
         r.resize(40 + notify.size());
         r[3] = static_cast<std::byte>(r.size());
       },
       "a NOTIFY-and-ACK record without an ACK frame"},
      {"frame past the end", [&](auto& r) { r[40 + 3] = std::byte{0x40}; }, "the NOTIFY frame's length 64 runs past the end of the record"},
      {"short frame", [&](auto& r) { r[40 + 3] = std::byte{2}; }, "the NOTIFY frame's length 2 is below the minimum of 7"},
      {"trailing bytes",
       [&](auto& r) {
         r.push_back(std::byte{0});
         r[3] = static_cast<std::byte>(r.size());
       },
       "1 bytes after the frames"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::byte> rec;
    append_record(rec, {}, notify, ack);
    c.spoil(rec);
    seal_records(rec);
    Record out;
    std::size_t used = 0;
    std::string reason;
    EXPECT_EQ(decode_record(rec, out, used, reason), DecodeStatus::invalid);
    EXPECT_EQ(reason, c.reason);
  }
}

TEST(RecordDecoder, EveryFlippedBitIsNoticed) {
  std::vector<std::byte> rec;
  append_record(rec, {}, spop::test::notify_bytes(1, 1, "m", ip_arg), spop::test::ack_bytes(1, 1, score));
  for (std::size_t i = 0; i < rec.size(); ++i) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      auto bad = rec;
      bad[i] ^= static_cast<std::byte>(1u << bit);
      Record out;
      std::size_t used = 0;
      std::string reason;
      EXPECT_NE(decode_record(bad, out, used, reason), DecodeStatus::ok) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(RecordDecoder, NeedsTheWholeRecord) {
  std::vector<std::byte> rec;
  append_record(rec, {}, spop::test::notify_bytes(1, 1, "m", ip_arg), {});
  for (std::size_t n = 0; n < rec.size(); ++n) {
    Record out;
    std::size_t used = 0;
    std::string reason;
    EXPECT_EQ(decode_record(std::span(rec).first(n), out, used, reason), DecodeStatus::need_more) << n;
  }
}

TEST(RecordingMagic, PrefixesCompareAsFarAsTheyGo) {
  std::vector<std::byte> h;
  append_file_header(h, {});
  EXPECT_TRUE(has_recording_magic(h));
  EXPECT_TRUE(has_recording_magic(std::span(h).first(3)));
  EXPECT_FALSE(has_recording_magic(hex("d4 c3 b2 a1")));  // a pcap file
}

}  // namespace
}  // namespace spop::recording
