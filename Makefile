# The two commands of the README: `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build test unit integration demo fuzz bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

integration: build
	KILN_BIN=$(abspath $(BUILD))/src/cli/kiln scripts/run-integration.sh

fuzz: deps
	scripts/run-fuzzers.sh

# Fuzzers run before the integration suite so its combined summary closes the output.
test: unit
	@if [ -x scripts/run-fuzzers.sh ]; then scripts/run-fuzzers.sh; fi
	$(MAKE) --no-print-directory integration

demo: build
	$(BUILD)/src/cli/kiln tutorial --yes

bench: build
	scripts/install-deps.sh --bench

clean:
	rm -rf $(BUILD)
