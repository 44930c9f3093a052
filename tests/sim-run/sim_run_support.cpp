#include "tests/sim-run/sim_run_support.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>

#include "spop/ack_builder.hpp"
#include "spop/frame.hpp"
#include "tests/support/temp_dir.hpp"

namespace spop::sim::test {

RunOptions options_for(const std::string& spoe, const std::string& scenario, std::uint16_t port) {
  const auto dir = spop::test::scratch_dir("sim-run-test");
  std::ofstream(dir / "spoe.conf") << spoe;
  std::ofstream(dir / "scenario.yaml") << scenario;
  RunOptions o;
  o.spoe_config = (dir / "spoe.conf").string();
  o.scenario = (dir / "scenario.yaml").string();
  o.port = port;
  o.reaction_timeout = std::chrono::milliseconds(1000);
  o.quiet = true;
  return o;
}

std::pair<std::uint64_t, std::uint64_t> ids_of(const std::vector<std::byte>& frame) {
  spop::Frame f;
  std::size_t used = 0;
  if (spop::split_frame(frame, 1u << 24, f, used) != spop::Errc::ok) return {UINT64_MAX, UINT64_MAX};
  return {f.header.stream_id, f.header.frame_id};
}

std::vector<std::byte> empty_ack_for(const std::vector<std::byte>& notify, std::uint32_t flags, std::int64_t sid_delta) {
  const auto [sid, fid] = ids_of(notify);
  std::vector<std::byte> out;
  spop::AckBuilder b(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(sid) + sid_delta), fid, 16380);
  b.finish();
  // FLAGS are bytes 5..8 (after LEN and TYPE).
  for (int i = 0; i < 4; ++i) out[5 + static_cast<std::size_t>(i)] = std::byte(static_cast<std::uint8_t>(flags >> (24 - 8 * i)));
  return out;
}

std::string basic_spoe(const std::string& extra_agent_lines) {
  return "spoe-agent a\n"
         "    messages m1\n"
         "    option var-prefix p\n"
         "    timeout processing 300ms\n"
         "    use-backend be\n" +
         extra_agent_lines +
         "spoe-message m1\n"
         "    args ip=src n=int(7)\n"
         "    event on-frontend-http-request\n";
}

std::string basic_scenario(const std::string& load, const std::string& rest) {
  return "load: " + load + "\nrequests:\n  - path: /\n" + rest;
}

}  // namespace spop::sim::test
