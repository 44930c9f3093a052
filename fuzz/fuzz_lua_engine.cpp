// Fuzz target: NOTIFYs with random arguments through the real Lua engine (see engine_harness.hpp).
#include "agent/engines/lua/lua_engine.hpp"
#include "fuzz/engine_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One engine per process, as in a worker; each call is isolated by the engine itself.
  static fuzz::EngineHarness harness(spoa::make_lua_engine({}), SPOP_FUZZ_SCRIPT_DIR "/fuzz_engine.lua");
  harness.run(data, size);
  return 0;
}
