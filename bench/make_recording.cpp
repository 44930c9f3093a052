// Writes a recording (recording/format.hpp) of COUNT exchanges for bench/run-replay-bench.sh: the
// benchmark's NOTIFY (message "check" with ip = a varying IPv4 address and n = INT64 1, as
// bench/sim/spoe-trivial.conf sends it) and the empty ACK spoa sends without a script, 2 us apart on
// 8 connections. A plain program, not Google Benchmark.
//
// Usage: make_recording OUTPUT COUNT
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "recording/writer.hpp"
#include "spop/ack_builder.hpp"
#include "spop/notify_builder.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_recording OUTPUT COUNT\n");
    return 2;
  }
  const std::uint64_t count = std::strtoull(argv[2], nullptr, 10);
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  std::vector<std::byte> bytes, notify, ack;
  spop::recording::FileHeader header;
  header.created_ns = 1'700'000'000'000'000'000;
  spop::recording::append_file_header(bytes, header);
  for (std::uint64_t i = 0; i < count; ++i) {
    notify.clear();
    ack.clear();
    const spop::Argument args[] = {
        {"ip", spop::Value::ipv4({{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                                   static_cast<std::uint8_t>(i)}})},
        {"n", spop::Value::int64(1)}};
    spop::NotifyBuilder nb(notify, i & 0xFFFFFFFF, 1, spop::default_max_frame_size);
    nb.add_message("check", args);
    nb.finish();
    spop::AckBuilder ab(ack, i & 0xFFFFFFFF, 1, spop::default_max_frame_size);
    ab.finish();
    spop::recording::RecordMeta meta;
    meta.connection = i % 8 + 1;
    meta.notify_ns = header.created_ns + static_cast<std::int64_t>(i) * 2000;
    meta.ack_ns = meta.notify_ns + 30'000;
    spop::recording::append_record(bytes, meta, notify, ack);
    if (bytes.size() > (1u << 20)) {
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      bytes.clear();
    }
  }
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "make_recording: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
