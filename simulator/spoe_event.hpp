// SPOE events (when HAProxy sends a message), the direction each one belongs to, and the kind of proxy
// that holds the `filter spoe` line, which changes how events are bound (spop-protocol.md §7).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace spop::sim {

/// The `event` of an spoe-message, in HAProxy's order.
enum class Event : std::uint8_t {
  on_client_session,
  on_server_session,
  on_frontend_tcp_request,
  on_backend_tcp_request,
  on_tcp_response,
  on_frontend_http_request,
  on_backend_http_request,
  on_http_response,
};

inline constexpr std::array<Event, 8> all_events = {
    Event::on_client_session,        Event::on_server_session,       Event::on_frontend_tcp_request,
    Event::on_backend_tcp_request,   Event::on_tcp_response,         Event::on_frontend_http_request,
    Event::on_backend_http_request,  Event::on_http_response,
};

/// The configuration name: "on-frontend-http-request".
std::string_view to_string(Event event);
/// The event of a configuration name; nullopt when unknown.
std::optional<Event> parse_event(std::string_view name);

/// Which channel samples are read from. The events up to on-backend-http-request read the request.
enum class Direction : std::uint8_t { request, response };
Direction direction_of(Event event);

/// The section that holds `filter spoe`.
enum class ProxyKind : std::uint8_t { frontend, backend, listen };
std::string_view to_string(ProxyKind kind);

}  // namespace spop::sim
