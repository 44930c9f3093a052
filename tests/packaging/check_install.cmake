# Runs `cmake --install BUILD_DIR --prefix PREFIX` and checks the result. Fails with a message naming
# the first missing file. (That the man pages document every option of --help is docs.man_pages.)
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}\n${err}")
endif()

set(expected
  bin/spoa
  lib/systemd/system/spoa.service
  lib/systemd/system/spoa.socket
  share/man/man1/spoa.1
  share/man/man1/spop-cli.1
  share/man/man1/spop-sim.1
  share/doc/spop-toolkit/README.md
  share/doc/spop-toolkit/CONTRIBUTING.md
  share/doc/spop-toolkit/docs/agent.md
  share/doc/spop-toolkit/docs/haproxy.md
  share/doc/spop-toolkit/simulator/scenario.md
  share/spop-toolkit/examples/ps_lua.lua
  share/spop-toolkit/examples/ps_python.py
  share/spop-toolkit/examples/spoa.yaml
  share/spop-toolkit/examples/haproxy-ps.cfg)
if(EXPECT_CLI)
  list(APPEND expected bin/spop-cli)
endif()
if(EXPECT_SIM)
  list(APPEND expected bin/spop-sim)
endif()
foreach(f IN LISTS expected)
  if(NOT EXISTS "${PREFIX}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

# The unit runs the installed binary with the file docs/operations.md documents.
file(READ "${PREFIX}/lib/systemd/system/spoa.service" unit)
if(NOT unit MATCHES "ExecStart=${PREFIX}/bin/spoa --config /etc/spoa/spoa.yaml" OR NOT unit MATCHES "Type=notify")
  message(FATAL_ERROR "spoa.service does not start ${PREFIX}/bin/spoa as Type=notify:\n${unit}")
endif()

message(STATUS "install tree OK")
