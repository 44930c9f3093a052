// The TLS options of spop-cli (send, hello, check) and spop-sim (run, conform): --tls, --tls-ca,
// --tls-cert, --tls-key, --tls-server-name, --tls-insecure, declared once for every subcommand.
#pragma once

#include <tclap/CmdLine.h>

#include <string>

#include "netclient/tls_client.hpp"

namespace spop::netclient {

class TlsArgs {
 public:
  /// Adds the six options to `cmd` (they must outlive cmd.parse()).
  explicit TlsArgs(TCLAP::CmdLine& cmd);

  /// Fills `out` from the parsed values. Any --tls-* option implies --tls. Returns "" or a usage
  /// error ("--tls-key needs --tls-cert").
  std::string resolve(TlsClientOptions& out) const;

 private:
  TCLAP::SwitchArg tls_;
  TCLAP::ValueArg<std::string> ca_;
  TCLAP::ValueArg<std::string> cert_;
  TCLAP::ValueArg<std::string> key_;
  TCLAP::ValueArg<std::string> server_name_;
  TCLAP::SwitchArg insecure_;
};

}  // namespace spop::netclient
