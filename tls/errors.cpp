#include "tls/errors.hpp"

#include <openssl/err.h>

namespace spop::tls {

std::string take_openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    std::string text = reason != nullptr ? reason : "error " + std::to_string(code);
    if (out.find(text) != std::string::npos) continue;  // the same reason pushed by several layers
    out += (out.empty() ? "" : "; ") + text;
  }
  return out;
}

}  // namespace spop::tls
