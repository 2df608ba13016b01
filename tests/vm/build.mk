# SPDX-License-Identifier: Apache-2.0
#
# Kernel module builds and guest-kernel tests. Included by the top-level
# Makefile (TOP, BUILD, KCAP_CACHE). Targets:
#   module        kcap.ko for KERNEL (host, all, a suite, a release prefix)
#                 in build/kmod/<release>/
#   module-check  kcap.ko for the host kernel with sparse (C=1), and the
#                 kernel's checkpatch.pl over driver/; warnings fail
#   test          deps, test-unit, test-cli (userspace/build.mk), fuzz-smoke,
#                 module-check, test-vm,
#                 test-export (userspace/proto.mk), test-pkg (tests/pkg/build.mk),
#                 test-falco (tests/falco/build.mk)
#   test-vm       CLI --help check, then for each kernel of KERNELS: build
#                 kcap.ko, boot it in QEMU, run tests/vm/cases/; writes
#                 docs/kernels.md
#   fuzz-driver   only the guest interface fuzzer (case 85-fuzz) for DURATION
#                 seconds (600) on KERNELS (default: host here), SEED replays
#   demo          boot the host kernel, run kcap detect while a pod's container
#                 (Debian's runc, containerd's CRI annotations) misbehaves,
#                 print the alerts with its image and pod, leave the recording
#                 in build/vm/RELEASE/export
# See tests/vm/README.md.

# Kernels `make test` runs on unless KERNELS is given. `all`: the kernels
# of the suites bullseye bookworm trixie sid, then the pseudo-suites rt
# (Debian's PREEMPT_RT kernel, linux-image-rt-amd64) and debug (6.1 built
# from linux-source-6.1 with lockdep, KASAN, UBSAN, KFENCE: debug-kernel.sh,
# about 20+ min the first time, cached). Other examples: KERNELS="5.10 6.12",
# KERNELS="rt debug", KERNELS=host.
KCAP_DEFAULT_KERNELS := all
KERNELS ?= $(KCAP_DEFAULT_KERNELS)
KERNEL ?= host

VM_DIR := $(TOP)/tests/vm

.PHONY: module module-check test test-vm demo vm-deps fuzz-driver

vm-deps:
	@$(TOP)/packaging/build-deps.sh vm

module: vm-deps
	@$(VM_DIR)/matrix.sh module $(KERNEL)

module-check: vm-deps
	@set -e; read -r suite rel <<<"$$($(VM_DIR)/kernels.sh resolve host)"; \
	$(VM_DIR)/build-module.sh --check "$$suite" "$$rel"
	@$(VM_DIR)/checkpatch.sh

# In this order, also under make -j: the host build in parallel first; the
# fleet tests (real NATS servers: mostly waiting for outages, elections and
# leases, 40 % of a core over 100 s) in the background, their output
# printed after the other host tests: the unit tests beside the CLI tests
# (each runs on one core), the gVisor tests, the fuzzer's timed run (one
# core) beside the module's W=1/sparse build; the
# packaging tests, then the Falco differential test (one guest of its own),
# beside the guest matrix at nice 19 (they take the CPU time the guests
# leave, e.g. while the debug kernel's lane ends alone), their output
# printed after it. Every package they need is installed first, so
# that they never wait on each other's dpkg lock.
test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory -j$$(nproc) test-build
	@set -u; flog=$(BUILD)/test-fleet.log; mkdir -p $(BUILD); \
	($(MAKE) --no-print-directory test-fleet >$$flog 2>&1; echo $$? >$$flog.status) & \
	fl=$$!; st=0; \
	$(MAKE) --no-print-directory -j2 --output-sync=target test-unit test-cli || st=$$?; \
	[ $$st != 0 ] || $(MAKE) --no-print-directory test-gvisor || st=$$?; \
	[ $$st != 0 ] || $(MAKE) --no-print-directory -j2 --output-sync=target fuzz-smoke \
		module-check || st=$$?; \
	wait $$fl; cat $$flog; \
	[ "$$(cat $$flog.status)" = 0 ] || st=1; \
	exit $$st
	@$(TOP)/packaging/build-deps.sh vm matrix rt debug pkg bench
	@set -u; log=$(BUILD)/test-pkg.log flog=$(BUILD)/test-falco.log; mkdir -p $(BUILD); \
	(nice -n 19 $(MAKE) --no-print-directory test-pkg >$$log 2>&1; echo $$? >$$log.status; \
	 nice -n 19 $(MAKE) --no-print-directory test-falco >$$flog 2>&1; echo $$? >$$flog.status) & \
	pkg=$$!; st=0; \
	$(MAKE) --no-print-directory test-vm || st=$$?; \
	wait $$pkg; cat $$log $$flog; \
	[ "$$(cat $$log.status)" = 0 ] || st=1; \
	[ "$$(cat $$flog.status)" = 0 ] || st=1; \
	$(MAKE) --no-print-directory test-export || st=$$?; \
	exit $$st

test-vm: vm-deps lib cli guest-bins
	@$(VM_DIR)/cli-help.sh $(BUILD)/bin/kcap
	@$(VM_DIR)/matrix.sh test $(KERNELS)

# KERNELS defaults to the host's kernel here, not to the whole matrix.
DURATION ?= 600
SEED ?=
fuzz-driver: vm-deps guest-bins
	@$(VM_DIR)/fuzz-driver.sh "$(DURATION)" "$(SEED)" \
		$(if $(filter-out file undefined,$(origin KERNELS)),$(KERNELS),host)

demo: vm-deps lib cli guest-bins
	@$(VM_DIR)/matrix.sh module host
	@read -r suite rel <<<"$$($(VM_DIR)/kernels.sh resolve host)"; \
	$(VM_DIR)/run-guest.sh --demo "$$rel"
