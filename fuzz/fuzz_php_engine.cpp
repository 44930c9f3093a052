// Fuzz target: NOTIFYs with random arguments through the real PHP engine (see engine_harness.hpp).
// Under ASan run it with PHP_INI_SCAN_DIR= (see tests/php/CMakeLists.txt).
#include "agent/engines/php/php_engine.hpp"
#include "fuzz/engine_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One PHP runtime per process, as in a worker.
  static fuzz::EngineHarness harness(spoa::make_php_engine({}), SPOP_FUZZ_SCRIPT_DIR "/fuzz_engine.php");
  harness.run(data, size);
  return 0;
}
