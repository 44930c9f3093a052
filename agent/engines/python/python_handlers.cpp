// HandlerTable (see python_handlers.hpp).
#include "agent/engines/python/python_handlers.hpp"

namespace spoa::python {

const Registration* HandlerTable::add(std::string_view message, PyObject* handler, const std::filesystem::path& file) {
  if (auto it = index_.find(message); it != index_.end()) return &registrations_[it->second];
  registrations_.push_back(Registration{std::string(message), file});
  handlers_.push_back(Ref::borrow(handler));
  index_.emplace(std::string(message), registrations_.size() - 1);
  return nullptr;
}

PyObject* HandlerTable::find(std::string_view message) const noexcept {
  auto it = index_.find(message);
  return it == index_.end() ? nullptr : handlers_[it->second].get();
}

void HandlerTable::truncate(std::size_t count) {
  while (registrations_.size() > count) {
    index_.erase(registrations_.back().message);
    registrations_.pop_back();
    handlers_.pop_back();
  }
}

}  // namespace spoa::python
