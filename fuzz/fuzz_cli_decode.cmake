# spop-cli's readers (decode, hex text, TCP reassembly, captured packets) and their JSON form.
target_link_libraries(fuzz_cli_decode PRIVATE spop_cli_lib)
