// The SSL context a worker's new TLS connections use, and its reload on SIGHUP: the certificate, key
// and CA are read again, and only a complete, valid new set replaces the current one. A bad new file
// (half-written, wrong key, unreadable) keeps the old context serving and says why in one log line.
// Connections already open keep the context they started with (AgentStream holds it).
#pragma once

#include <memory>
#include <string>

#include "agent/tls/server_context.hpp"
#include "agent/tls/tls_options.hpp"

namespace spoa::tls {

class ContextHolder {
 public:
  /// Builds the first context. Throws spop::tls::Error (the agent refuses to start).
  explicit ContextHolder(Options options);

  /// The context for the next accepted connection.
  const std::shared_ptr<Context>& current() const noexcept { return current_.context; }
  /// What current() serves: subject, serial and expiry of its certificate.
  const std::string& certificate() const noexcept { return current_.certificate; }
  const Options& options() const noexcept { return options_; }

  struct ReloadResult {
    bool ok = false;
    std::string message;  ///< what was loaded, or why the old context stays
  };
  /// Re-reads the files (same paths as at start). Logs at info on success, at warning on failure.
  ReloadResult reload();

 private:
  Options options_;
  ServerContext current_;
};

}  // namespace spoa::tls
