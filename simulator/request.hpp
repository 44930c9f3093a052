// One simulated HTTP request as the emulated HAProxy sees it (addresses, start line, headers, TLS),
// with HAProxy's header lookup rules. Sample fetches read it; the request generator produces it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "spop/value.hpp"

namespace spop::sim {

/// An IPv4 or IPv6 address.
using IpAddress = std::variant<spop::Ipv4Address, spop::Ipv6Address>;

/// Parses "192.0.2.1" or "2001:db8::1"; false on anything else.
bool parse_ip(std::string_view text, IpAddress& out);
std::string to_string(const IpAddress& address);
/// 127.0.0.1.
IpAddress loopback_v4();

/// One header line. Names keep their case; lookups ignore it.
struct Header {
  std::string name;
  std::string value;
};

/// How a header lookup cuts values.
enum class HeaderSplit : std::uint8_t {
  commas,      ///< each comma-separated element is a value (req.hdr, hdr)
  full_lines,  ///< each header line is one value (req.fhdr)
};

struct Request {
  IpAddress src = loopback_v4();
  std::uint16_t src_port = 40000;
  IpAddress dst = loopback_v4();
  std::uint16_t dst_port = 80;
  std::string method = "GET";
  std::string url = "/";        ///< the request target as on the start line: "/p?q=1" or "http://h/p"
  std::vector<Header> headers;  ///< in arrival order
  bool ssl = false;             ///< the client connection uses TLS (ssl_fc)

  /// The path of `url`: from its first slash (after any scheme and authority) up to '?'.
  /// nullopt when the target has no path ("*", "http://host").
  std::optional<std::string_view> path() const;

  /// Every value of header `name` in order, or of every header when `name` is empty. Values are
  /// trimmed of blanks; with HeaderSplit::commas a line is cut at commas outside double quotes.
  /// The views point into `headers`.
  std::vector<std::string_view> header_values(std::string_view name, HeaderSplit split) const;

  /// The value at position `occurrence` among header_values(): 1 is the first, -1 (and 0, as for a
  /// HAProxy sample fetch) the last, -2 the one before. nullopt when there is no such value.
  std::optional<std::string_view> header(std::string_view name, std::int64_t occurrence, HeaderSplit split) const;
};

}  // namespace spop::sim
