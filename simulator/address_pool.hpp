// Client address distributions of a scenario: single addresses and CIDR blocks, each with a weight.
// A block is chosen by weight, then an address uniformly inside it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/prng.hpp"
#include "simulator/request.hpp"

namespace spop::sim {

/// "192.0.2.0/24", "2001:db8::/64" or a single address (a /32 or /128 block).
struct AddressRange {
  IpAddress network;       ///< host bits cleared
  unsigned prefix = 32;    ///< prefix length
  std::uint64_t weight = 1;

  /// Parses the text; nullopt with `error` set on a bad address or prefix. Host bits are cleared.
  static std::optional<AddressRange> parse(std::string_view text, std::string& error);
  std::string to_string() const;  ///< "192.0.2.0/24"
  bool contains(const IpAddress& a) const;
  /// A uniformly chosen address of the block.
  IpAddress pick(Prng& prng) const;
};

/// A weighted list of ranges.
class AddressPool {
 public:
  AddressPool() = default;
  explicit AddressPool(std::vector<AddressRange> ranges);

  bool empty() const noexcept { return ranges_.empty(); }
  const std::vector<AddressRange>& ranges() const noexcept { return ranges_; }
  /// A range chosen by weight, then an address in it. The pool must not be empty and its total
  /// weight must be above zero.
  IpAddress pick(Prng& prng) const;

 private:
  std::vector<AddressRange> ranges_;
  std::uint64_t total_weight_ = 0;
};

}  // namespace spop::sim
