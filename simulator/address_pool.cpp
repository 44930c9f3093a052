#include "simulator/address_pool.hpp"

#include <span>

namespace spop::sim {

namespace {

std::span<std::uint8_t> bytes_of(IpAddress& a) {
  return std::visit([](auto& addr) { return std::span<std::uint8_t>(addr.bytes); }, a);
}

std::span<const std::uint8_t> bytes_of(const IpAddress& a) {
  return std::visit([](const auto& addr) { return std::span<const std::uint8_t>(addr.bytes); }, a);
}

unsigned bit_count(const IpAddress& a) { return static_cast<unsigned>(bytes_of(a).size() * 8); }

// Keeps the first `prefix` bits of `a` and replaces the others with `fill`'s.
void apply_host_bits(IpAddress& a, unsigned prefix, std::span<const std::uint8_t> fill) {
  std::span<std::uint8_t> b = bytes_of(a);
  for (std::size_t i = 0; i < b.size(); ++i) {
    const unsigned first_bit = static_cast<unsigned>(i * 8);
    std::uint8_t keep = 0;
    if (prefix >= first_bit + 8) keep = 0xFF;
    else if (prefix > first_bit) keep = static_cast<std::uint8_t>(0xFF << (8 - (prefix - first_bit)));
    b[i] = static_cast<std::uint8_t>((b[i] & keep) | (fill[i] & ~keep));
  }
}

}  // namespace

std::optional<AddressRange> AddressRange::parse(std::string_view text, std::string& error) {
  AddressRange r;
  const std::size_t slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  if (!parse_ip(addr, r.network)) {
    error = "'" + std::string(addr) + "' is not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  const unsigned bits = bit_count(r.network);
  r.prefix = bits;
  if (slash != std::string_view::npos) {
    const std::string_view len = text.substr(slash + 1);
    unsigned v = 0;
    bool ok = !len.empty() && len.size() <= 3;
    for (char c : len) {
      ok = ok && c >= '0' && c <= '9';
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (!ok || v > bits) {
      error = "bad prefix length '/" + std::string(len) + "' (0 to " + std::to_string(bits) + ")";
      return std::nullopt;
    }
    r.prefix = v;
  }
  const std::array<std::uint8_t, 16> zeros{};
  apply_host_bits(r.network, r.prefix, zeros);
  return r;
}

std::string AddressRange::to_string() const {
  return sim::to_string(network) + "/" + std::to_string(prefix);
}

bool AddressRange::contains(const IpAddress& a) const {
  if (a.index() != network.index()) return false;
  IpAddress masked = a;
  const std::array<std::uint8_t, 16> zeros{};
  apply_host_bits(masked, prefix, zeros);
  return masked == network;
}

IpAddress AddressRange::pick(Prng& prng) const {
  std::array<std::uint8_t, 16> random{};
  for (std::size_t i = 0; i < random.size(); i += 8) {
    const std::uint64_t r = prng.next();
    for (std::size_t j = 0; j < 8; ++j) random[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
  }
  IpAddress a = network;
  apply_host_bits(a, prefix, random);
  return a;
}

AddressPool::AddressPool(std::vector<AddressRange> ranges) : ranges_(std::move(ranges)) {
  for (const AddressRange& r : ranges_) total_weight_ += r.weight;
}

IpAddress AddressPool::pick(Prng& prng) const {
  std::uint64_t r = prng.below(total_weight_);
  for (const AddressRange& range : ranges_) {
    if (r < range.weight) return range.pick(prng);
    r -= range.weight;
  }
  return ranges_.back().pick(prng);
}

}  // namespace spop::sim
