// bench_engines: the cost of one handler call through the Engine interface, without any network: an
// empty handler with the standard example's five arguments (the engine's own overhead), and the
// standard example's handler without printing (bench/scripts/standard_noprint.*: eleven SET-VARs), and the
// same eleven calls made to a C function that does nothing (the floor under any binding of the setters).
// The CPU column is what counts on a shared machine.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "agent/engines/engine.hpp"
#include "spop/ack_builder.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path& temp_dir() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "bench-engines-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    std::atexit([] { std::error_code ec; fs::remove_all(temp_dir(), ec); });
    return fs::path(tmpl);
  }();
  return dir;
}

fs::path write(const std::string& name, const std::string& text) {
  fs::path p = temp_dir() / name;
  std::ofstream(p) << text;
  return p;
}

// One engine per script for the whole run (Python has one interpreter per process anyway).
spoa::Engine* engine_for(const fs::path& script) {
  static std::vector<std::unique_ptr<spoa::Engine>> engines;
  spoa::EngineOptions options;  // default call budget: the time check is part of the cost
  if (std::getenv("BENCH_NO_BUDGET") != nullptr) options.call_budget = std::chrono::milliseconds(0);
  auto engine = spoa::make_engine_for(script, options);
  if (!engine) return nullptr;
  engine->load(script);
  engines.push_back(std::move(engine));
  return engines.back().get();
}

// What HAProxy sends with the standard example's spoe-ps.conf: always_true int(1234) src ipv6(::55)
// req.fhdr(host).
const std::vector<spop::Argument>& standard_args() {
  static const std::vector<spop::Argument> args = {
      {"", spop::Value::boolean(true)},
      {"", spop::Value::int32(1234)},
      {"", spop::Value::ipv4(spop::Ipv4Address{{192, 0, 2, 10}})},
      {"", spop::Value::ipv6(spop::Ipv6Address{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x55}})},
      {"", spop::Value::string("127.0.0.1:10001")},
  };
  return args;
}

void run_calls(benchmark::State& state, spoa::Engine* engine) {
  if (engine == nullptr) {
    state.SkipWithError("engine not built");
    return;
  }
  std::vector<std::byte> frame;
  frame.reserve(1024);
  const spoa::CallInfo info{"check-client-ip", 1, 1};
  for (auto _ : state) {
    frame.clear();
    spop::AckBuilder ack(frame, 1, 1, spop::default_max_frame_size);
    if (!engine->call(info, standard_args(), ack).ok()) {
      state.SkipWithError("handler failed");
      return;
    }
    ack.finish();
    benchmark::DoNotOptimize(frame.data());
  }
  state.counters["ack_bytes"] = static_cast<double>(frame.size());
}

void BM_LuaEmptyHandler5Args(benchmark::State& state) {
  static spoa::Engine* engine = engine_for(write("empty.lua", R"(
spoa.register_message("check-client-ip", function(args) end)
)"));
  run_calls(state, engine);
}
BENCHMARK(BM_LuaEmptyHandler5Args);

void BM_LuaStandardHandler(benchmark::State& state) {
  static spoa::Engine* engine = engine_for(fs::path(SPOP_SOURCE_DIR) / "bench/scripts/standard_noprint.lua");
  run_calls(state, engine);
}
BENCHMARK(BM_LuaStandardHandler);

// The floor under any binding of the setters: the standard handler's eleven calls to a C function that
// does nothing (bench/scripts/noop_calls.lua).
void BM_LuaElevenNoopCalls(benchmark::State& state) {
  static spoa::Engine* engine = engine_for(fs::path(SPOP_SOURCE_DIR) / "bench/scripts/noop_calls.lua");
  run_calls(state, engine);
}
BENCHMARK(BM_LuaElevenNoopCalls);

void BM_PythonEmptyHandler5Args(benchmark::State& state) {
  static spoa::Engine* engine = engine_for(write("empty.py", R"(
import spoa
def check(args):
    pass
spoa.register_message("check-client-ip", check)
)"));
  run_calls(state, engine);
}
BENCHMARK(BM_PythonEmptyHandler5Args);

void BM_PythonStandardHandler(benchmark::State& state) {
  static spoa::Engine* engine = engine_for(fs::path(SPOP_SOURCE_DIR) / "bench/scripts/standard_noprint.py");
  run_calls(state, engine);
}
BENCHMARK(BM_PythonStandardHandler);

}  // namespace

BENCHMARK_MAIN();
