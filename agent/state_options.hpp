// spoa's shared-state options (--state, --state-size, --state-timeout) and the store they describe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "agent/engines/engine.hpp"
#include "agent/engines/shared_store.hpp"

namespace TCLAP {
class CmdLine;
template <typename T>
class ValueArg;
}  // namespace TCLAP

namespace spoa {

struct StateOptions {
  std::string url = "embedded";                 ///< --state: "embedded" or redis://host[:port][/db]
  std::size_t size = std::size_t{16} << 20;     ///< --state-size: bytes of the embedded table
  std::chrono::milliseconds timeout{50};        ///< --state-timeout: Redis connect and command timeout
};

/// A bad value, for options.cpp to report like its other bad values.
struct StateOptionError {
  std::string option;
  std::string value;
  std::string expected;
};

/// The three TCLAP arguments, added to `cmd` on construction (they must outlive cmd.parse()).
class StateArgs {
 public:
  explicit StateArgs(TCLAP::CmdLine& cmd);
  ~StateArgs();
  StateArgs(const StateArgs&) = delete;
  StateArgs& operator=(const StateArgs&) = delete;

  /// Checks the parsed values into `out`; the first bad one otherwise.
  std::optional<StateOptionError> apply(StateOptions& out) const;

 private:
  std::unique_ptr<TCLAP::ValueArg<std::string>> url_, size_, timeout_;
};

/// Creates the store the options name. The embedded one maps its memory now (call before forking the
/// workers); the Redis one connects lazily in each process. Throws std::exception on failure.
std::shared_ptr<SharedStore> make_shared_store(const StateOptions& options, LogSink log);

}  // namespace spoa
