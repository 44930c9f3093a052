// One row of the Python and PHP setter tables: a setter call in the script's language and the SET-VAR
// action it must append.
#pragma once

#include <ostream>

namespace spoa::test {

struct SetterCase {
  const char* name;
  const char* statement;  // in the engine's language, run inside the handler
  const char* actions;    // expected actions, hex
};

// Shown by gtest (and in ctest's test names) instead of the struct's raw bytes.
inline void PrintTo(const SetterCase& c, std::ostream* os) { *os << c.name; }

}  // namespace spoa::test
