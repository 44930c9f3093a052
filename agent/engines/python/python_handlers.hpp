// The messages one Python engine registered: name -> callable, in registration order.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/engines/engine.hpp"
#include "agent/engines/python/python_api.hpp"

namespace spoa::python {

class HandlerTable {
 public:
  /// Registers `handler` for `message` (registered by `file`). If the name is taken, adds nothing and
  /// returns the registration that holds it; nullptr on success.
  const Registration* add(std::string_view message, PyObject* handler, const std::filesystem::path& file);
  /// The handler of `message` (borrowed), or nullptr. No allocation.
  PyObject* find(std::string_view message) const noexcept;

  const std::vector<Registration>& registrations() const noexcept { return registrations_; }
  std::size_t size() const noexcept { return registrations_.size(); }
  /// Forgets the registrations after the first `count` (a failed load() takes back what it added).
  void truncate(std::size_t count);

 private:
  std::vector<Registration> registrations_;
  std::vector<Ref> handlers_;                             // parallel to registrations_
  std::map<std::string, std::size_t, std::less<>> index_;  // heterogeneous lookup by string_view
};

}  // namespace spoa::python
