# Makefile -- the two entry points a newcomer needs, and a few helpers.
#   make demo   bootstrap, build, and run ward on a generated demonstration capture
#   make test   bootstrap, build, and run the whole suite through CTest
#   make install  build, then install under $(PREFIX) (default /usr/local),
#                 staged under $(DESTDIR) when given
BUILD ?= build
PREFIX ?= /usr/local
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all bootstrap build demo test install asan fuzz bench format clean

all: build

bootstrap:
	@sh scripts/bootstrap

build: bootstrap
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@sh scripts/demo $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The binary, ward(1), the example configuration and the docs (see the
# install() rules in CMakeLists.txt). DESTDIR is read by cmake --install.
# An already configured BUILD (e.g. build-asan) is brought up to date as it
# is configured, not reconfigured.
install:
	@if [ -f $(BUILD)/CMakeCache.txt ]; then cmake --build $(BUILD) -j $(JOBS); \
	 else $(MAKE) --no-print-directory build; fi
	@cmake --install $(BUILD) --prefix $(PREFIX)

# The suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan \
	  CMAKE_FLAGS="-DWARD_SANITIZE=ON -DWARD_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang"

# Short libFuzzer runs of every target (CI runs this too).
fuzz: bootstrap
	@cmake -S . -B build-fuzz -DWARD_FUZZ=ON -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_BUILD_TYPE=Debug -DWARD_SANITIZE=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@sh tests/fuzz/run build-fuzz $${FUZZ_SECONDS:-20}

bench: build
	@bench/run

format:
	@find src tests tools bench -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz
