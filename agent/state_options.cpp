// The --state options and the store factory (see state_options.hpp).
#include "agent/state_options.hpp"

#include <tclap/CmdLine.h>

#include "agent/options.hpp"
#include "agent/state/embedded_store.hpp"
#include "agent/state/redis_store.hpp"

namespace spoa {

StateArgs::StateArgs(TCLAP::CmdLine& cmd) {
  // Declared bottom-up, like options.cpp, so that the usage lists --state first.
  timeout_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "state-timeout",
      "Redis store: timeout of the connection and of each call (default: 50ms; a bare number is milliseconds)",
      false, "50ms", "time", cmd);
  size_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "state-size",
      "Embedded store: shared memory for the table, e.g. 64M (default: 16M, about 9700 keys)", false, "16M", "size",
      cmd);
  url_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "state",
      "Store behind spoa.state_get/set/incr/del: 'embedded' (default: shared by this agent's workers) or "
      "redis://host[:port][/db] (shared by several agents)",
      false, "embedded", "store", cmd);
}

StateArgs::~StateArgs() = default;

std::optional<StateOptionError> StateArgs::apply(StateOptions& out) const {
  const std::string& url = url_->getValue();
  if (url != "embedded" && !parse_redis_url(url)) {
    return StateOptionError{"--state", url, "'embedded' or redis://host[:port][/db]"};
  }
  out.url = url;
  auto size = parse_size(size_->getValue());
  if (!size || EmbeddedStore::capacity_for(*size) < 3 || *size > (std::size_t{64} << 30)) {
    return StateOptionError{"--state-size", size_->getValue(), "e.g. 1M, 64M; 8K to 64G"};
  }
  out.size = *size;
  auto timeout = parse_duration(timeout_->getValue(), std::chrono::milliseconds{1});
  if (!timeout || timeout->count() == 0) {
    return StateOptionError{"--state-timeout", timeout_->getValue(), "e.g. 50, 20ms, 1s; not 0"};
  }
  out.timeout = *timeout;
  return std::nullopt;
}

std::shared_ptr<SharedStore> make_shared_store(const StateOptions& options, LogSink log) {
  if (auto address = parse_redis_url(options.url)) {
    RedisStoreOptions o;
    o.address = *address;
    o.timeout = options.timeout;
    return std::make_shared<RedisStore>(std::move(o), std::move(log));
  }
  return std::make_shared<EmbeddedStore>(options.size);
}

}  // namespace spoa
