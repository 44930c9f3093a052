// The agent's server-side SSL context, built from the --tls-* options: the certificate chain and key,
// TLS 1.2..1.3 from --tls-min-version, the cipher lists, and with --tls-ca a required, verified client
// certificate (mutual TLS).
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "agent/tls/tls_options.hpp"

namespace spoa::tls {

using Context = boost::asio::ssl::context;

/// A context and what it serves, for logs and --check.
struct ServerContext {
  std::shared_ptr<Context> context;
  std::string certificate;  ///< "CN=localhost (serial 1A2B), expires 2028-03-01 12:00:00 UTC"
};

/// Reads the files now and builds the context. Throws spop::tls::Error with a message naming the file
/// and the problem (unreadable, no certificate, key does not match, bad cipher list...).
ServerContext make_server_context(const Options& options);

}  // namespace spoa::tls
