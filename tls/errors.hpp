// How TLS set-up problems are reported: one exception type whose message names the file and the
// reason, and the text of OpenSSL's error queue.
#pragma once

#include <stdexcept>
#include <string>

namespace spop::tls {

/// A certificate, key, CA or setting that cannot be used; what() is one line ready to print.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The reasons in OpenSSL's error queue of this thread ("no start line; bad base64 decode"), oldest
/// first, or "" when it is empty. Empties the queue.
std::string take_openssl_errors();

}  // namespace spop::tls
