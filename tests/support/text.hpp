// Small text predicates shared by the tests that look into log records and error details.
#pragma once

#include <string_view>

namespace spop::test {

/// Whether `part` occurs in `text`.
inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace spop::test
