# SPDX-License-Identifier: Apache-2.0
#
# libFuzzer target for the capture file reader (Debian's clang and
# libclang-rt-dev). Included by the top-level Makefile. Targets:
#   fuzz-smoke   run it FUZZ_SMOKE_SECONDS (30) on the seed corpus (make test)
#   fuzz         run it FUZZ_SECONDS (600) on a copy of the corpus in
#                build/fuzz/corpus (new inputs are kept there)
#   fuzz-gvisor  the gVisor sink's target (fuzz_gvisor.c) for FUZZ_GVISOR_SECONDS
#                (60), inputs kept in build/fuzz/gvisor-corpus; not in make test
# Crashes are written to build/fuzz/ as crash-*; tests/fuzz/README.md.

FUZZ_CC ?= clang
FUZZ_SMOKE_SECONDS ?= 30
FUZZ_SECONDS ?= 600
FUZZ_DIR := $(TOP)/tests/fuzz
FUZZ_BIN := $(BUILD)/fuzz/fuzz_file
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
	-I$(TOP)/include -I$(US_DIR)/lib -I$(US_GEN) \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_ARGS := -rss_limit_mb=1024 -timeout=10 -max_len=262144 -artifact_prefix=$(BUILD)/fuzz/

.PHONY: fuzz fuzz-smoke fuzz-gvisor

FUZZ_GVISOR_SECONDS ?= 60
FUZZ_GV_BIN := $(BUILD)/fuzz/fuzz_gvisor
$(FUZZ_GV_BIN): $(FUZZ_DIR)/fuzz_gvisor.c $(LIB_SRCS) $(wildcard $(US_DIR)/lib/*.h $(US_DIR)/lib/*/*.h) | $(LIB_GEN_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_DIR)/fuzz_gvisor.c $(LIB_SRCS) $(LIB_LIBS) $(NATS_LIBS)

fuzz-gvisor: $(FUZZ_GV_BIN)
	@mkdir -p $(BUILD)/fuzz/gvisor-corpus
	$(FUZZ_GV_BIN) -rss_limit_mb=1024 -timeout=10 -max_len=8192 \
		-artifact_prefix=$(BUILD)/fuzz/gvisor- -max_total_time=$(FUZZ_GVISOR_SECONDS) \
		-print_final_stats=1 $(BUILD)/fuzz/gvisor-corpus

# A seed with a container table (format 1.2), written by tests/cli/mkctcapture
# from the unit tests' runtime fixtures: generated, not committed (its MACHINE
# block names the machine that built it).
FUZZ_SEED := $(BUILD)/fuzz/seed/containers.kcap
$(FUZZ_SEED): $(BUILD)/tests/cli/mkctcapture
	@mkdir -p $(@D)
	$< $(TOP)/tests/unit/fixtures/ct $@

# Format 1.3 seeds with column-encoded batches (compression 2): the guest
# corpus copied by this tree's kcap (a copy keeps the source's MACHINE block),
# and the same with each image in a zstd frame of raw blocks (mkcolseed), so
# that mutations reach the column decoder rather than the zstd frame.
FUZZ_MKCOLSEED := $(BUILD)/fuzz/mkcolseed
$(FUZZ_MKCOLSEED): $(FUZZ_DIR)/mkcolseed.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -o $@ $< $(LIB_A) $(LIB_LIBS)
FUZZ_SEED_COLS := $(patsubst $(FUZZ_DIR)/corpus/%,$(BUILD)/fuzz/seed/cols-%,$(wildcard $(FUZZ_DIR)/corpus/*.kcap))
FUZZ_SEED_COLS += $(patsubst $(FUZZ_DIR)/corpus/%,$(BUILD)/fuzz/seed/colsraw-%,$(wildcard $(FUZZ_DIR)/corpus/*.kcap))
$(BUILD)/fuzz/seed/cols-%: $(FUZZ_DIR)/corpus/% $(BUILD)/bin/kcap
	@mkdir -p $(@D)
	$(BUILD)/bin/kcap read -r $< -w $@ 2>/dev/null
$(BUILD)/fuzz/seed/colsraw-%: $(BUILD)/fuzz/seed/cols-% $(FUZZ_MKCOLSEED)
	$(FUZZ_MKCOLSEED) $< $@

$(FUZZ_BIN): $(FUZZ_DIR)/fuzz_file.c $(LIB_SRCS) $(wildcard $(US_DIR)/lib/*.h $(US_DIR)/lib/*/*.h) | $(LIB_GEN_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_DIR)/fuzz_file.c $(LIB_SRCS) $(LIB_LIBS) $(NATS_LIBS)

fuzz-smoke: $(FUZZ_BIN) $(FUZZ_SEED) $(FUZZ_SEED_COLS)
	@mkdir -p $(BUILD)/fuzz/smoke
	$(FUZZ_BIN) $(FUZZ_ARGS) -max_total_time=$(FUZZ_SMOKE_SECONDS) -print_final_stats=1 \
		$(BUILD)/fuzz/smoke $(FUZZ_DIR)/corpus $(BUILD)/fuzz/seed 2>$(BUILD)/fuzz/smoke.log || \
		{ tail -40 $(BUILD)/fuzz/smoke.log; exit 1; }
	@grep -E '^stat::number_of_executed_units' $(BUILD)/fuzz/smoke.log || true

fuzz: $(FUZZ_BIN) $(FUZZ_SEED) $(FUZZ_SEED_COLS)
	@mkdir -p $(BUILD)/fuzz/corpus
	cp -n $(FUZZ_DIR)/corpus/* $(FUZZ_SEED) $(FUZZ_SEED_COLS) $(BUILD)/fuzz/corpus/
	$(FUZZ_BIN) $(FUZZ_ARGS) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		$(BUILD)/fuzz/corpus
