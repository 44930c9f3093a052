// Health-check checks (HC-*): HAProxy's `option spop-check` HELLO, answered and then reset (§5.5).
#include <string>

#include "simulator/conform/session.hpp"

namespace spop::sim::conform {

namespace {

// One health check: the §6 HELLO, the reply validated, then the RST HAProxy sends.
std::string one_check(Context& ctx) {
  Session s(ctx);
  if (std::string e = s.handshake_with(healthcheck_hello(), default_max_frame_size); !e.empty()) return e;
  s.probe().reset();
  return "";
}

Outcome answered(Context& ctx) {
  if (std::string e = one_check(ctx); !e.empty()) return fail(e);
  return pass();
}

Outcome survives_reset(Context& ctx) {
  if (std::string e = one_check(ctx); !e.empty()) return fail(e);
  if (std::string e = agent_still_serves(ctx); !e.empty()) return fail("after the RST: " + e);
  return pass();
}

Outcome repeated(Context& ctx) {
  for (int i = 1; i <= 10; ++i) {
    if (std::string e = one_check(ctx); !e.empty()) return fail("health check " + std::to_string(i) + ": " + e);
  }
  return pass();
}

}  // namespace

void add_healthcheck_checks(std::vector<Check>& out) {
  const std::string_view g = "health check";
  out.insert(out.end(), {
      {"HC-01", g, Level::must, "§5.5, §6", "a health check is answered",
       "the 82-byte health-check HELLO (capabilities \"\", healthcheck true, no engine-id)",
       "AGENT-HELLO: version \"2.0\", max-frame-size in [256, 16380]", answered},
      {"HC-02", g, Level::must, "§5.5", "the RST after a health check is tolerated",
       "a health check, then a TCP reset, then a new connection with a NOTIFY",
       "the reply, then a normal handshake and ACK on the new connection", survives_reset},
      {"HC-03", g, Level::must, "§5.5", "health checks in a row are all answered",
       "ten health checks, each reset right after the reply", "ten AGENT-HELLOs", repeated},
  });
}

}  // namespace spop::sim::conform
