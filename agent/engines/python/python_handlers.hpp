// What one Python engine's scripts registered: message name -> callable (and whether it is a coroutine
// function, which runs on the event loop), in registration order, plus the start-up hooks.
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
  const Registration* add(std::string_view message, PyObject* handler, const std::filesystem::path& file,
                          bool on_loop = false);
  /// The handler of `message` (borrowed), or nullptr. No allocation.
  PyObject* find(std::string_view message) const noexcept;
  /// The same; `on_loop` tells whether it is a coroutine function.
  PyObject* find(std::string_view message, bool& on_loop) const noexcept;

  /// A start-up hook (spoa.register_startup), run after the last file loaded.
  struct Hook {
    Ref fn;
    std::filesystem::path file;
  };
  void add_hook(PyObject* fn, const std::filesystem::path& file) { hooks_.push_back({Ref::borrow(fn), file}); }
  const std::vector<Hook>& hooks() const noexcept { return hooks_; }
  /// Marks the current sizes, for truncate().
  struct Mark {
    std::size_t registrations;
    std::size_t hooks;
  };
  Mark mark() const noexcept { return {registrations_.size(), hooks_.size()}; }
  void truncate(Mark mark);

  const std::vector<Registration>& registrations() const noexcept { return registrations_; }
  std::size_t size() const noexcept { return registrations_.size(); }
  /// Forgets the registrations after the first `count` (a failed load() takes back what it added).
  void truncate(std::size_t count);

 private:
  std::vector<Registration> registrations_;
  std::vector<Ref> handlers_;                             // parallel to registrations_
  std::vector<Hook> hooks_;
  std::map<std::string, std::size_t, std::less<>> index_;  // heterogeneous lookup by string_view
};

}  // namespace spoa::python
