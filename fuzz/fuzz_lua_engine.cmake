# The Lua engine and the script the target runs (fuzz/scripts/fuzz_engine.lua).
target_link_libraries(fuzz_lua_engine PRIVATE spoa_engine_lua)
target_compile_definitions(fuzz_lua_engine PRIVATE SPOP_FUZZ_SCRIPT_DIR="${CMAKE_CURRENT_SOURCE_DIR}/scripts")
