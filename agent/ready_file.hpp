// --ready-file: tells scripts and tests where the agent listens, once it is ready to serve.
#pragma once

#include <filesystem>

namespace spoa {

class Listeners;

/// Writes one line per listening socket ("127.0.0.1 41234", ":: 41234", "unix /run/spoa.sock") to a
/// temporary file beside `path`, then renames it over `path`, so a reader never sees a partial file.
/// Returns false (and logs why) on failure.
bool write_ready_file(const std::filesystem::path& path, const Listeners& listeners);

}  // namespace spoa
