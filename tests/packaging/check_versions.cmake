# Every program answers --version with one line "<program> <project version>" and exit status 0.
# -DVERSION=0.1.0 -DPROGRAMS="name=path;..."; a subcommand may follow the path after a space (spop-cli
# names it in its line: "spop-cli send 0.1.0").
foreach(entry IN LISTS PROGRAMS)
  string(REPLACE "=" ";" pair "${entry}")
  list(GET pair 0 name)
  list(GET pair 1 command)
  separate_arguments(command UNIX_COMMAND "${command}")
  execute_process(COMMAND ${command} --version RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(SEND_ERROR "${command} --version: exit status ${status} (${err})")
  elseif(NOT out STREQUAL "${name} ${VERSION}\n")
    message(SEND_ERROR "${command} --version printed '${out}', expected '${name} ${VERSION}'")
  endif()
endforeach()
