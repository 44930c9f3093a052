# The simulator's readers (SPOE file, haproxy.cfg, scenarios) live in spop_sim_config.
target_link_libraries(fuzz_spoe_config PRIVATE spop_sim_config)
