// The PHP side of the shared state (issue #11): spoa\state_get/set/incr/del over EngineOptions::state, and
// the spoa\StateError class they throw.
//
//   spoa\state_get(string $key): int|string|null            null when absent or expired
//   spoa\state_set(string $key, int|string $value, int|float|null $ttl = 0): void   ttl 0/null = no expiry
//   spoa\state_incr(string $key, int $delta = 1, int|float|null $ttl = 0): int      the new value
//   spoa\state_del(string $key): bool                        true if the key existed
//
// Wrong argument types are TypeErrors, a TTL out of range a ValueError (PHP's own wording); whatever the
// store refuses or cannot do, and a missing store, throws spoa\StateError ("spoa\state_incr(): embedded
// store: value of key 'k' is not an integer").
#pragma once

#include "agent/engines/php/php_api.hpp"

namespace spoa::php {

/// Registers spoa\StateError (extending `base`, spoa\Exception) and the four functions. Called from the
/// module's start-up, while PHP registers the `spoa` module.
void register_state_api(zend_class_entry* base);

/// spoa\StateError (null before the module started).
zend_class_entry* state_error_class() noexcept;

}  // namespace spoa::php
