// The messages the PHP engine registered: name -> callable, in registration order.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/engines/engine.hpp"
#include "agent/engines/php/php_api.hpp"

namespace spoa::php {

/// A registered handler: the callable (one reference held) and PHP's resolved call target for it.
struct Handler {
  zval callable;
  zend_fcall_info_cache cache;
};

/// Holds PHP references: clear() it while the request that made them is still running.
class HandlerTable {
 public:
  HandlerTable() = default;
  HandlerTable(const HandlerTable&) = delete;
  HandlerTable& operator=(const HandlerTable&) = delete;

  /// Registers `callable` for `message` (registered by `file`). If the name is taken, adds nothing and
  /// returns the registration that holds it; nullptr on success. May throw std::bad_alloc.
  const Registration* add(std::string_view message, zval* callable, const zend_fcall_info_cache& cache,
                          const std::filesystem::path& file);
  /// The handler of `message`, or nullptr. No allocation.
  Handler* find(std::string_view message) noexcept;

  const std::vector<Registration>& registrations() const noexcept { return registrations_; }
  std::size_t size() const noexcept { return registrations_.size(); }
  /// Forgets the registrations after the first `count`, releasing their callables (which may run
  /// destructors: call it inside zend_try).
  void truncate(std::size_t count);
  void clear() { truncate(0); }

 private:
  std::vector<Registration> registrations_;
  std::vector<Handler> handlers_;                          // parallel to registrations_
  std::map<std::string, std::size_t, std::less<>> index_;  // heterogeneous lookup by string_view
};

}  // namespace spoa::php
