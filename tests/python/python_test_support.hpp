// Fixture of the Python engine tests: EngineFixture with the Python engine and "script.py", plus a
// prelude for test scripts.
#pragma once

#include "agent/engines/python/python_engine.hpp"
#include "tests/support/engine_fixture.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/text.hpp"

namespace spoa::test {

class PythonEngineTest : public EngineFixture {
 protected:
  PythonEngineTest() : EngineFixture("python", "script.py", &make_python_engine) {}
};

/// The expected ACK (stream 1, frame 1) holding actions given in hex (shared with the other engines).
using spop::test::ack_with;

using spop::test::contains;

/// A Python prelude for scripts: `import spoa` and raises(exc, fn, *args) -> the exception's text, which
/// fails with AssertionError when fn does not raise exc.
extern const char* const prelude;

}  // namespace spoa::test
