// Fuzz target: NOTIFYs with random arguments through the real Python engine (see engine_harness.hpp).
// Under ASan run it with PYTHONMALLOC=malloc (see tests/python/CMakeLists.txt).
#include "agent/engines/python/python_engine.hpp"
#include "fuzz/engine_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One interpreter per process, as in a worker.
  static fuzz::EngineHarness harness(spoa::make_python_engine({}), SPOP_FUZZ_SCRIPT_DIR "/fuzz_engine.py");
  harness.run(data, size);
  return 0;
}
