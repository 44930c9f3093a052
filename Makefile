# The README's two commands. Everything real lives in CMake; this file only strings the steps together.
.PHONY: run test deps build build-asan build-tsan fuzz clean

JOBS ?= $(shell nproc)
SCRIPT ?= examples/ps_lua.lua
SPOA_ARGS ?= -p 12345

run: deps build
	./build/release/agent/spoa -f $(SCRIPT) $(SPOA_ARGS)

test: deps build build-asan build-tsan
	ctest --preset release -j $(JOBS)
	ctest --preset asan -j $(JOBS)
	ctest --preset tsan -j $(JOBS)

deps:
	@bash scripts/install-deps.sh

build:
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-asan:
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

# ThreadSanitizer: only the executor and connection tests (the preset lists its targets), a few minutes.
build-tsan:
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)

# Runs every fuzz target (or those in FUZZ_TARGETS) for FUZZ_SECONDS each, or FUZZ_RUNS executions each
# when set, and merges new coverage into corpus/.
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_TARGETS ?=
fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	FUZZ_RUNS=$(FUZZ_RUNS) bash scripts/fuzz.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf build
