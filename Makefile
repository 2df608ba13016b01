# SPDX-License-Identifier: Apache-2.0
#
# kcap top-level build. `make` builds libkcap and the kcap CLI on the host;
# `make module KERNEL=<release|all>` builds kcap.ko through the kernel's Kbuild;
# `make test` runs the unit tests and the guest-kernel tests; `make demo` boots a
# guest and shows kcap capturing. Build output goes to build/.

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD := $(TOP)/build
# Cache for kernels, chroots and other large artefacts, outside the repo.
KCAP_CACHE ?= /var/cache/kcap
export KCAP_CACHE

.PHONY: all deps clean
all: lib cli examples

deps:
	@$(TOP)/packaging/build-deps.sh host

include userspace/build.mk
include tests/vm/build.mk
include tests/bench/build.mk
include tests/fuzz/build.mk
include userspace/examples/build.mk
include tests/pkg/build.mk
include tests/falco/build.mk

# Everything `make test` compiles on the host, built first and in parallel;
# the suites then run one after another.
.PHONY: test-build
test-build: lib cli examples guest-bins $(UNIT_BIN) $(CLI_TEST_BIN) $(FUZZ_BIN)

clean:
	rm -rf $(BUILD)
