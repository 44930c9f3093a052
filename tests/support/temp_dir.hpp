// Scratch directories for tests: created under $TMPDIR and removed with everything in them when the
// test process exits, so that test runs leave nothing behind in /tmp.
#pragma once

#include <filesystem>
#include <string_view>

namespace spop::test {

/// A new, empty directory `<TMPDIR>/<prefix>-XXXXXX`, removed at the normal exit of the process that
/// created it (not of a forked child). Throws std::runtime_error if it cannot be created.
std::filesystem::path scratch_dir(std::string_view prefix);

}  // namespace spop::test
