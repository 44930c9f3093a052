#include "simulator/sim_target.hpp"

namespace spop::sim {

namespace {

SpoeConfig load_filter_config(const SpoeFilter& f, const EnvLookup& env) {
  SpoeLoadOptions options;
  options.engine = f.engine;
  options.proxy = f.proxy_kind;
  options.env = env;
  return load_spoe_config(f.config, options);
}

[[noreturn]] void fail(SourceLocation where, std::string message) {
  throw ConfigError({{std::move(where), std::move(message)}});
}

}  // namespace

SimTarget resolve_sim_target(const HaproxyConfig& haproxy, const std::optional<std::string>& engine,
                             const EnvLookup& env) {
  const std::vector<SpoeFilter>& filters = haproxy.filters;
  if (filters.empty()) fail({}, "no 'filter spoe' line in the haproxy configuration");

  std::optional<SimTarget> chosen;
  std::string engines;  // for the "choose one" message
  for (const SpoeFilter& f : filters) {
    if (!engine && filters.size() > 1) {
      engines += (engines.empty() ? "" : ", ") + f.engine.value_or("<agent name>") + " (" + to_string(f.where) + ")";
      continue;
    }
    if (engine && f.engine && *f.engine != *engine) continue;
    SpoeConfig spoe = load_filter_config(f, env);
    if (engine && spoe.engine_id != *engine) continue;
    if (chosen) fail(f.where, "several 'filter spoe' lines use engine '" + *engine + "'");
    chosen = SimTarget{f, std::move(spoe), {}, {}};
  }
  if (!engine && filters.size() > 1)
    fail({}, "several 'filter spoe' lines: " + engines + "; choose one by its engine name");
  if (!chosen) fail({}, "no 'filter spoe' line uses engine '" + engine.value_or("") + "'");

  SimTarget& t = *chosen;
  const SpoeAgent& agent = t.spoe.agent;
  const std::string proxy = "Proxy " + t.filter.proxy + " : ";
  const HaproxyBackend* backend = haproxy.find_backend(agent.backend);
  if (backend == nullptr) {
    fail(t.filter.where, proxy + "unknown backend '" + agent.backend + "' used by SPOE agent '" + agent.name +
                             "' declared at " + to_string(agent.where));
  }
  if (backend->mode == "http") {
    fail(t.filter.where, proxy + "backend '" + backend->name + "' used by SPOE agent '" + agent.name +
                             "' declared at " + to_string(agent.where) + " does not support HTTP mode");
  }
  if (backend->servers.empty()) fail(backend->where, "backend '" + backend->name + "' has no server");
  t.backend = *backend;
  t.warnings = haproxy.warnings;
  t.warnings.insert(t.warnings.end(), t.spoe.warnings.begin(), t.spoe.warnings.end());
  return std::move(t);
}

SimTarget load_sim_target(const std::filesystem::path& haproxy_cfg, const std::optional<std::string>& engine,
                          const EnvLookup& env) {
  return resolve_sim_target(load_haproxy_config(haproxy_cfg, env), engine, env);
}

}  // namespace spop::sim
