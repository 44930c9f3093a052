// The SPOE configuration file (spop-protocol.md §7) read as HAProxy 2.6 reads it: `[scope]` selection
// by engine name, the spoe-agent, spoe-message and spoe-group sections with HAProxy's keywords,
// defaults and error texts, then resolution into the model the emulator runs: the agent's settings, its
// messages bound to events in `messages` order, and its groups.
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
#include "simulator/request.hpp"
#include "simulator/sample.hpp"
#include "simulator/spoe_event.hpp"
#include "spop/types.hpp"

namespace spop::sim {

/// One spoe-message section.
struct SpoeMessage {
  std::string name;
  SourceLocation where;            ///< its `spoe-message` line
  std::vector<SampleArg> args;     ///< every `args` line, in order
  std::optional<Event> event;      ///< the last `event` line's event (after the listen/backend rules)
  std::string condition;           ///< "if <cond>" / "unless <cond>" of that line, "" if none (not evaluated)
  std::vector<std::string> acls;   ///< each `acl` line's text after "acl" (not evaluated)
};

/// One spoe-group the agent uses; `messages` are copies of the member messages, in the group's order.
struct SpoeGroup {
  std::string name;
  SourceLocation where;
  std::vector<SpoeMessage> messages;
};

/// The spoe-agent section, with HAProxy 2.6's defaults.
struct SpoeAgent {
  std::string name;
  SourceLocation where;
  std::string backend;  ///< use-backend (required)
  /// `timeout hello|idle|processing`; nullopt when missing or 0, which HAProxy treats as "no limit".
  std::optional<std::chrono::milliseconds> timeout_hello;
  std::optional<std::chrono::milliseconds> timeout_idle;
  std::optional<std::chrono::milliseconds> timeout_processing;
  std::string var_prefix;          ///< option var-prefix; defaults to the agent name
  std::string var_on_error;        ///< option set-on-error; "" when unset
  std::string var_process_time;    ///< option set-process-time; "" when unset
  std::string var_total_time;      ///< option set-total-time; "" when unset
  bool continue_on_error = false;  ///< option continue-on-error
  bool force_set_var = false;      ///< option force-set-var
  std::vector<std::string> registered_vars;  ///< register-var-names, in order
  bool pipelining = true;          ///< [no] option pipelining
  bool async = true;               ///< [no] option async
  bool send_frag_payload = true;   ///< [no] option send-frag-payload
  bool dontlog_normal = false;     ///< [no] option dontlog-normal
  std::uint32_t max_frame_size = spop::default_max_frame_size;  ///< 256..16380 (tune.bufsize - 4)
  std::uint32_t max_waiting_frames = 20;  ///< >= 1
  std::uint32_t max_conn_rate = 0;        ///< maxconnrate; 0 = unlimited
  std::uint32_t max_err_rate = 0;         ///< maxerrrate; 0 = unlimited
  std::vector<std::string> logs;          ///< each `log` line's text after "log"
};

/// A resolved SPOE configuration.
struct SpoeConfig {
  std::string engine_id;              ///< the filter's engine name, or the agent name without one
  SpoeAgent agent;
  /// The agent's `messages` that are bound to an event, in `messages` line order. Messages without an
  /// event, or with a frontend event in a backend, are left out with a warning (as HAProxy does).
  std::vector<SpoeMessage> messages;
  std::vector<SpoeGroup> groups;      ///< the agent's `groups`, in order
  std::vector<Diagnostic> warnings;

  /// The messages a NOTIFY carries for `event`, in order (conditions are not evaluated).
  std::vector<const SpoeMessage*> messages_for(Event event) const;
  /// The message or group named `name`; nullptr when the agent does not use it.
  const SpoeMessage* find_message(std::string_view name) const;
  const SpoeGroup* find_group(std::string_view name) const;
};

/// How the file is read: the `filter spoe` line's context.
struct SpoeLoadOptions {
  /// `engine <name>`: only the `[name]` scope is read, and it must exist. Without it only lines outside
  /// any scope are read.
  std::optional<std::string> engine;
  /// The section holding the filter: in a listen, backend events become frontend events; in a backend,
  /// messages with frontend events are ignored with a warning.
  ProxyKind proxy = ProxyKind::frontend;
  EnvLookup env;  ///< "$VAR" lookup; empty: the process environment
};

/// Reads and resolves an SPOE file. Throws ConfigError listing every error found, each as
/// "file:line: message" with HAProxy's wording where HAProxy has one (`file` is the path as given).
SpoeConfig load_spoe_config(const std::filesystem::path& file, const SpoeLoadOptions& options = {});

/// The same for text already in memory; `file_name` is used in diagnostics.
SpoeConfig parse_spoe_config(std::string_view text, const std::string& file_name,
                             const SpoeLoadOptions& options = {});

/// The evaluated messages of the NOTIFY for `event` and `request`, in order.
std::vector<EvaluatedMessage> evaluate_event(const SpoeConfig& config, Event event, const Request& request);

}  // namespace spop::sim
