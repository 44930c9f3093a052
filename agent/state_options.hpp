// spoa's shared-state options (--state, --state-prefix, --state-password-file, --state-size,
// --state-timeout), the store they describe, and the start-up check of that store.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "agent/engines/engine.hpp"
#include "agent/engines/shared_store.hpp"
#include "agent/option_group.hpp"
#include "agent/state/redis_target.hpp"

namespace spoa {

struct StateOptions {
  std::string url = "embedded";              ///< --state as given (may hold a password: never print it)
  std::optional<RedisTarget> redis;          ///< the Redis store, credentials complete (file read); none: embedded
  std::string prefix;                        ///< --state-prefix: prepended to every key
  std::optional<std::filesystem::path> password_file;  ///< --state-password-file
  std::size_t size = std::size_t{16} << 20;  ///< --state-size: bytes of the embedded table
  std::chrono::milliseconds timeout{50};     ///< --state-timeout: Redis connect and command timeout
};

/// A bad value, for options.cpp to report like its other bad values (`value` never holds a password).
using StateOptionError = OptionError;

/// The TCLAP arguments, added to `cmd` on construction (they must outlive cmd.parse()).
class StateArgs {
 public:
  explicit StateArgs(TCLAP::CmdLine& cmd);
  ~StateArgs();
  StateArgs(const StateArgs&) = delete;
  StateArgs& operator=(const StateArgs&) = delete;

  /// Checks the parsed values into `out` (reading the password file); the first bad one otherwise.
  std::optional<StateOptionError> apply(StateOptions& out) const;

 private:
  std::unique_ptr<TCLAP::ValueArg<std::string>> url_, prefix_, password_file_, size_, timeout_;
};

/// Creates the store the options name, with its key prefix. The embedded one maps its memory now (call
/// before forking the workers); the Redis one connects lazily in each process. Throws std::exception.
std::shared_ptr<SharedStore> make_shared_store(const StateOptions& options, LogSink log);

/// One line for --check and the start-up log: the store, its prefix, and what check() found.
std::string describe_state(const StateOptions& options, const StoreCheck& check);

/// Overwrites the password of a --state URL in argv with '*' (same length), so that `ps` shows no secret
/// once the options are parsed. Leaves every other argument alone.
void hide_state_password(int argc, char** argv);

}  // namespace spoa
