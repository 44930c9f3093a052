// PythonEngineTest fixture (see python_test_support.hpp).
#include "tests/python/python_test_support.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <unistd.h>

#include "spop/ack_builder.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {

const char* const prelude = R"PY(
import spoa

def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return str(e)
    raise AssertionError('%s%r did not raise %s' % (fn.__name__, args, exc.__name__))
)PY";

void PythonEngineTest::SetUp() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info->name();  // "AppendsTheExactAction/null" for parameterised tests
  std::replace(name.begin(), name.end(), '/', '_');
  dir_ = std::filesystem::temp_directory_path() /
         ("spoa-python-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  options_.call_budget = std::chrono::milliseconds(10000);  // only the budget tests use a short one
  options_.log = [logs = logs_](LogLevel level, std::string_view text) { logs->emplace_back(level, std::string(text)); };
}

void PythonEngineTest::TearDown() {
  engine_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::filesystem::path PythonEngineTest::write(const std::string& name, std::string_view text) {
  const std::filesystem::path path = dir_ / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return path;
}

Engine& PythonEngineTest::engine() {
  if (!engine_) engine_ = make_python_engine(options_);
  return *engine_;
}

void PythonEngineTest::load_script(std::string_view text, const std::string& name) {
  const auto path = write(name, text);
  try {
    engine().load(path);
  } catch (const LoadError& e) {
    FAIL() << "load failed: " << e.what();
  }
}

PythonEngineTest::Outcome PythonEngineTest::call(std::string_view message, const std::vector<spop::Argument>& args,
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

}  // namespace spoa::test
