#include "simulator/spoe_config.hpp"

#include <cctype>
#include <limits>
#include <map>

#include "simulator/cfg_time.hpp"
#include "simulator/text_util.hpp"

namespace spop::sim {

namespace {

enum class Section : std::uint8_t { none, agent, message, group, skipped };

// A name listed on a `messages` or `groups` line, kept with its line until resolution.
struct Placeholder {
  std::string name;
  SourceLocation where;
};

struct RawGroup {
  std::string name;
  SourceLocation where;
  std::vector<Placeholder> members;
};

// The words of one line with HAProxy's conventions: a missing word reads as "".
class Args {
 public:
  explicit Args(std::span<const std::string> words) : words_(words) {}
  const std::string& operator[](std::size_t i) const { return i < words_.size() ? words_[i] : empty_; }
  std::span<const std::string> from(std::size_t i) const {
    return i < words_.size() ? words_.subspan(i) : std::span<const std::string>{};
  }

 private:
  std::span<const std::string> words_;
  static inline const std::string empty_;
};

bool is_var_name(std::string_view s) {
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  return true;
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 10) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > std::numeric_limits<std::uint32_t>::max()) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool is_frontend_event(Event e) {
  return e == Event::on_client_session || e == Event::on_frontend_tcp_request ||
         e == Event::on_frontend_http_request;
}

// Reads the lines of one SPOE file into raw sections, then resolves them into a SpoeConfig.
class SpoeReader {
 public:
  SpoeReader(const std::string& file, const SpoeLoadOptions& options, DiagnosticLog& log)
      : file_(file), options_(options), log_(log) {}

  void read(const std::vector<ConfigLine>& lines) {
    for (const ConfigLine& line : lines) {
      if (aborted_) return;
      where_ = {file_, line.number};
      if (line.scope) {
        scope_ = *line.scope;
        scopes_seen_.push_back(*line.scope);
        continue;
      }
      on_words(Args(line.words));
    }
  }

  SpoeConfig resolve();

 private:
  bool active() const {
    return options_.engine ? (scope_ && *scope_ == *options_.engine) : !scope_.has_value();
  }

  void error(std::string message) { log_.error(where_, std::move(message)); }
  // HAProxy stops reading the file after these (ERR_ABORT): malformed section headers.
  void abort(std::string message) {
    error(std::move(message));
    aborted_ = true;
  }

  bool too_many(const Args& a, std::size_t last) {
    if (a[last + 1].empty()) return false;
    error("'" + a[0] + "' cannot handle unexpected argument '" + a[last + 1] + "'");
    return true;
  }

  void on_words(const Args& words);
  void on_section(const Args& a);
  bool check_section_name(const Args& a);
  void on_agent(const Args& a, bool negated);
  void on_option(const Args& a, bool negated);
  void on_timeout(const Args& a);
  void on_number(const Args& a);
  void on_log(const Args& a, bool negated);
  void on_list(const Args& a, std::vector<Placeholder>& list, std::string_view kind);
  void on_message(const Args& a);
  void on_acl(const Args& a);
  void on_event(const Args& a);
  void on_group(const Args& a);

  void resolve_messages(SpoeConfig& config);
  void resolve_groups(SpoeConfig& config);
  const SpoeMessage* find_raw_message(std::string_view name) const;
  std::string no_agent_message() const;

  const std::string& file_;
  const SpoeLoadOptions& options_;
  DiagnosticLog& log_;
  SourceLocation where_;
  std::optional<std::string> scope_;
  std::vector<std::string> scopes_seen_;
  bool aborted_ = false;
  Section section_ = Section::none;

