// HandlerTable (see python_handlers.hpp).
#include "agent/engines/python/python_handlers.hpp"

#include <algorithm>

namespace spoa::python {

const Registration* HandlerTable::add(std::string_view message, PyObject* handler, const std::filesystem::path& file,
                                      bool on_loop) {
  if (auto it = index_.find(message); it != index_.end()) return &registrations_[it->second];
  registrations_.push_back(Registration{std::string(message), file, on_loop});
  handlers_.push_back(Ref::borrow(handler));
  index_.emplace(std::string(message), registrations_.size() - 1);
  return nullptr;
}

PyObject* HandlerTable::find(std::string_view message) const noexcept {
  auto it = index_.find(message);
  return it == index_.end() ? nullptr : handlers_[it->second].get();
}

PyObject* HandlerTable::find(std::string_view message, bool& on_loop) const noexcept {
  auto it = index_.find(message);
  if (it == index_.end()) return nullptr;
  on_loop = registrations_[it->second].on_loop;
  return handlers_[it->second].get();
}

void HandlerTable::truncate(Mark mark) {
  truncate(mark.registrations);
  hooks_.resize(std::min(hooks_.size(), mark.hooks));
}

void HandlerTable::truncate(std::size_t count) {
  while (registrations_.size() > count) {
    index_.erase(registrations_.back().message);
    registrations_.pop_back();
    handlers_.pop_back();
  }
}

}  // namespace spoa::python
