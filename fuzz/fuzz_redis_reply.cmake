# The RESP reader and the reply interpreters of the Redis store.
target_link_libraries(fuzz_redis_reply PRIVATE spoa_state)