  std::optional<SpoeAgent> agent_;
  std::vector<Placeholder> agent_messages_;
  std::vector<Placeholder> agent_groups_;
  std::vector<SpoeMessage> messages_;
  std::vector<RawGroup> groups_;
};

void SpoeReader::on_words(const Args& words) {
  const std::string& first = words[0];
  const bool is_header = first == "spoe-agent" || first == "spoe-message" || first == "spoe-group";
  if (!active()) {
    if (is_header) section_ = Section::skipped;  // the section of another engine (or of none)
    return;
  }
  if (is_header) {
    on_section(words);
    return;
  }
  // "no" and "default" shift the keyword, as in HAProxy; only `option` and `log` accept "no" here.
  const bool negated = first == "no";
  if (first == "default") {
    error("'default' prefix is not supported in SPOE sections");
    return;
  }
  const Args a(words.from(negated ? 1 : 0));
  if (negated && a[0] != "option" && a[0] != "log") {
    error("negation is only supported for 'option' and 'log' in SPOE sections");
    return;
  }
  switch (section_) {
    case Section::none: error("unknown keyword '" + a[0] + "' out of section"); return;
    case Section::skipped: return;
    case Section::agent: on_agent(a, negated); return;
    case Section::message: on_message(a); return;  // neither `option` nor `log` exists there
    case Section::group: on_group(a); return;
  }
}

bool SpoeReader::check_section_name(const Args& a) {
  if (a[1].empty()) {
    abort("missing name for " + a[0] + " section");
    return false;
  }
  if (!a[2].empty()) {
    abort("'" + a[0] + "' cannot handle unexpected argument '" + a[2] + "'");
    return false;
  }
  if (auto bad = invalid_name_char(a[1])) {
    abort(std::string("character '") + *bad + "' is not permitted in '" + a[0] + "' name '" + a[1] + "'");
    return false;
  }
  return true;
}

void SpoeReader::on_section(const Args& a) {
  if (!check_section_name(a)) return;
  section_ = Section::skipped;  // until the header is accepted
  if (a[0] == "spoe-agent") {
    if (agent_) {
      abort("another spoe-agent section previously defined");
      return;
    }
    agent_.emplace();
    agent_->name = a[1];
    agent_->where = where_;
    section_ = Section::agent;
  } else if (a[0] == "spoe-message") {
    if (const SpoeMessage* m = find_raw_message(a[1])) {
      error("spoe-message section '" + a[1] + "' has the same name as another one declared at " +
            to_string(m->where));
      return;
    }
    messages_.push_back({});
    messages_.back().name = a[1];
    messages_.back().where = where_;
    section_ = Section::message;
  } else {
    for (const RawGroup& g : groups_) {
      if (g.name == a[1]) {
        error("spoe-group section '" + a[1] + "' has the same name as another one declared at " +
              to_string(g.where));
        return;
      }
    }
    groups_.push_back({a[1], where_, {}});
    section_ = Section::group;
  }
}

void SpoeReader::on_agent(const Args& a, bool negated) {
  const std::string& kw = a[0];
  if (kw == "use-backend") {
    if (a[1].empty()) return error("'use-backend' expects a backend name");
    if (too_many(a, 1)) return;
    agent_->backend = a[1];
  } else if (kw == "messages") {
    on_list(a, agent_messages_, "spoe-message");
  } else if (kw == "groups") {
    on_list(a, agent_groups_, "spoe-group");
  } else if (kw == "timeout") {
    on_timeout(a);
  } else if (kw == "option") {
    on_option(a, negated);
  } else if (kw == "maxconnrate" || kw == "maxerrrate" || kw == "max-frame-size" || kw == "max-waiting-frames") {
    on_number(a);
  } else if (kw == "register-var-names") {
    if (a[1].empty()) return error("'register-var-names' expects one or more variable names");
    for (std::size_t i = 1; !a[i].empty(); ++i) agent_->registered_vars.push_back(a[i]);
  } else if (kw == "log") {
    on_log(a, negated);
  } else {
    error("unknown keyword '" + kw + "' in spoe-agent section");
  }
}

void SpoeReader::on_list(const Args& a, std::vector<Placeholder>& list, std::string_view kind) {
  for (std::size_t i = 1; !a[i].empty(); ++i) {
    for (const Placeholder& p : list) {
      if (p.name == a[i]) return error(std::string(kind) + " '" + a[i] + "' already used");
    }
    list.push_back({a[i], where_});
  }
}

void SpoeReader::on_timeout(const Args& a) {
  if (a[1].empty()) return error("'timeout' expects 'hello', 'idle' and 'processing'");
  if (too_many(a, 2)) return;
  std::optional<std::chrono::milliseconds>* slot = nullptr;
  if (a[1] == "hello") slot = &agent_->timeout_hello;
  else if (a[1] == "idle") slot = &agent_->timeout_idle;
  else if (a[1] == "processing") slot = &agent_->timeout_processing;
  else return error("'timeout' supports 'hello', 'idle' or 'processing' (got " + a[1] + ")");
  if (a[2].empty()) return error("'timeout " + a[1] + "' expects an integer value (in milliseconds)");

  const ParsedTime t = parse_time(a[2]);
  switch (t.error) {
    case ParsedTime::Error::none: break;
    case ParsedTime::Error::overflow:
      return error("timer overflow in argument <" + a[2] + "> to <timeout " + a[1] +
                   ">, maximum value is 2147483647 ms (~24.8 days)");
    case ParsedTime::Error::empty:
    case ParsedTime::Error::bad_char:
      return error(std::string("unexpected character '") + t.bad + "' in 'timeout " + a[1] + "'");
  }
  if (t.trailing) log_.warning(where_, trailing_time_warning(a[2], t.bad));
  const std::chrono::milliseconds ms = to_timeout_ms(t.value);
  // HAProxy stores 0 as "no timeout", the same as leaving the line out.
  *slot = ms.count() == 0 ? std::nullopt : std::optional(ms);
}

void SpoeReader::on_option(const Args& a, bool negated) {
  const std::string& name = a[1];
  if (name.empty()) return error("'option' expects an option name");
  bool* toggle = nullptr;
  if (name == "pipelining") toggle = &agent_->pipelining;
  else if (name == "async") toggle = &agent_->async;
  else if (name == "send-frag-payload") toggle = &agent_->send_frag_payload;
  else if (name == "dontlog-normal") toggle = &agent_->dontlog_normal;
  if (toggle != nullptr) {
    if (too_many(a, 1)) return;
    *toggle = !negated;
    return;
  }
  if (negated) return error("negation is not supported for option '" + name + "'");

  std::string* var = nullptr;
  if (name == "var-prefix") var = &agent_->var_prefix;
  else if (name == "set-on-error") var = &agent_->var_on_error;
  else if (name == "set-process-time") var = &agent_->var_process_time;
  else if (name == "set-total-time") var = &agent_->var_total_time;
  if (var != nullptr) {
    if (a[2].empty()) return error("'option " + name + "' expects a value");
    if (too_many(a, 2)) return;
    if (!is_var_name(a[2])) return error("'option " + name + "' only supports [a-zA-Z0-9_.] chars");
    *var = a[2];
    return;
  }
  if (name == "force-set-var" || name == "continue-on-error") {
    if (too_many(a, 1)) return;
    (name == "force-set-var" ? agent_->force_set_var : agent_->continue_on_error) = true;
    return;
  }
  error("option '" + name + "' is not supported");
}

void SpoeReader::on_number(const Args& a) {
  const std::string& kw = a[0];
  if (a[1].empty()) return error("'" + kw + "' expects an integer argument");
  if (too_many(a, 1)) return;
  std::uint32_t v = 0;
  const bool ok = parse_u32(a[1], v);
  if (kw == "max-frame-size") {
    if (!ok || v < spop::min_max_frame_size || v > spop::default_max_frame_size) {
      return error("'max-frame-size' expects a positive integer argument in the range [" +
                   std::to_string(spop::min_max_frame_size) + ", " + std::to_string(spop::default_max_frame_size) +
                   "]");
    }
    agent_->max_frame_size = v;
  } else if (kw == "max-waiting-frames") {
    if (!ok || v < 1) return error("'max-waiting-frames' expects a positive integer argument");
    agent_->max_waiting_frames = v;
  } else {
    // HAProxy reads these with atol() and takes garbage as 0; spop-sim refuses it instead.
    if (!ok) return error("'" + kw + "' expects an integer argument");
    (kw == "maxconnrate" ? agent_->max_conn_rate : agent_->max_err_rate) = v;
  }
}

void SpoeReader::on_log(const Args& a, bool negated) {
  if (negated) {
    agent_->logs.clear();
    return;
  }
  if (a[1] != "global" && a[2].empty())
    return error("log : expects <address> and <facility> or global as arguments");
  agent_->logs.push_back(join_words(a.from(1)));
}

void SpoeReader::on_message(const Args& a) {
  const std::string& kw = a[0];
  if (kw == "args") {
    for (std::size_t i = 1; !a[i].empty(); ++i) {
      std::string err;
      std::optional<SampleArg> arg = parse_sample_arg(a[i], err);
      if (!arg) return error("'args': " + err);
      messages_.back().args.push_back(std::move(*arg));
    }
  } else if (kw == "acl") {
    on_acl(a);
  } else if (kw == "event") {
    on_event(a);
  } else {
    // HAProxy 2.6 silently ignores unknown keywords here (an inverted test); spop-sim reports them.
    error("unknown keyword '" + kw + "' in spoe-message section");
  }
}

void SpoeReader::on_acl(const Args& a) {
  if (auto bad = invalid_name_char(a[1]))
    return error(std::string("character '") + *bad + "' is not permitted in acl name '" + a[1] + "'");
  if (iequals(a[1], "or"))
    return error("acl name '" + a[1] +
                 "' will never match. 'or' is used to express a logical disjunction within a condition");
  if (a[2].empty())
    return error("error detected while parsing ACL '" + a[1] + "' : missing fetch method in ACL expression ''");
  messages_.back().acls.push_back(join_words(a.from(1)));
}

void SpoeReader::on_event(const Args& a) {
  if (a[1].empty()) return error("missing event name");
  const std::optional<Event> event = parse_event(a[1]);
  if (!event) return error("unknown event '" + a[1] + "'");
  std::string condition;
  if (a[2] == "if" || a[2] == "unless") {
    condition = join_words(a.from(2));
  } else if (!a[2].empty()) {
    return error("'event " + a[1] + "' expects either 'if' or 'unless' followed by a condition but found '" +
                 a[2] + "'");
  }
  messages_.back().event = event;
  messages_.back().condition = std::move(condition);
}

void SpoeReader::on_group(const Args& a) {
  if (a[0] != "messages") return error("unknown keyword '" + a[0] + "' in spoe-group section");
  on_list(a, groups_.back().members, "spoe-message");
}

const SpoeMessage* SpoeReader::find_raw_message(std::string_view name) const {
  for (const SpoeMessage& m : messages_)
    if (m.name == name) return &m;
  return nullptr;
}

std::string SpoeReader::no_agent_message() const {
  std::string s = "No SPOE agent found in file " + file_;
  if (options_.engine) {
    bool has_scope = false;
    for (const std::string& sc : scopes_seen_) has_scope = has_scope || sc == *options_.engine;
    if (!has_scope)
      s += " (engine '" + *options_.engine + "' reads only the [" + *options_.engine + "] scope, which the file lacks)";
  } else if (!scopes_seen_.empty()) {
    s += " (without an engine name only lines outside scopes are read; this file has scope [" +
         scopes_seen_.front() + "]: use 'filter spoe engine " + scopes_seen_.front() + " config ...')";
  }
  return s;
}

SpoeConfig SpoeReader::resolve() {
  SpoeConfig config;
  if (!agent_) {
    log_.error({file_, 0}, no_agent_message());
    return config;
  }
  SpoeAgent& agent = *agent_;
  if (agent.backend.empty()) log_.error(agent.where, "No backend declared for SPOE agent '" + agent.name + "'");
  if (!agent.timeout_hello || !agent.timeout_idle || !agent.timeout_processing) {
    log_.warning(agent.where, "missing timeouts for SPOE agent '" + agent.name +
                                  "': set all of 'hello', 'idle' and 'processing' to non-zero values");
  }
  if (agent.var_prefix.empty()) {
    if (!is_var_name(agent.name)) {
      log_.error(agent.where, "Invalid variable prefix '" + agent.name + "' for SPOE agent '" + agent.name +
                                  "'. Use 'option var-prefix' to set it. Only [a-zA-Z0-9_.] chars are supported");
    }
    agent.var_prefix = agent.name;
  }
  if (agent_messages_.empty() && agent_groups_.empty())
    log_.warning(agent.where, "No message/group used by SPOE agent '" + agent.name + "'");

  if (!options_.engine && !scopes_seen_.empty()) {
    // HAProxy accepts this silently; it is almost always a forgotten `engine` on the filter line.
    std::string list;
    for (const std::string& sc : scopes_seen_)
      if (list.find("[" + sc + "]") == std::string::npos) list += (list.empty() ? "[" : ", [") + sc + "]";
    log_.warning({file_, 0}, "scope " + list + " ignored: without an engine name only lines outside scopes are read");
  }
  config.engine_id = options_.engine.value_or(agent.name);
  config.agent = agent;
  resolve_messages(config);
  resolve_groups(config);
  return config;
}

void SpoeReader::resolve_messages(SpoeConfig& config) {
  for (const Placeholder& p : agent_messages_) {
    const SpoeMessage* raw = find_raw_message(p.name);
    if (raw == nullptr) {
      log_.error(p.where, "SPOE agent '" + agent_->name + "' try to use undefined SPOE message '" + p.name + "'");
      continue;
    }
    SpoeMessage m = *raw;
    if (m.event && options_.proxy == ProxyKind::listen) {
      // A listen section is its own backend: HAProxy runs backend request events as frontend ones.
      if (*m.event == Event::on_backend_tcp_request) m.event = Event::on_frontend_tcp_request;
      if (*m.event == Event::on_backend_http_request) m.event = Event::on_frontend_http_request;
    }
    if (m.event && options_.proxy == ProxyKind::backend && is_frontend_event(*m.event)) {
      log_.warning(m.where, "frontend event used on a backend proxy: SPOE message '" + m.name + "' ignored");
      continue;
    }
    if (!m.event) {
      log_.warning(m.where, "Ignore SPOE message '" + m.name + "' without event");
      continue;
    }
    bool usable = true;
    for (const SampleArg& arg : m.args) {
      if (!available_at(arg.expr.fetch, *m.event)) {
        log_.error(m.where, "SPOE message '" + m.name + "': fetch '" + std::string(keyword(arg.expr.fetch)) +
                                "' is not available at event '" + std::string(to_string(*m.event)) + "'");
        usable = false;
      }
    }
    if (usable) config.messages.push_back(std::move(m));
  }
}

void SpoeReader::resolve_groups(SpoeConfig& config) {
  std::map<std::string, const RawGroup*, std::less<>> owner;  // message name -> its group
  for (const Placeholder& p : agent_groups_) {
    const RawGroup* raw = nullptr;
    for (const RawGroup& g : groups_)
      if (g.name == p.name) raw = &g;
    if (raw == nullptr) {
      log_.error(p.where, "SPOE agent '" + agent_->name + "' try to use undefined SPOE group '" + p.name + "'");
      continue;
    }
    SpoeGroup group{raw->name, raw->where, {}};
    for (const Placeholder& member : raw->members) {
      const SpoeMessage* m = find_raw_message(member.name);
      if (m == nullptr) {
        log_.error(member.where, "SPOE group '" + raw->name + "' try to use undefined SPOE message '" +
                                     member.name + "'");
        continue;
      }
      if (auto it = owner.find(member.name); it != owner.end()) {
        log_.error(member.where, "SPOE message '" + member.name + "' already belongs to the SPOE group '" +
                                     it->second->name + "' declared at " + to_string(it->second->where));
        continue;
      }
      owner.emplace(member.name, raw);
      group.messages.push_back(*m);
    }
    config.groups.push_back(std::move(group));
  }
}

}  // namespace

