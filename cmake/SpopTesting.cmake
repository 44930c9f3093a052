# spop_add_gtest(<name> SOURCES ... [LIBS ...] [LABELS ...]): one GoogleTest binary, its tests discovered
# into ctest with the given labels (default: unit).
include(GoogleTest)
find_package(GTest REQUIRED)

function(spop_add_gtest name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS;ENVIRONMENT" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main spop_warnings)
  target_compile_definitions(${name} PRIVATE
    SPOP_SOURCE_DIR="${SPOP_SOURCE_ROOT}"
    SPOP_BINARY_DIR="${CMAKE_BINARY_DIR}")
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${T_ENVIRONMENT}"
    DISCOVERY_TIMEOUT 120)
endfunction()

# spop_add_test_library(<name> SOURCES ... [LIBS ...]): helper code that several test binaries share,
# compiled once.
function(spop_add_test_library name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} STATIC ${T_SOURCES})
  target_include_directories(${name} PUBLIC "${SPOP_SOURCE_ROOT}")
  target_link_libraries(${name} PUBLIC ${T_LIBS} GTest::gtest GTest::gmock PRIVATE spop_warnings)
  target_compile_definitions(${name} PRIVATE
    SPOP_SOURCE_DIR="${SPOP_SOURCE_ROOT}"
    SPOP_BINARY_DIR="${CMAKE_BINARY_DIR}")
endfunction()
