// The PHP test prelude and helpers (see php_test_support.hpp).
#include "tests/php/php_test_support.hpp"

#include <algorithm>
#include <cstddef>

namespace spoa::test {

const char* const prelude = R"PHP(<?php
function check(bool $condition, string $what): void {
    if (!$condition) throw new AssertionError($what);
}
function raises(string $class, callable $fn, ...$args): string {
    try {
        $fn(...$args);
    } catch (Throwable $e) {
        if ($e instanceof $class) return $e->getMessage();
        throw new AssertionError("expected $class, got " . get_class($e) . ': ' . $e->getMessage());
    }
    throw new AssertionError("did not raise $class");
}
)PHP";

int line_of(std::string_view script, std::string_view needle) {
  const std::size_t at = script.find(needle);
  if (at == std::string_view::npos) return 0;
  return 1 + static_cast<int>(std::count(script.begin(), script.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

}  // namespace spoa::test
