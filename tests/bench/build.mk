# SPDX-License-Identifier: Apache-2.0
#
# `make bench`: kcap side by side with ftrace and the Debian-packaged peer,
# measured in guest instructions (tests/bench/README.md). Never part of
# `make test`; the guest case tests/vm/cases/70-bench-smoke.sh runs the
# workloads once at tiny sizes there. Included by the top-level Makefile
# (TOP, BUILD, US_CFLAGS, LIB_A, LIB_LIBS from userspace/build.mk).
#   bench          packages, kcap.ko for the host's kernel, the guest run,
#                  the host part, docs/benchmarks.md
#   bench-quick    the same at tiny sizes (minutes), report in build/bench/
#   bench-bins     build/bench/kbench, build/bench/true, build/bench/kbench-decode,
#                  build/bench/consume

BENCH_DIR := $(TOP)/tests/bench
BENCH_OUT := $(BUILD)/bench
BENCH_BINS := $(BENCH_OUT)/kbench $(BENCH_OUT)/true $(BENCH_OUT)/kbench-decode $(BENCH_OUT)/consume \
	$(BUILD)/vm/guest/kbench

.PHONY: bench bench-quick bench-bins bench-deps

bench-deps:
	@$(TOP)/packaging/build-deps.sh bench

bench-bins: $(BENCH_BINS)

$(BENCH_OUT)/kbench: $(BENCH_DIR)/kbench.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -static -o $@ $< $(LIB_A) $(LIB_LIBS)
# The guest test lab's copy, for the smoke case of `make test`.
$(BUILD)/vm/guest/kbench: $(BENCH_OUT)/kbench
	@mkdir -p $(@D)
	cp $< $@
guest-bins: $(BUILD)/vm/guest/kbench
$(BENCH_OUT)/true: $(BENCH_DIR)/true.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Werror -static -nostdlib -o $@ $<
$(BENCH_OUT)/kbench-decode: $(BENCH_DIR)/kbench-decode.c $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -o $@ $< -L$(BUILD)/lib -lkcap '-Wl,-rpath,$$ORIGIN/../lib' $(LIB_LIBS)
# The recorder's user-space cost over rings in memory (consume.sh): the
# unit tests' producer and libkcap's internal memory source.
$(BENCH_OUT)/consume: $(BENCH_DIR)/consume.c $(TOP)/tests/unit/producer.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -I$(TOP)/tests/unit -o $@ $< $(TOP)/tests/unit/producer.c $(LIB_A) $(LIB_LIBS)

bench: bench-deps vm-deps lib cli bench-bins
	@$(VM_DIR)/matrix.sh module host
	@$(BENCH_DIR)/bench.sh full

bench-quick: bench-deps vm-deps lib cli bench-bins
	@$(VM_DIR)/matrix.sh module host
	@$(BENCH_DIR)/bench.sh quick
