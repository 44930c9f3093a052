# The PHP engine and the script the target runs (fuzz/scripts/fuzz_engine.php). Under the sanitizers
# the replay tests leave out Debian's conf.d extensions (see tests/php/CMakeLists.txt).
target_link_libraries(fuzz_php_engine PRIVATE spoa_engine_php)
target_compile_definitions(fuzz_php_engine PRIVATE SPOP_FUZZ_SCRIPT_DIR="${CMAKE_CURRENT_SOURCE_DIR}/scripts")
if(CMAKE_CXX_FLAGS MATCHES "sanitize=address")
  set(SPOP_FUZZ_TEST_ENV "PHP_INI_SCAN_DIR=")
endif()
