// A minimal haproxy.cfg reader: the `filter spoe` lines and the backends (servers, timeouts,
// `option spop-check`) that spop-sim needs to play the HAProxy a configuration describes. Every other
// keyword and section is skipped without complaint.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/cfg_lexer.hpp"
#include "simulator/diagnostic.hpp"
#include "simulator/spoe_event.hpp"

namespace spop::sim {

/// One `filter spoe [engine <name>] config <file>` line.
struct SpoeFilter {
  std::string proxy;                  ///< the frontend, listen or backend that holds it
  ProxyKind proxy_kind = ProxyKind::frontend;
  std::optional<std::string> engine;  ///< `engine <name>`
  std::filesystem::path config;       ///< `config <file>`, made absolute against the haproxy.cfg directory
  SourceLocation where;
};

/// The TLS parameters of a `server` line: `ssl`, `verify none|required`, `ca-file`, `crt`, `sni`,
/// `verifyhost`. Paths are made absolute against the haproxy.cfg directory (`ca-base`/`crt-base` are
/// not read).
struct ServerTls {
  bool ssl = false;                     ///< `ssl` (`no-ssl` clears it)
  bool verify = true;                   ///< `verify required` (HAProxy's default for servers); false: `verify none`
  std::filesystem::path ca_file;        ///< `ca-file`
  std::filesystem::path crt;            ///< `crt`: certificate and key in one PEM file
  std::optional<std::string> sni;       ///< the name of `sni str(<name>)`; other expressions are not evaluated
  std::string sni_expression;           ///< `sni` as written, when it is not a str() HAProxy could send
  std::optional<std::string> verifyhost;  ///< `verifyhost`
};

/// One `server <name> <address> [params]` line.
struct HaproxyServer {
  std::string name;
  std::string address;       ///< as written: "127.0.0.1:12345", "ipv6@::1:12345", "/run/spoa.sock"
  std::string host;          ///< the address without prefix and port; the path of a unix socket
  std::uint16_t port = 0;    ///< 0 when the address has none
  bool unix_socket = false;  ///< "unix@path" or an absolute path
  bool check = false;        ///< the `check` parameter
  ServerTls tls;
  SourceLocation where;
};

/// A backend or listen section, with the values it inherits from the last `defaults` section.
struct HaproxyBackend {
  std::string name;
  ProxyKind kind = ProxyKind::backend;  ///< backend or listen
  SourceLocation where;
  std::string mode = "tcp";             ///< `mode` (HAProxy's default is tcp)
  std::optional<std::chrono::milliseconds> timeout_connect;
  std::optional<std::chrono::milliseconds> timeout_server;
  bool spop_check = false;              ///< option spop-check
  std::vector<HaproxyServer> servers;
};

struct HaproxyConfig {
  std::vector<SpoeFilter> filters;       ///< in file order
  std::vector<HaproxyBackend> backends;  ///< backend and listen sections, in file order
  std::vector<Diagnostic> warnings;

  const HaproxyBackend* find_backend(std::string_view name) const;
};

/// Reads `file`; a relative `config` of a filter is resolved against the directory of `file`.
/// Throws ConfigError for malformed `filter spoe`, `server`, `mode` or `timeout` lines.
HaproxyConfig load_haproxy_config(const std::filesystem::path& file, const EnvLookup& env = {});

/// The same for text in memory; relative SPOE paths are resolved against `base_dir`.
HaproxyConfig parse_haproxy_config(std::string_view text, const std::string& file_name,
                                   const std::filesystem::path& base_dir, const EnvLookup& env = {});

}  // namespace spop::sim
