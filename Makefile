# Thin wrapper over CMake. `make demo` and `make test` install what is missing first.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup setup-test build demo test test-fast bench clean

all: build

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

# The whole suite, slow checks included.
test: setup-test build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Everything but the tests labelled slow.
test-fast: setup-test build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow

bench: setup-test build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
