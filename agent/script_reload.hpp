// Reloading a worker's scripts (SIGHUP) without losing a NOTIFY: build a complete new engine set from
// the -f files while the old one stays in place, then swap them between two handler calls.
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include "agent/engines/engine.hpp"

namespace spoa {

class Dispatcher;

/// Loads `files` into a fresh Dispatcher (new engines: a new Lua state, new Python namespaces). On
/// success `prepare` runs on it, it replaces `current` and the old engines are released; on any failure
/// `current` is left exactly as it was. Logs one record either way: "reload complete: ..." or
/// "reload failed, keeping old scripts: <the error, naming the file>". Returns true on success.
///
/// Must run on the thread that serves `current`, between two handler calls (the worker's event loop
/// is single-threaded, so no NOTIFY is ever answered by a half-loaded set). NOTIFYs that arrive while
/// the files load wait in the socket buffers and are answered by the new scripts.
bool reload_scripts(const std::vector<std::filesystem::path>& files, const EngineOptions& options,
                    Dispatcher& current, const std::function<void(Dispatcher&)>& prepare = {});

}  // namespace spoa
