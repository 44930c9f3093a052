#include "netclient/tls_args.hpp"

namespace spop::netclient {

TlsArgs::TlsArgs(TCLAP::CmdLine& cmd)
    : tls_("", "tls", "talk TLS to the agent (spoa --tls-cert); implied by every --tls-* option", cmd, false),
      ca_("", "tls-ca", "CA file or directory that signed the agent's certificate (default: the system's CAs)", false,
          "", "FILE|DIR", cmd),
      cert_("", "tls-cert", "our client certificate, for an agent that requires one (spoa --tls-ca); PEM, may hold "
            "the key too", false, "", "FILE", cmd),
      key_("", "tls-key", "the key of --tls-cert (default: read from the --tls-cert file)", false, "", "FILE", cmd),
      server_name_("", "tls-server-name",
                   "name sent as SNI and checked in the agent's certificate (default: --host; an IP address is "
                   "checked, not sent)",
                   false, "", "NAME", cmd),
      insecure_("", "tls-insecure", "accept any certificate from the agent (tests only: no protection)", cmd, false) {}

std::string TlsArgs::resolve(TlsClientOptions& out) const {
  out = TlsClientOptions{};
  out.enabled = tls_.getValue() || ca_.isSet() || cert_.isSet() || key_.isSet() || server_name_.isSet() ||
                insecure_.getValue();
  if (!out.enabled) return {};
  if (ca_.isSet() && ca_.getValue().empty()) return "--tls-ca: the path is empty";
  if (cert_.isSet() && cert_.getValue().empty()) return "--tls-cert: the path is empty";
  if (key_.isSet() && !cert_.isSet()) return "--tls-key needs --tls-cert";
  if (server_name_.isSet() && server_name_.getValue().empty()) return "--tls-server-name: the name is empty";
  if (insecure_.getValue() && ca_.isSet()) return "--tls-insecure checks no certificate: --tls-ca would be ignored";
  out.ca = ca_.getValue();
  out.cert = cert_.getValue();
  out.key = key_.getValue();
  if (server_name_.isSet()) out.sni = out.verify_name = server_name_.getValue();
  out.insecure = insecure_.getValue();
  return {};
}

}  // namespace spop::netclient