std::vector<const SpoeMessage*> SpoeConfig::messages_for(Event event) const {
  std::vector<const SpoeMessage*> out;
  for (const SpoeMessage& m : messages)
    if (m.event == event) out.push_back(&m);
  return out;
}

const SpoeMessage* SpoeConfig::find_message(std::string_view name) const {
  for (const SpoeMessage& m : messages)
    if (m.name == name) return &m;
  return nullptr;
}

const SpoeGroup* SpoeConfig::find_group(std::string_view name) const {
  for (const SpoeGroup& g : groups)
    if (g.name == name) return &g;
  return nullptr;
}

SpoeConfig parse_spoe_config(std::string_view text, const std::string& file_name, const SpoeLoadOptions& options) {
  DiagnosticLog log;
  const std::vector<ConfigLine> lines = tokenize_config(text, file_name, log, options.env);
  SpoeReader reader(file_name, options, log);
  reader.read(lines);
  // Like HAProxy, a file with line errors is not resolved: the follow-up errors would only be noise.
  log.throw_if_errors();
  SpoeConfig config = reader.resolve();
  log.throw_if_errors();
  config.warnings = log.warnings();
  return config;
}

SpoeConfig load_spoe_config(const std::filesystem::path& file, const SpoeLoadOptions& options) {
  return parse_spoe_config(read_config_file(file), file.string(), options);
}

std::vector<EvaluatedMessage> evaluate_event(const SpoeConfig& config, Event event, const Request& request) {
  std::vector<EvaluatedMessage> out;
  for (const SpoeMessage* m : config.messages_for(event))
    out.emplace_back(m->name, m->args, request, direction_of(event));
  return out;
}

}  // namespace spop::sim
