// EngineFixture (see engine_fixture.hpp).
#include "tests/support/engine_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <unistd.h>

#include "spop/ack_builder.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/text.hpp"

namespace spoa::test {

EngineFixture::EngineFixture(std::string language, std::string script_name, EngineFactory factory)
    : language_(std::move(language)), script_name_(std::move(script_name)), factory_(factory) {}

void EngineFixture::SetUp() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info->name();  // "AppendsTheExactAction/null" for parameterised tests
  std::replace(name.begin(), name.end(), '/', '_');
  dir_ = std::filesystem::temp_directory_path() /
         ("spoa-" + language_ + "-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  options_.call_budget = std::chrono::milliseconds(10000);  // only the budget tests use a short one
  options_.log = [logs = logs_](LogLevel level, std::string_view text) { logs->emplace_back(level, std::string(text)); };
}

void EngineFixture::TearDown() {
  engine_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::filesystem::path EngineFixture::write(const std::string& name, std::string_view text) {
  const std::filesystem::path path = dir_ / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return path;
}

Engine& EngineFixture::engine() {
  if (!engine_) engine_ = factory_(options_);
  return *engine_;
}

void EngineFixture::load_script(std::string_view text, const std::string& name) {
  const std::string error = load_error(text, name);
  if (!error.empty()) FAIL() << "load failed: " << error;
}

std::string EngineFixture::load_error(std::string_view text, const std::string& name) {
  const auto path = write(name, text);
  try {
    engine().load(path);
  } catch (const LoadError& e) {
    return e.what();
  }
  return {};
}

EngineFixture::Outcome EngineFixture::call(std::string_view message, const std::vector<spop::Argument>& args,
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

bool EngineFixture::logged(LogLevel level, const std::vector<std::string>& parts) const {
  return std::any_of(logs_->begin(), logs_->end(), [&](const auto& record) {
    return record.first == level && std::all_of(parts.begin(), parts.end(), [&](const std::string& p) {
             return spop::test::contains(record.second, p);
           });
  });
}

}  // namespace spoa::test
