// The `args` of an spoe-message: parsing the sample expressions spop-sim supports, knowing where HAProxy
// 2.6 allows them, and evaluating them against a simulated Request into the values HAProxy sends
// (spop-protocol.md §2.2: integers as INT64, bool as BOOL, addresses as IPV4/IPV6, strings and the
// method as STRING, bin as BINARY, a missing sample as NULL).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/request.hpp"
#include "simulator/spoe_event.hpp"
#include "spop/value.hpp"

namespace spop::sim {

/// The sample fetches spop-sim evaluates. Converters (`src,ipmask(24)`) are not supported.
enum class Fetch : std::uint8_t {
  src, src_port, dst, dst_port,                        // layer 4
  req_hdr, req_fhdr, hdr, path, method, url, ssl_fc,   // layers 5-7
  const_int, const_str, const_bool, const_ipv4, const_ipv6, const_bin, always_true, always_false,
};

/// HAProxy's keyword: "req.hdr".
std::string_view keyword(Fetch fetch);

/// One parsed sample expression.
struct SampleExpr {
  Fetch fetch = Fetch::always_true;
  std::string text;          ///< as written ("req.hdr(host)"), for messages
  std::string bytes;         ///< header name (empty: any header), or the str()/bin() constant
  std::int64_t number = 0;   ///< header occurrence (0: the last), or the int() constant
  bool boolean = false;      ///< the bool() constant
  IpAddress address;         ///< the ipv4()/ipv6() constant
};

/// One `args` item: `ip=src` has name "ip"; an unnamed item (`src`) has name "".
struct SampleArg {
  std::string name;
  SampleExpr expr;
};

/// Parses a sample expression ("req.hdr(host,1)"). On failure returns nullopt and sets `error` to a text
/// worded like HAProxy's ("unknown fetch method 'foo'", "fetch method 'int' : failed to parse 'x' as type
/// 'integer' at position 1").
std::optional<SampleExpr> parse_sample(std::string_view text, std::string& error);

/// Parses an `args` item, `[name=]<sample>`; the name ends at the first '=' as in HAProxy.
std::optional<SampleArg> parse_sample_arg(std::string_view item, std::string& error);

/// Whether HAProxy 2.6 accepts this fetch in a message bound to `event` (it refuses the configuration
/// otherwise): layer-4 fetches and constants work everywhere; ssl_fc, method and hdr need a session;
/// req.hdr, req.fhdr, path and url need the request and so are refused in on-client-session and in
/// the response events.
bool available_at(Fetch fetch, Event event);

/// Evaluates `expr` for `request` in direction `dir`. STRING and BINARY values view bytes of `request`
/// or of `expr`: they stay valid while both live unchanged. A missing header or path gives NULL, and so
/// does `hdr` in the response direction (spop-sim does not simulate responses). Does not allocate.
spop::Value evaluate(const SampleExpr& expr, const Request& request, Direction dir);

/// One message's arguments evaluated for one request, owning every byte the values point to, so it
/// can outlive the Request and the configuration (one allocation for all names and strings).
class EvaluatedMessage {
 public:
  EvaluatedMessage(std::string name, std::span<const SampleArg> args, const Request& request, Direction dir);

  // Move-only: the arguments point into storage_, which a move keeps in place.
  EvaluatedMessage(EvaluatedMessage&&) noexcept = default;
  EvaluatedMessage& operator=(EvaluatedMessage&&) noexcept = default;
  EvaluatedMessage(const EvaluatedMessage&) = delete;
  EvaluatedMessage& operator=(const EvaluatedMessage&) = delete;
  ~EvaluatedMessage() = default;

  const std::string& name() const noexcept { return name_; }
  /// In `args` declaration order; names and bytes live as long as this object.
  const std::vector<spop::Argument>& arguments() const noexcept { return arguments_; }

 private:
  std::string name_;
  std::unique_ptr<char[]> storage_;
  std::vector<spop::Argument> arguments_;
};

}  // namespace spop::sim
