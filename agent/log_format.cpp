// Record rendering with spdlog's pattern formatter (two custom flags), nlohmann::json for JSON lines.
#include "agent/log_format.hpp"

#include <syslog.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>

#include <chrono>
#include <iterator>

namespace spoa {

namespace {

void append(spdlog::memory_buf_t& dest, std::string_view text) { dest.append(text.data(), text.data() + text.size()); }

// %W: "w2 4242"
class WorkerFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    fmt::format_to(std::back_inserter(dest), "{} {}", log_worker_name(), log_worker_pid());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<WorkerFlag>(); }
};

// %k: "c17 s300/f1 check-ip: ", "c17: " or nothing.
class ContextFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    const LogContext& c = current_log_context();
    if (c.connection == 0 && !c.has_ids && c.message.empty()) return;
    auto out = std::back_inserter(dest);
    const char* sep = "";
    if (c.connection != 0) {
      fmt::format_to(out, "c{}", c.connection);
      sep = " ";
    }
    if (c.has_ids) {
      fmt::format_to(out, "{}s{}/f{}", sep, c.stream, c.frame);
      sep = " ";
    }
    if (!c.message.empty()) fmt::format_to(out, "{}{}", sep, c.message);
    append(dest, ": ");
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<ContextFlag>(); }
};

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    auto since = msg.time.time_since_epoch();
    auto ms = duration_cast<milliseconds>(since).count() % 1000;
    auto secs = time_point_cast<seconds>(msg.time);
    // nlohmann::json keeps insertion order only with ordered_json: readers see time and level first.
    nlohmann::ordered_json j;
    j["time"] = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(system_clock::to_time_t(secs)), ms);
    auto level = spdlog::level::to_string_view(msg.level);
    j["level"] = std::string_view(level.data(), level.size());
    j["worker"] = log_worker_name();
    j["pid"] = log_worker_pid();
    const LogContext& c = current_log_context();
    if (c.connection != 0) j["conn"] = c.connection;
    if (c.has_ids) {
      j["stream"] = c.stream;
      j["frame"] = c.frame;
    }
    if (!c.message.empty()) j["spop_message"] = c.message;
    j["message"] = std::string_view(msg.payload.data(), msg.payload.size());
    // Script output may hold any bytes: invalid UTF-8 becomes U+FFFD instead of an exception.
    append(dest, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    append(dest, "\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_text_formatter(bool with_time) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<WorkerFlag>('W').add_flag<ContextFlag>('k');
  f->set_pattern(with_time ? "%Y-%m-%d %H:%M:%S.%e [%l] [%W] %k%v" : "[%W] %k%v");
  return f;
}

std::unique_ptr<spdlog::formatter> make_json_formatter() { return std::make_unique<JsonFormatter>(); }

int syslog_severity(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return LOG_DEBUG;
    case spdlog::level::info: return LOG_INFO;
    case spdlog::level::warn: return LOG_WARNING;
    case spdlog::level::err: return LOG_ERR;
    case spdlog::level::critical: return LOG_CRIT;
    default: return LOG_INFO;
  }
}

std::vector<std::string> journal_fields(spdlog::level::level_enum level, std::string_view text,
                                        const LogContext& context) {
  std::vector<std::string> fields;
  fields.push_back(fmt::format("MESSAGE={}", text));
  fields.push_back(fmt::format("PRIORITY={}", syslog_severity(level)));
  fields.push_back("SYSLOG_IDENTIFIER=spoa");
  fields.push_back(fmt::format("SPOA_WORKER={}", log_worker_name()));
  fields.push_back(fmt::format("SPOA_PID={}", log_worker_pid()));
  if (context.connection != 0) fields.push_back(fmt::format("SPOA_CONN={}", context.connection));
  if (context.has_ids) {
    fields.push_back(fmt::format("SPOA_STREAM={}", context.stream));
    fields.push_back(fmt::format("SPOA_FRAME={}", context.frame));
  }
  if (!context.message.empty()) fields.push_back(fmt::format("SPOA_MESSAGE={}", context.message));
  return fields;
}

}  // namespace spoa
