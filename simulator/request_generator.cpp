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
  Request r;
  next(r);
  return r;
}

void RequestGenerator::next(Request& r) {
  last_ = pick_template();
  const RequestTemplate& t = scenario_.requests[last_];
  const AddressPool& pool = t.clients.empty() ? scenario_.clients : t.clients;

  r.src = pool.pick(prng_);
  const std::uint64_t ports = static_cast<std::uint64_t>(scenario_.client_port_high - scenario_.client_port_low) + 1;
  r.src_port = static_cast<std::uint16_t>(scenario_.client_port_low + prng_.below(ports));
  r.dst = scenario_.frontend_address;
  r.dst_port = scenario_.frontend_port;
  r.method = t.method;
  r.ssl = t.ssl;

  // The client address as text only when a placeholder may use it: formatting it costs more than
  // the rest of a plain request.
  bool placeholders = t.url.has_placeholders();
  for (const HeaderTemplate& h : t.headers) placeholders = placeholders || h.value.has_placeholders();
  const std::string client_ip = placeholders ? to_string(r.src) : std::string();
  const TemplateContext context{seq_, client_ip, r.src_port};
  r.url = t.url.expand(context, prng_);
  r.headers.resize(t.headers.size());
  for (std::size_t i = 0; i < t.headers.size(); ++i) {
    const HeaderTemplate& h = t.headers[i];
    r.headers[i].name = h.name;
    r.headers[i].value = h.value.expand(context, prng_);
  }
  ++seq_;
}

}  // namespace spop::sim
