// HandlerTable (see php_handlers.hpp).
#include "agent/engines/php/php_handlers.hpp"

namespace spoa::php {

const Registration* HandlerTable::add(std::string_view message, zval* callable, const zend_fcall_info_cache& cache,
                                      const std::filesystem::path& file) {
  if (auto it = index_.find(message); it != index_.end()) return &registrations_[it->second];
  registrations_.push_back(Registration{std::string(message), file});
  try {
    index_.emplace(std::string(message), registrations_.size() - 1);
    handlers_.push_back(Handler{});
  } catch (...) {
    index_.erase(registrations_.back().message);
    registrations_.pop_back();
    throw;
  }
  Handler& h = handlers_.back();
  ZVAL_COPY(&h.callable, callable);
  h.cache = cache;
  return nullptr;
}

Handler* HandlerTable::find(std::string_view message) noexcept {
  auto it = index_.find(message);
  return it == index_.end() ? nullptr : &handlers_[it->second];
}

void HandlerTable::truncate(std::size_t count) {
  while (registrations_.size() > count) {
    index_.erase(registrations_.back().message);
    registrations_.pop_back();
    zval callable;
    ZVAL_COPY_VALUE(&callable, &handlers_.back().callable);
    handlers_.pop_back();  // the table is consistent before PHP code (a destructor) may run
    zval_ptr_dtor(&callable);
  }
}

}  // namespace spoa::php
