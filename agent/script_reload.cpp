// reload_scripts() (see script_reload.hpp).
#include "agent/script_reload.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "agent/dispatcher.hpp"

namespace spoa {

bool reload_scripts(const std::vector<std::filesystem::path>& files, const EngineOptions& options,
                    Dispatcher& current, const std::function<void(Dispatcher&)>& prepare) {
  const auto started = std::chrono::steady_clock::now();
  Dispatcher fresh;
  try {
    fresh = Dispatcher::load(files, options);
  } catch (const StartupError& e) {
    spdlog::error("reload failed, keeping old scripts: {}", e.what());
    return false;
  } catch (const std::exception& e) {  // an engine that cannot start at all (e.g. its runtime)
    spdlog::error("reload failed, keeping old scripts: {}", e.what());
    return false;
  }
  if (prepare) prepare(fresh);
  // The swap: from here on every message is looked up in the new table. `fresh` now holds the old
  // engines, released when it goes out of scope (after the swap, never during a call).
  std::swap(current, fresh);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  spdlog::info("reload complete: {} script(s), {} message(s) registered ({} ms)", files.size(),
               current.message_count(), took.count());
  return true;
}

}  // namespace spoa
