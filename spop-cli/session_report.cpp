#include "spop-cli/session_report.hpp"

#include <cstdio>

#include "spop-cli/frame_json.hpp"
#include "spop-cli/latency.hpp"

namespace spop_cli {


std::string ms_text(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", to_ms(d));
  return buf;
}

namespace {
std::string_view yes_no(bool b) { return b ? "yes" : "no"; }
}  // namespace

void print_handshake(std::ostream& os, const Handshake& h, std::uint32_t offered) {
  os << "  version:        " << h.version << "\n"
     << "  max-frame-size: " << h.max_frame_size << " (offered " << offered << ")\n"
     << "  capabilities:   \"" << h.capabilities << "\"\n"
     << "  agreed:         pipelining " << yes_no(h.pipelining) << ", async " << yes_no(h.async) << ", fragmentation "
     << yes_no(h.fragmentation) << "\n"
     << "  timing:         connect " << ms_text(h.connect_time) << ", handshake " << ms_text(h.handshake_time) << "\n";
  if (!h.tls.empty()) os << "  tls:            " << h.tls << "\n";
}

nlohmann::json handshake_json(const Handshake& h, std::uint32_t offered) {
  return {{"version", h.version},
          {"max_frame_size", h.max_frame_size},
          {"offered_max_frame_size", offered},
          {"capabilities", h.capabilities},
          {"pipelining", h.pipelining},
          {"async", h.async},
          {"fragmentation", h.fragmentation},
          {"connect_ms", to_ms(h.connect_time)},
          {"handshake_ms", to_ms(h.handshake_time)},
          {"tls", h.tls.empty() ? nlohmann::json(nullptr) : nlohmann::json(h.tls)}};
}

void print_ack(std::ostream& os, const AckResult& ack) {
  os << "ACK stream-id=" << ack.stream_id << " frame-id=" << ack.frame_id << " in " << ms_text(ack.round_trip) << ": "
     << ack.actions.size() << (ack.actions.size() == 1 ? " action\n" : " actions\n");
  for (const OwnedAction& a : ack.actions) {
    if (a.type == spop::ActionType::set_var) {
      os << "  set-var " << a.variable << " = " << spop::describe(a.value.view())
         << (a.value.view().is_null() ? " (HAProxy unsets the variable)\n" : "\n");
    } else {
      os << "  unset-var " << a.variable << "\n";
    }
  }
  if (ack.stop_reason != spop::Errc::ok) {
    os << "  (HAProxy stops reading this ACK at byte " << ack.stop_offset
       << " of its payload: " << spop::make_error_code(ack.stop_reason).message() << "; the rest is ignored)\n";
  }
}

nlohmann::json ack_json(const AckResult& ack) {
  nlohmann::json actions = nlohmann::json::array();
  for (const OwnedAction& a : ack.actions) {
    nlohmann::json j{{"action", a.type == spop::ActionType::set_var ? "set-var" : "unset-var"},
                     {"scope", std::string(spop::to_string(a.scope))},
                     {"name", a.name},
                     {"variable", a.variable}};
    if (a.type == spop::ActionType::set_var) j["value"] = value_to_json(a.value.view());
    actions.push_back(std::move(j));
  }
  nlohmann::json j{{"stream_id", ack.stream_id},
                   {"frame_id", ack.frame_id},
                   {"round_trip_ms", to_ms(ack.round_trip)},
                   {"actions", std::move(actions)}};
  if (ack.stop_reason != spop::Errc::ok) {
    j["stopped"] = {{"offset", ack.stop_offset}, {"reason", spop::make_error_code(ack.stop_reason).message()}};
  }
  return j;
}

std::string_view to_string(FailureKind k) noexcept {
  switch (k) {
    case FailureKind::resolve:
      return "resolve";
    case FailureKind::refused:
      return "refused";
    case FailureKind::unreachable:
      return "unreachable";
    case FailureKind::timeout:
      return "timeout";
    case FailureKind::tls:
      return "tls";
    case FailureKind::closed:
      return "closed";
    case FailureKind::disconnected:
      return "disconnected";
    case FailureKind::protocol:
      return "protocol";
    case FailureKind::io:
      return "io";
    case FailureKind::request:
      return "request";
  }
  return "io";
}

nlohmann::json failure_json(const Failure& f) {
  nlohmann::json j{{"kind", std::string(to_string(f.kind))}, {"message", f.message}};
  if (f.kind == FailureKind::disconnected || f.kind == FailureKind::protocol) {
    j["status"] = static_cast<std::uint32_t>(f.status);
  }
  if (f.kind == FailureKind::disconnected) j["agent_message"] = f.agent_message;
  if (f.offset) j["offset"] = *f.offset;
  return j;
}

}  // namespace spop_cli
