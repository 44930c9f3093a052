#include "simulator/spoe_event.hpp"

namespace spop::sim {

std::string_view to_string(Event event) {
  switch (event) {
    case Event::on_client_session: return "on-client-session";
    case Event::on_server_session: return "on-server-session";
    case Event::on_frontend_tcp_request: return "on-frontend-tcp-request";
    case Event::on_backend_tcp_request: return "on-backend-tcp-request";
    case Event::on_tcp_response: return "on-tcp-response";
    case Event::on_frontend_http_request: return "on-frontend-http-request";
    case Event::on_backend_http_request: return "on-backend-http-request";
    case Event::on_http_response: return "on-http-response";
  }
  return "?";
}

std::optional<Event> parse_event(std::string_view name) {
  for (Event e : all_events)
    if (to_string(e) == name) return e;
  return std::nullopt;
}

Direction direction_of(Event event) {
  return event == Event::on_tcp_response || event == Event::on_http_response ? Direction::response
                                                                               : Direction::request;
}

std::string_view to_string(ProxyKind kind) {
  switch (kind) {
    case ProxyKind::frontend: return "frontend";
    case ProxyKind::backend: return "backend";
    case ProxyKind::listen: return "listen";
  }
  return "?";
}

}  // namespace spop::sim
