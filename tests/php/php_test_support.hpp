// Fixture of the PHP engine tests: EngineFixture with the PHP engine and "script.php", plus a prelude for
// test scripts.
#pragma once

#include <string_view>

#include "agent/engines/php/php_engine.hpp"
#include "tests/support/engine_fixture.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/text.hpp"

namespace spoa::test {

class PhpEngineTest : public EngineFixture {
 protected:
  PhpEngineTest() : EngineFixture("php", "script.php", &make_php_engine) {}
};

/// The expected ACK (stream 1, frame 1) holding actions given in hex (shared with the other engines).
using spop::test::ack_with;

using spop::test::contains;

/// PHP prelude for scripts: `<?php`, `use` of the spoa namespace's functions and constants is not needed
/// (scripts call spoa\...), plus check($condition, $what) and raises($class, $fn, ...$args) -> the message,
/// both throwing AssertionError on failure (PHP's assert() is off in production php.ini).
extern const char* const prelude;

/// The 1-based number of the first line of `script` that contains `needle` (0 if none).
int line_of(std::string_view script, std::string_view needle);

}  // namespace spoa::test
