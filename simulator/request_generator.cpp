#include "simulator/request_generator.hpp"

namespace spop::sim {

RequestGenerator::RequestGenerator(const Scenario& scenario) : RequestGenerator(scenario, scenario.seed) {}

RequestGenerator::RequestGenerator(const Scenario& scenario, std::uint64_t seed) : scenario_(scenario), prng_(seed) {
  for (const RequestTemplate& t : scenario.requests) total_weight_ += t.weight;
}

std::size_t RequestGenerator::pick_template() {
  std::uint64_t r = prng_.below(total_weight_);
  for (std::size_t i = 0; i < scenario_.requests.size(); ++i) {
    if (r < scenario_.requests[i].weight) return i;
    r -= scenario_.requests[i].weight;
  }
  return scenario_.requests.size() - 1;
}

Request RequestGenerator::next() {
  last_ = pick_template();
  const RequestTemplate& t = scenario_.requests[last_];
  const AddressPool& pool = t.clients.empty() ? scenario_.clients : t.clients;

  Request r;
  r.src = pool.pick(prng_);
  const std::uint64_t ports = static_cast<std::uint64_t>(scenario_.client_port_high - scenario_.client_port_low) + 1;
  r.src_port = static_cast<std::uint16_t>(scenario_.client_port_low + prng_.below(ports));
  r.dst = scenario_.frontend_address;
  r.dst_port = scenario_.frontend_port;
  r.method = t.method;
  r.ssl = t.ssl;

  const std::string client_ip = to_string(r.src);
  const TemplateContext context{seq_, client_ip, r.src_port};
  r.url = t.url.expand(context, prng_);
  r.headers.reserve(t.headers.size());
  for (const HeaderTemplate& h : t.headers) r.headers.push_back({h.name, h.value.expand(context, prng_)});
  ++seq_;
  return r;
}

}  // namespace spop::sim
