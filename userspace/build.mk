# SPDX-License-Identifier: Apache-2.0
#
# libkcap, the kcap CLI, the cmocka unit tests and the guest test programs.
# Included by the top-level Makefile, which sets TOP and BUILD. Targets:
#   lib          build/lib/libkcap.so{,.1,.1.0.0}, libkcap.a, libkcap.pc
#   cli          build/bin/kcap (dynamic, rpath to ../lib), build/bin/kcap-static
#   test-unit    build and run the unit tests under ASan and UBSan; layers-check
#   test-cli     the kcap CLI on capture files, on the host (tests/cli/run.sh)
#   test-gvisor  gVisor sandboxes (runsc) through the gVisor sink (tests/gvisor/run.sh)
#   test-fleet   the NATS JetStream transport against nats-server (tests/fleet/run.sh)
#   guest-bins   build/vm/guest/<name> from tests/vm/guest/<name>.c, static
#   docs         docs/events.md from the event table, docs/sdk.md from the headers,
#                packaging/man/kcap-COMMAND.8 from the help (docs-check: current?)
#   install-userspace  DESTDIR, PREFIX: library, headers, pkg-config file, CLI,
#                the kcap.v1 schema (share/kcap/proto, for protoc --decode)

KCAP_VERSION := 1.0.0
KCAP_SOMAJOR := 1
PREFIX ?= /usr/local
KCAP_LIBDIR ?= lib
# Kernel UAPI headers the syscall name tables are generated from.
KCAP_UNISTD_DIR ?= /usr/include/x86_64-linux-gnu/asm

US_DIR := $(TOP)/userspace
US_OBJ := $(BUILD)/obj
US_GEN := $(BUILD)/gen
US_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
	-I$(TOP)/include -I$(US_DIR)/lib -I$(US_GEN) $(EXTRA_CFLAGS)
