// Times as spop-cli prints them: UTC ISO 8601 with nanoseconds (captures, recordings).
#pragma once

#include <cstdint>
#include <string>

namespace spop_cli {

/// "2026-11-25T14:03:21.123456789Z" for nanoseconds since the Unix epoch.
std::string iso_time(std::int64_t ns);

}  // namespace spop_cli
