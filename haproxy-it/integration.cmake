# Integration tests against a real haproxy: one ctest per case, label `integration`, run with
#   ctest -L integration            (from the build directory, after building spoa)
# Each case is `<module>.py <case>`; the harness (harness.py) starts spoa and haproxy on free loopback
# ports in a temporary directory and stops them at the end, once per haproxy binary: HAPROXY_BINS or
# HAPROXY_BIN (cache variables, see CMakeLists.txt) if set, else $HAPROXY_BINS or $HAPROXY_BIN at test
# time, else `haproxy` on PATH. The output names the version of each run; a binary that is not there is
# reported and the others still run.
if(NOT TARGET spoa)
  message(STATUS "haproxy-it: no spoa target, integration tests not registered")
  return()
endif()

if(EXISTS /usr/bin/python3)
  set(_it_python_default /usr/bin/python3)
else()
  find_program(_it_python_default python3)
endif()
set(SPOP_IT_PYTHON "${_it_python_default}" CACHE FILEPATH
    "Python 3 interpreter for the integration tests (standard library only)")

# module -> cases (a case name is also its ctest name, prefixed with "haproxy-it.")
set(_it_cases
  "test_standard:standard-lua,standard-python,standard-php"
  "test_types:types-lua,types-python,types-php"
  "test_limits:limits-lua,limits-python,limits-php,limits-full-frame"
  "test_healthcheck:healthcheck"
  "test_reuse:reuse,reuse-legacy-tcp"
  "test_concurrency:concurrency-lua,concurrency-python"
  "test_tools:tools"
  "test_record:record-replay"
  "test_tls:tls-mtls,tls-refused"
  "test_slow_io:slow-io-python,slow-io-lua"
  "test_async:async-redis-python"
  "test_waiting:redis-reputation-lua"
  "test_faults:faults-error-lua,faults-error-python,faults-error-php,faults-timeout,faults-budget-lua,faults-budget-python,faults-budget-php,faults-restart,faults-reload,faults-reload-noasync"
)

set(_it_haproxy_args)
if(HAPROXY_BINS)
  set(_it_haproxy_args --haproxy "${HAPROXY_BINS}")
elseif(HAPROXY_BIN)
  set(_it_haproxy_args --haproxy "${HAPROXY_BIN}")
endif()

foreach(entry IN LISTS _it_cases)
  string(REPLACE ":" ";" _parts "${entry}")
  list(GET _parts 0 _module)
  list(GET _parts 1 _names)
  string(REPLACE "," ";" _names "${_names}")
  foreach(_case IN LISTS _names)
    add_test(NAME haproxy-it.${_case}
             COMMAND "${SPOP_IT_PYTHON}" -B "${CMAKE_CURRENT_LIST_DIR}/${_module}.py" ${_case}
                     --spoa "$<TARGET_FILE:spoa>" ${_it_haproxy_args}
             WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
    # 77: no haproxy binary found (reported as skipped, not failed). The timeout is a hang guard for
    # a few binaries in a row (a case takes seconds on each).
    set_tests_properties(haproxy-it.${_case} PROPERTIES
      LABELS integration TIMEOUT 300 SKIP_RETURN_CODE 77)
    if(_case MATCHES "^(tools|record-replay)$" AND TARGET spop-cli AND TARGET spop-sim)
      # The tools under test: spop-cli and spop-sim, against the harness's agent.
      set_tests_properties(haproxy-it.${_case} PROPERTIES ENVIRONMENT
        "SPOP_CLI_BIN=$<TARGET_FILE:spop-cli>;SPOP_SIM_BIN=$<TARGET_FILE:spop-sim>")
    endif()
    if(_case MATCHES "^(concurrency|slow-io|async-redis|redis-reputation)")
      set_tests_properties(haproxy-it.${_case} PROPERTIES PROCESSORS 2)
    endif()
  endforeach()
endforeach()

# The harness's own logic (which binaries, in which order, a missing one, the exit status): stub
# haproxy scripts, no real one, so it runs everywhere in milliseconds.
add_test(NAME haproxy-it.harness COMMAND "${SPOP_IT_PYTHON}" -B "${CMAKE_CURRENT_LIST_DIR}/harness_test.py"
         WORKING_DIRECTORY "${CMAKE_CURRENT_LIST_DIR}")
set_tests_properties(haproxy-it.harness PROPERTIES LABELS unit TIMEOUT 60)
