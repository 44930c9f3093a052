# The Python engine and the script the target runs (fuzz/scripts/fuzz_engine.py). The replay test
# needs PYTHONMALLOC=malloc under LeakSanitizer (see tests/python/CMakeLists.txt).
target_link_libraries(fuzz_python_engine PRIVATE spoa_engine_python)
target_compile_definitions(fuzz_python_engine PRIVATE SPOP_FUZZ_SCRIPT_DIR="${CMAKE_CURRENT_SOURCE_DIR}/scripts")
set(SPOP_FUZZ_TEST_ENV "PYTHONMALLOC=malloc")
