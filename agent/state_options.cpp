// The --state options, the store factory and the password hiding (see state_options.hpp).
#include "agent/state_options.hpp"

#include <tclap/CmdLine.h>

#include <cstring>
#include <variant>

#include "agent/options.hpp"
#include "agent/state/embedded_store.hpp"
#include "agent/state/redis_store.hpp"

namespace spoa {

namespace {

constexpr const char* url_forms =
    "'embedded', redis://[user[:password]@]host[:port][/db], unix://[user[:password]@]/path[?db=N] or "
    "redis-sentinel://[user[:password]@]host[:port][,host[:port]...]/master[/db]";

std::string size_text(std::size_t bytes) {
  if (bytes % (std::size_t{1} << 30) == 0) return std::to_string(bytes >> 30) + "G";
  if (bytes % (std::size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "M";
  if (bytes % (std::size_t{1} << 10) == 0) return std::to_string(bytes >> 10) + "K";
  return std::to_string(bytes);
}

}  // namespace

StateArgs::StateArgs(TCLAP::CmdLine& cmd) {
  // Declared bottom-up, like options.cpp, so that the usage lists --state first.
  timeout_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "state-timeout",
      "Redis store: timeout of the connection and of each call (default: 50ms; a bare number is milliseconds)",
      false, "50ms", "time", cmd);
  size_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "state-size",
      "Embedded store: shared memory for the table, e.g. 64M (default: 16M, about 9300 keys)", false, "16M", "size",
      cmd);
  password_file_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "state-password-file",
      "Redis store: read the password from this file (one line) instead of the URL, so that it is not in "
      "the command line",
      false, "", "file", cmd);
  prefix_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "state-prefix",
      "Prepended to every key of spoa.state_*, e.g. 'myapp:' (default: none; at most 64 bytes)", false, "",
      "string", cmd);
  url_ = std::make_unique<TCLAP::ValueArg<std::string>>(
      "", "state",
      "Store behind spoa.state_get/set/incr/del: 'embedded' (default: shared by this agent's workers), "
      "redis://[user[:password]@]host[:port][/db], unix:///path/redis.sock[?db=N] or "
      "redis-sentinel://host:port[,host:port...]/master[/db] (shared by several agents)",
      false, "embedded", "store", cmd);
}

StateArgs::~StateArgs() = default;

std::optional<StateOptionError> StateArgs::apply(StateOptions& out) const {
  const std::string& url = url_->getValue();
  out.url = url;
  out.redis.reset();
  if (url != "embedded") {
    if (!is_redis_url(url)) return StateOptionError{"--state", url, std::string("expected ") + url_forms};
    auto parsed = parse_redis_target(url);
    if (auto* why = std::get_if<std::string>(&parsed)) {
      return StateOptionError{"--state", redact_redis_url(url), *why + "; expected " + url_forms};
    }
    out.redis = std::get<RedisTarget>(std::move(parsed));
  }
  if (password_file_->isSet()) {
    const std::string& file = password_file_->getValue();
    if (!out.redis) return StateOptionError{"--state-password-file", file, "only for a Redis store (--state redis://...)"};
    if (out.redis->credentials.password) {
      return StateOptionError{"--state-password-file", file,
                              "the --state URL holds a password too: give it in one place only, the file"};
    }
    try {
      out.redis->credentials.password = read_password_file(file);
    } catch (const std::exception& e) {
      return StateOptionError{"--state-password-file", file, e.what()};
    }
    out.password_file = file;
  }
  if (out.redis && !out.redis->credentials.user.empty() && !out.redis->credentials.password) {
    return StateOptionError{"--state", redact_redis_url(url),
                            "user '" + out.redis->credentials.user +
                                "' needs a password: in the URL (user:password@) or with --state-password-file"};
  }
  out.prefix = prefix_->getValue();
  if (out.prefix.size() > state_limits::max_prefix) {
    return StateOptionError{"--state-prefix", out.prefix,
                            "at most " + std::to_string(state_limits::max_prefix) + " bytes, e.g. 'myapp:'"};
  }
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
  std::shared_ptr<SharedStore> store;
  if (options.redis) {
    RedisStoreOptions o;
    o.target = *options.redis;
    o.timeout = options.timeout;
    store = std::make_shared<RedisStore>(std::move(o), std::move(log));
  } else {
    store = std::make_shared<EmbeddedStore>(options.size);
  }
  store->set_key_prefix(options.prefix);
  return store;
}

std::string describe_state(const StateOptions& options, const StoreCheck& check) {
  std::string out = check.text;
  if (!options.redis) {
    out += ", " + size_text(options.size) + " (" + std::to_string(EmbeddedStore::capacity_for(options.size)) + " keys)";
  } else {
    out += " (timeout " + std::to_string(options.timeout.count()) + " ms";
    if (options.password_file) out += ", password from " + options.password_file->string();
    out += ")";
  }
  out += options.prefix.empty() ? ", no key prefix" : ", key prefix '" + options.prefix + "'";
  return out;
}

void hide_state_password(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* value = nullptr;
    if (std::strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
      value = argv[i + 1];
    } else if (std::strncmp(argv[i], "--state=", 8) == 0) {
      value = argv[i] + 8;
    }
    if (value == nullptr) continue;
    if (auto span = find_url_password(value)) std::memset(value + span->first, '*', span->second);
  }
}

}  // namespace spoa