# Capture files: zstd batches, zlib's CRC-32 (docs/capture-format.md); libelf reads
# kcap.ko's .modinfo (module.c); libyaml reads detection rules (rules_yaml.c).
# jansson reads container runtimes' state files (container/, docs/containers.md).
LIB_LIBS := -lelf -lzstd -lz -lyaml -ljansson
# The fleet transport (lib/fleet/, docs/fleet.md) uses the NATS C client. Debian
# ships no static libnats: kcap-static and the static guest programs, which never
# call into fleet/, link without it.
NATS_LIBS := -lnats
US_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# One folder per subsystem (userspace/README.md); objects keep the folder.
LIB_SUBDIRS := capture event format container state detect export driverctl fleet
LIB_SRCS := $(foreach d,$(LIB_SUBDIRS),$(wildcard $(US_DIR)/lib/$(d)/*.c))
LIB_NAMES := $(patsubst $(US_DIR)/lib/%.c,%.o,$(LIB_SRCS))
LIB_PIC_OBJS := $(addprefix $(US_OBJ)/lib-pic/,$(LIB_NAMES))
LIB_STATIC_OBJS := $(addprefix $(US_OBJ)/lib-static/,$(LIB_NAMES))
LIB_ASAN_OBJS := $(addprefix $(US_OBJ)/lib-asan/,$(LIB_NAMES))
LIB_GEN_HDRS := $(US_GEN)/kcap_syscalls_64.h $(US_GEN)/kcap_syscalls_32.h

LIB_SO_REAL := $(BUILD)/lib/libkcap.so.$(KCAP_VERSION)
LIB_SO := $(BUILD)/lib/libkcap.so
LIB_A := $(BUILD)/lib/libkcap.a
LIB_PC := $(BUILD)/lib/libkcap.pc

CLI_SRCS := $(wildcard $(US_DIR)/cli/*.c)
# kcap profile seccomp builds its filters with libseccomp (profile_seccomp.c):
# the CLI's own dependency, not the library's.
CLI_LIBS := -lseccomp
# The profile model and its writers and readers are unit-tested (test_profile.c).
UNIT_CLI_NAMES := profile_model profile_apparmor profile_seccomp
UNIT_CLI_OBJS := $(addprefix $(US_OBJ)/unit-cli/,$(addsuffix .o,$(UNIT_CLI_NAMES)))
CLI_OBJS := $(addprefix $(US_OBJ)/cli/,$(notdir $(CLI_SRCS:.c=.o)))

UNIT_SRCS := $(wildcard $(TOP)/tests/unit/*.c)
UNIT_OBJS := $(addprefix $(US_OBJ)/unit/,$(notdir $(UNIT_SRCS:.c=.o)))
UNIT_BIN := $(BUILD)/tests/unit/kcap-unit

# ia32_workload.c is a 32-bit program (gcc-multilib), built on its own.
GUEST_SRCS := $(filter-out %/ia32_workload.c,$(wildcard $(TOP)/tests/vm/guest/*.c))
GUEST_BINS := $(patsubst $(TOP)/tests/vm/guest/%.c,$(BUILD)/vm/guest/%,$(GUEST_SRCS)) \
	$(BUILD)/vm/guest/ia32_workload

.PHONY: lib cli test-unit test-cli test-gvisor test-fleet guest-bins install-userspace docs docs-check layers-check

lib: $(LIB_SO) $(LIB_A) $(LIB_PC)
cli: $(BUILD)/bin/kcap $(BUILD)/bin/kcap-static
guest-bins: $(GUEST_BINS)

test-unit: $(UNIT_BIN) docs-check layers-check
	$(UNIT_BIN)

# tests/cli/mkcapture writes the big capture file run.sh needs, with the SDK.
# tests/cli/mkctcapture one with a container table from the unit tests' fixtures.
CLI_TEST_BIN := $(BUILD)/tests/cli/mkcapture $(BUILD)/tests/cli/mkctcapture
$(BUILD)/tests/cli/mkcapture: $(TOP)/tests/cli/mkcapture.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -o $@ $< $(LIB_A) $(LIB_LIBS)
$(BUILD)/tests/cli/mkctcapture: $(TOP)/tests/cli/mkctcapture.c $(TOP)/tests/cli/ctwait.h \
		$(TOP)/tests/unit/evbuild.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -I$(TOP)/tests/unit -o $@ $< $(LIB_A) $(LIB_LIBS)
test-cli: $(BUILD)/bin/kcap $(CLI_TEST_BIN)
	$(TOP)/tests/cli/run.sh $(BUILD)/bin/kcap $(CLI_TEST_BIN)

# gVisor sandboxes recorded through kcap's gVisor sink with the host's runsc
# (packaging/build-deps.sh host); skipped, saying why, where runsc cannot run.
test-gvisor: $(BUILD)/bin/kcap
	$(TOP)/tests/gvisor/run.sh $(BUILD)/bin/kcap

# The fleet transport against real nats-server processes on loopback
# (tests/fleet/run.sh; skipped, saying why, without nats-server).
# tests/fleet/ctpublish publishes as a live exporter does, container
# metadata from a thread table's lookups (kcap_fleet_opts.state).
$(BUILD)/tests/fleet/ctpublish: $(TOP)/tests/fleet/ctpublish.c $(TOP)/tests/cli/ctwait.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -I$(TOP)/tests/cli -o $@ $< $(LIB_A) $(LIB_LIBS) $(NATS_LIBS)
test-fleet: $(BUILD)/bin/kcap $(CLI_TEST_BIN) $(BUILD)/tests/fleet/ctpublish
	timeout 300 $(TOP)/tests/fleet/run.sh $(BUILD)/bin/kcap $(CLI_TEST_BIN) \
		$(BUILD)/tests/fleet/ctpublish

# The library's folders are layers (userspace/README.md): no call or include
# from a folder to one above it, so no cycle across folders.
layers-check: $(LIB_A) $(CLI_OBJS)
	@$(US_DIR)/tools/check-layers.sh $(US_OBJ)/lib-static $(US_DIR)/lib $(US_OBJ)/cli

# docs/events.md is generated from the event table, docs/sdk.md from the
# public headers' comments and the command man pages from `kcap CMD --help`:
# `make docs` rewrites them, docs-check (run by test-unit) fails when a
# committed copy is stale.
SDK_HEADERS = $(US_DIR)/lib/kcap.h $(wildcard $(US_DIR)/lib/kcap_*.h) \
	$(TOP)/include/kcap/kcap_abi.h $(TOP)/include/kcap/kcap_events.h
SDK_EXAMPLES = $(sort $(wildcard $(US_DIR)/examples/*.c))
SDK_DOC = { printf '<!-- SPDX-License-Identifier: Apache-2.0 -->\n\# libkcap SDK reference\n\nGenerated by `make docs` from the public headers and userspace/examples/; do not edit by hand.\nBuild with `pkg-config --cflags --libs libkcap` (install: `make install-userspace PREFIX=...` or the libkcap-dev package).\nEvery example below is compiled and run by tests/pkg/sdk.sh as extracted from this page.\n\n'; \
	awk -f $(US_DIR)/tools/gen-sdk-doc.awk $(SDK_HEADERS); \
	printf '\n\#\# Examples\n\n'; \
	for f in $(SDK_EXAMPLES); do printf '\#\#\#\# Example `%s`\n\n```c\n' "$${f\#\#*/}"; cat "$$f"; printf '```\n\n'; done; }
docs: $(BUILD)/bin/kcap-static
	$(BUILD)/bin/kcap-static list-events --markdown >$(TOP)/docs/events.md
	$(SDK_DOC) >$(TOP)/docs/sdk.md
	rm -f $(TOP)/packaging/man/kcap-*.8
	$(US_DIR)/tools/gen-man.sh $(BUILD)/bin/kcap-static $(TOP)/packaging/man
docs-check: $(BUILD)/bin/kcap-static
	@$(BUILD)/bin/kcap-static list-events --markdown | diff -u $(TOP)/docs/events.md - || \
		{ echo "docs/events.md is out of date with the event table: run 'make docs'"; exit 1; }
	@$(SDK_DOC) | diff -u $(TOP)/docs/sdk.md - >/dev/null || \
		{ echo "docs/sdk.md is out of date with the SDK headers: run 'make docs'"; exit 1; }
	@$(US_DIR)/tools/check-man.sh $(BUILD)/bin/kcap-static $(TOP)/packaging/man $(BUILD)/man-check

$(US_GEN)/kcap_syscalls_64.h: $(KCAP_UNISTD_DIR)/unistd_64.h $(US_DIR)/lib/capture/gen-syscalls.sh
	@mkdir -p $(@D)
	$(US_DIR)/lib/capture/gen-syscalls.sh $< kcap_syscalls_64 > $@.tmp && mv $@.tmp $@
$(US_GEN)/kcap_syscalls_32.h: $(KCAP_UNISTD_DIR)/unistd_32.h $(US_DIR)/lib/capture/gen-syscalls.sh
	@mkdir -p $(@D)
	$(US_DIR)/lib/capture/gen-syscalls.sh $< kcap_syscalls_32 > $@.tmp && mv $@.tmp $@

$(US_OBJ)/lib-pic/%.o: $(US_DIR)/lib/%.c | $(LIB_GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -fPIC -fvisibility=hidden -fno-semantic-interposition -MMD -MP -c -o $@ $<
$(US_OBJ)/lib-static/%.o: $(US_DIR)/lib/%.c | $(LIB_GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -fvisibility=hidden -MMD -MP -c -o $@ $<
$(US_OBJ)/lib-asan/%.o: $(US_DIR)/lib/%.c | $(LIB_GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) $(US_SANITIZE) -MMD -MP -c -o $@ $<

$(LIB_SO_REAL): $(LIB_PIC_OBJS) $(US_DIR)/lib/libkcap.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libkcap.so.$(KCAP_SOMAJOR) \
		-Wl,--version-script=$(US_DIR)/lib/libkcap.map -Wl,-z,defs -Wl,-z,relro,-z,now \
		-o $@ $(LIB_PIC_OBJS) $(LIB_LIBS) $(NATS_LIBS)
$(LIB_SO): $(LIB_SO_REAL)
	ln -sf $(notdir $<) $(BUILD)/lib/libkcap.so.$(KCAP_SOMAJOR)
	ln -sf libkcap.so.$(KCAP_SOMAJOR) $@
$(LIB_A): $(LIB_STATIC_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^
$(LIB_PC): $(US_DIR)/lib/libkcap.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(KCAP_LIBDIR)|' \
		-e 's|@VERSION@|$(KCAP_VERSION)|' $< > $@

$(US_OBJ)/cli/%.o: $(US_DIR)/cli/%.c
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -DKCAP_TOOL_VERSION='"$(KCAP_VERSION)"' -MMD -MP -c -o $@ $<
$(BUILD)/bin/kcap: $(CLI_OBJS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) -o $@ $(CLI_OBJS) -L$(BUILD)/lib -lkcap '-Wl,-rpath,$$ORIGIN/../lib' $(LIB_LIBS) $(NATS_LIBS) $(CLI_LIBS)
# Without NATS (no static libnats): cli/fleet.c says so instead.
CLI_STATIC_OBJS := $(filter-out %/fleet.o,$(CLI_OBJS)) $(US_OBJ)/cli-static/fleet.o
$(US_OBJ)/cli-static/fleet.o: $(US_DIR)/cli/fleet.c
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -DKCAP_NO_NATS -MMD -MP -c -o $@ $<
$(BUILD)/bin/kcap-static: $(CLI_STATIC_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -static -o $@ $(CLI_STATIC_OBJS) $(LIB_A) $(LIB_LIBS) $(CLI_LIBS)

$(US_OBJ)/unit/%.o: $(TOP)/tests/unit/%.c | $(LIB_GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) $(US_SANITIZE) -DKCAP_TEST_CORPUS='"$(TOP)/tests/fuzz/corpus"' \
		-DKCAP_TEST_FIXTURES='"$(TOP)/tests/unit/fixtures"' \
		-DKCAP_FALCO_RULES_DIR='"$(TOP)/../shared/falco-rules"' -I$(US_DIR)/cli -MMD -MP -c -o $@ $<
$(US_OBJ)/unit-cli/%.o: $(US_DIR)/cli/%.c | $(LIB_GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) $(US_SANITIZE) -MMD -MP -c -o $@ $<
$(UNIT_BIN): $(UNIT_OBJS) $(UNIT_CLI_OBJS) $(LIB_ASAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(US_SANITIZE) -o $@ $^ -lcmocka $(LIB_LIBS) $(NATS_LIBS) $(CLI_LIBS)

$(BUILD)/vm/guest/%: $(TOP)/tests/vm/guest/%.c $(LIB_A)
	@mkdir -p $(@D)
	@mkdir -p $(US_OBJ)/guest
	$(CC) $(US_CFLAGS) -I$(TOP)/tests/vm/guest -MMD -MP -MF $(US_OBJ)/guest/$*.d -MT $@ \
		-static -o $@ $< $(LIB_A) $(LIB_LIBS)

$(BUILD)/vm/guest/ia32_workload: $(TOP)/tests/vm/guest/ia32_workload.c
	@mkdir -p $(@D)
	$(CC) -m32 -static -O2 -Wall -Wextra -Werror -o $@ $<

# kcap_fuzz is one program in several files: kcap_fuzz.c and kcap_fuzz/*.c.
KFUZZ_SRCS := $(wildcard $(TOP)/tests/vm/guest/kcap_fuzz/*.c)
$(BUILD)/vm/guest/kcap_fuzz: $(TOP)/tests/vm/guest/kcap_fuzz.c $(KFUZZ_SRCS) \
		$(wildcard $(TOP)/tests/vm/guest/kcap_fuzz/*.h) $(TOP)/tests/vm/guest/tap.h
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -I$(TOP)/tests/vm/guest -pthread -static -o $@ $< $(KFUZZ_SRCS)

# Every public header (kcap.h, kcap_export.h, kcap_detect.h and the ABI
# headers they include; not kcap_event_table.h, the table's definition that
# the driver and libkcap each compile once) and a pkg-config file whose
# prefix is the PREFIX of this install, written here rather than at build time.
SDK_PUBLIC_HEADERS = $(US_DIR)/lib/kcap.h $(US_DIR)/lib/kcap_export.h $(US_DIR)/lib/kcap_detect.h \
	$(US_DIR)/lib/kcap_fleet.h \
	$(TOP)/include/kcap/kcap_abi.h $(TOP)/include/kcap/kcap_events.h
install-userspace: lib cli
	install -d $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include/kcap \
		$(DESTDIR)$(PREFIX)/bin
	install -m 0644 $(LIB_SO_REAL) $(LIB_A) $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/
	ln -sf libkcap.so.$(KCAP_VERSION) $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/libkcap.so.$(KCAP_SOMAJOR)
	ln -sf libkcap.so.$(KCAP_SOMAJOR) $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/libkcap.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(KCAP_LIBDIR)|' \
		-e 's|@VERSION@|$(KCAP_VERSION)|' $(US_DIR)/lib/libkcap.pc.in \
		> $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/pkgconfig/libkcap.pc
	install -m 0644 $(SDK_PUBLIC_HEADERS) $(DESTDIR)$(PREFIX)/include/kcap/
	install -m 0755 $(BUILD)/bin/kcap-static $(DESTDIR)$(PREFIX)/bin/kcap
	install -d $(DESTDIR)$(PREFIX)/share/kcap/proto/kcap/v1
	install -m 0644 $(TOP)/proto/kcap/v1/*.proto $(DESTDIR)$(PREFIX)/share/kcap/proto/kcap/v1/

include $(US_DIR)/proto.mk

-include $(wildcard $(US_OBJ)/*/*.d $(US_OBJ)/*/*/*.d)
