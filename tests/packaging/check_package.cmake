# Builds the Debian package (cpack -G DEB, as docs/operations.md says) into OUT and checks that it holds
# the programs, the man pages, the systemd units and the documentation. Fails naming the first missing
# file.
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND cpack -G DEB --config "${BUILD_DIR}/CPackConfig.cmake" -B "${OUT}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cpack -G DEB failed (${rc}):\n${out}\n${err}")
endif()
file(GLOB debs "${OUT}/*.deb")
list(LENGTH debs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one .deb in ${OUT}, found ${n}: ${debs}")
endif()
execute_process(COMMAND dpkg-deb --contents ${debs} RESULT_VARIABLE rc OUTPUT_VARIABLE listing ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dpkg-deb --contents failed (${rc}): ${err}")
endif()
set(expected
  ./usr/bin/spoa
  ./usr/lib/systemd/system/spoa.service
  ./usr/lib/systemd/system/spoa.socket
  ./usr/share/man/man1/spoa.1
  ./usr/share/doc/spop-toolkit/README.md
  ./usr/share/doc/spop-toolkit/docs/operations.md
  ./usr/share/spop-toolkit/examples/spoa.yaml)
if(EXPECT_CLI)
  list(APPEND expected ./usr/bin/spop-cli ./usr/share/man/man1/spop-cli.1)
endif()
if(EXPECT_SIM)
  list(APPEND expected ./usr/bin/spop-sim ./usr/share/man/man1/spop-sim.1)
endif()
foreach(f IN LISTS expected)
  string(FIND "${listing}" " ${f}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "not in the Debian package: ${f}\n${listing}")
  endif()
endforeach()
message(STATUS "Debian package OK: ${debs}")
