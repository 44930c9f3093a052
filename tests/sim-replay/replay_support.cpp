#include "tests/sim-replay/replay_support.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "tests/recording/recording_builder.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/temp_dir.hpp"

namespace spop::sim::replay::test {

namespace {

void put_le32(std::vector<std::byte>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void put_be16(std::vector<std::byte>& out, std::uint32_t v) {
  out.push_back(static_cast<std::byte>(v >> 8));
  out.push_back(static_cast<std::byte>(v));
}
void put_be32(std::vector<std::byte>& out, std::uint32_t v) {
  put_be16(out, v >> 16);
  put_be16(out, v & 0xFFFF);
}

// One IPv4 + TCP packet (checksums left at 0: nothing here checks them).
std::vector<std::byte> packet(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint8_t flags,
                              const std::vector<std::byte>& payload) {
  std::vector<std::byte> p;
  const std::size_t total = 20 + 20 + payload.size();
  p.push_back(std::byte{0x45});
  p.push_back(std::byte{0});
  put_be16(p, static_cast<std::uint32_t>(total));
  put_be32(p, 0x00004000);  // id 0, DF
  p.push_back(std::byte{64});
  p.push_back(std::byte{6});  // TCP
  put_be16(p, 0);
  put_be32(p, 0x7f000001);
  put_be32(p, 0x7f000001);
  put_be16(p, sport);
  put_be16(p, dport);
  put_be32(p, seq);
  put_be32(p, 0);  // ack number (not read)
  p.push_back(std::byte{0x50});
  p.push_back(static_cast<std::byte>(flags));
  put_be16(p, 65535);
  put_be32(p, 0);
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

constexpr std::uint8_t syn = 0x02, ack_flag = 0x10, psh = 0x08, fin = 0x01;

}  // namespace

std::vector<std::byte> check_notify(std::uint64_t sid, std::int64_t n) {
  const spop::Argument args[] = {{"ip", spop::Value::ipv4({{10, 0, 0, static_cast<std::uint8_t>(n % 256)}})},
                                 {"n", spop::Value::int64(n)}};
  return spop::test::notify_bytes(sid, 1, "check", args);
}

std::filesystem::path write_recording(const std::filesystem::path& path, const std::vector<Exchanged>& exchanges) {
  spop::test::RecordingBuilder b;
  for (const Exchanged& e : exchanges) b.add(e.notify, e.ack, 1, e.notify_ns, e.ack_ns);
  return b.write(path);
}

std::filesystem::path write_pcap_segments(const std::filesystem::path& path, std::uint16_t agent_port,
                                          const std::vector<Segment>& segments) {
  std::vector<std::byte> file;
  put_le32(file, 0xa1b2c3d4);  // microsecond timestamps, little-endian
  put_le32(file, 2 | 4u << 16);  // version 2.4
  put_le32(file, 0);
  put_le32(file, 0);
  put_le32(file, 262144);  // snap length
  put_le32(file, 101);     // LINKTYPE_RAW
  auto add = [&](std::int64_t t, const std::vector<std::byte>& p) {
    put_le32(file, static_cast<std::uint32_t>(t / 1'000'000'000));
    put_le32(file, static_cast<std::uint32_t>(t % 1'000'000'000 / 1000));
    put_le32(file, static_cast<std::uint32_t>(p.size()));
    put_le32(file, static_cast<std::uint32_t>(p.size()));
    file.insert(file.end(), p.begin(), p.end());
  };
  const std::uint16_t client = 40000;
  std::uint32_t client_seq = 1000, agent_seq = 5000;
  const std::int64_t t0 = segments.empty() ? 0 : segments.front().time_ns - 1000;
  add(t0, packet(client, agent_port, client_seq++, syn, {}));
  add(t0, packet(agent_port, client, agent_seq++, syn | ack_flag, {}));
  for (const Segment& s : segments) {
    if (s.from_haproxy) {
      add(s.time_ns, packet(client, agent_port, client_seq, psh | ack_flag, s.bytes));
      client_seq += static_cast<std::uint32_t>(s.bytes.size());
    } else {
      add(s.time_ns, packet(agent_port, client, agent_seq, psh | ack_flag, s.bytes));
      agent_seq += static_cast<std::uint32_t>(s.bytes.size());
    }
  }
  const std::int64_t end = segments.empty() ? t0 : segments.back().time_ns + 1000;
  add(end, packet(client, agent_port, client_seq, fin | ack_flag, {}));
  spop::test::write_bytes(path, file);
  return path;
}

std::filesystem::path write_pcap(const std::filesystem::path& path, const std::vector<Exchanged>& exchanges,
                                 const PcapShape& shape) {
  std::vector<Segment> segments;
  const std::int64_t start = exchanges.empty() ? 1'000'000'000 : exchanges.front().notify_ns - 2'000'000;
  segments.push_back({start, true, spop::test::read_file(spop::test::capture("haproxy-2.6/hello.bin"))});
  segments.push_back({start + 500'000, false, spop::test::read_file(spop::test::capture("haproxy-2.6/agent-hello.bin"))});
  for (const Exchanged& e : exchanges) {
    segments.push_back({e.notify_ns, true, e.notify});
    if (!e.ack.empty()) segments.push_back({e.ack_ns, false, e.ack});
  }
  if (shape.cut_tail > 0) {
    auto& last = segments.back().bytes;
    last.resize(last.size() - std::min(shape.cut_tail, last.size()));
  }
  return write_pcap_segments(path, shape.agent_port, segments);
}

Exec run_replay(const std::vector<std::string>& args) {
  static const auto dir = spop::test::scratch_dir("sim-replay-exec");
  static int n = 0;
  const auto out = dir / ("out" + std::to_string(n));
  const auto err = dir / ("err" + std::to_string(n++));
  std::string cmd = std::string(SPOP_SIM_PATH) + " replay";
  for (const std::string& a : args) {
    std::string quoted = "'";
    for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += " " + quoted + "'";
  }
  cmd += " >" + out.string() + " 2>" + err.string() + " </dev/null";
  const int st = std::system(cmd.c_str());
  Exec e;
  e.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  e.out = slurp(out);
  e.err = slurp(err);
  return e;
}

}  // namespace spop::sim::replay::test
