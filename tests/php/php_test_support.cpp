// PhpEngineTest fixture (see php_test_support.hpp).
#include "tests/php/php_test_support.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <unistd.h>

#include "spop/ack_builder.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {

const char* const prelude = R"PHP(<?php
function check(bool $condition, string $what): void {
    if (!$condition) throw new AssertionError($what);
}
function raises(string $class, callable $fn, ...$args): string {
    try {
        $fn(...$args);
    } catch (Throwable $e) {
        if ($e instanceof $class) return $e->getMessage();
        throw new AssertionError("expected $class, got " . get_class($e) . ': ' . $e->getMessage());
    }
    throw new AssertionError("did not raise $class");
}
)PHP";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

int line_of(std::string_view script, std::string_view needle) {
  const std::size_t at = script.find(needle);
  if (at == std::string_view::npos) return 0;
  return 1 + static_cast<int>(std::count(script.begin(), script.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

void PhpEngineTest::SetUp() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info->name();  // "AppendsTheExactAction/null" for parameterised tests
  std::replace(name.begin(), name.end(), '/', '_');
  dir_ = std::filesystem::temp_directory_path() /
         ("spoa-php-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  options_.call_budget = std::chrono::milliseconds(10000);  // only the budget tests use a short one
  options_.log = [logs = logs_](LogLevel level, std::string_view text) { logs->emplace_back(level, std::string(text)); };
}

void PhpEngineTest::TearDown() {
  engine_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::filesystem::path PhpEngineTest::write(const std::string& name, std::string_view text) {
  const std::filesystem::path path = dir_ / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return path;
}

Engine& PhpEngineTest::engine() {
  if (!engine_) engine_ = make_php_engine(options_);
  return *engine_;
}

void PhpEngineTest::load_script(std::string_view text, const std::string& name) {
  const std::string error = load_error(text, name);
  if (!error.empty()) FAIL() << "load failed: " << error;
}

std::string PhpEngineTest::load_error(std::string_view text, const std::string& name) {
  const auto path = write(name, text);
  try {
    engine().load(path);
  } catch (const LoadError& e) {
    return e.what();
  }
  return {};
}

PhpEngineTest::Outcome PhpEngineTest::call(std::string_view message, const std::vector<spop::Argument>& args,
                                           std::uint32_t max_frame_size) {
  std::vector<std::byte> frame;
  spop::AckBuilder builder(frame, 1, 1, max_frame_size);
  const CallInfo info{message, 1, 1};
  Outcome out;
  out.result = engine().call(info, args, builder);
  out.actions = builder.action_count();
  builder.finish();
  out.ack = spop::test::to_hex(frame);
  return out;
}

bool PhpEngineTest::logged(LogLevel level, const std::vector<std::string>& parts) const {
  return std::any_of(logs_->begin(), logs_->end(), [&](const auto& record) {
    return record.first == level &&
           std::all_of(parts.begin(), parts.end(), [&](const std::string& p) { return contains(record.second, p); });
  });
}

}  // namespace spoa::test
