#include "agent/tls/context_holder.hpp"

#include <spdlog/spdlog.h>

#include "tls/errors.hpp"

namespace spoa::tls {

ContextHolder::ContextHolder(Options options) : options_(std::move(options)), current_(make_server_context(options_)) {}

ContextHolder::ReloadResult ContextHolder::reload() {
  ReloadResult r;
  try {
    current_ = make_server_context(options_);
    r.ok = true;
    r.message = "TLS certificate reloaded: " + current_.certificate;
    spdlog::info("{}", r.message);
  } catch (const std::exception& e) {  // tls::Error, or OpenSSL out of memory
    r.message = std::string("TLS reload failed, still serving ") + current_.certificate + ": " + e.what();
    spdlog::warn("{}", r.message);
  }
  return r;
}

}  // namespace spoa::tls
