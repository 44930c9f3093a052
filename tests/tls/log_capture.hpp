// Captures what the agent's code logs through spdlog, line by line, for the tests to read: installs a
// logger at `level` for the lifetime of the object, then restores the previous default logger.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace spoa::tls::test {

class LineSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.push_back(std::string(spdlog::level::to_string_view(msg.level).data()) + ": " +
                     std::string(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

class LogCapture {
 public:
  explicit LogCapture(spdlog::level::level_enum level = spdlog::level::debug)
      : sink_(std::make_shared<LineSink>()), previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(level);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() { return sink_->lines(); }
  /// Lines that contain `text`.
  std::vector<std::string> matching(const std::string& text) {
    std::vector<std::string> out;
    for (auto& l : lines())
      if (l.find(text) != std::string::npos) out.push_back(l);
    return out;
  }

 private:
  std::shared_ptr<LineSink> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace spoa::tls::test
