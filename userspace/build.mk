# SPDX-License-Identifier: Apache-2.0
#
# libkcap, the kcap CLI, the cmocka unit tests and the guest test programs.
# Included by the top-level Makefile, which sets TOP and BUILD. Targets:
#   lib          build/lib/libkcap.so{,.1,.1.0.0}, libkcap.a, libkcap.pc
#   cli          build/bin/kcap (dynamic, rpath to ../lib), build/bin/kcap-static
#   test-unit    build and run the unit tests under ASan and UBSan
#   guest-bins   build/vm/guest/<name> from tests/vm/guest/<name>.c, static
#   docs         docs/events.md from the event table (docs-check: is it current?)
#   install-userspace  DESTDIR, PREFIX: library, headers, pkg-config file, CLI

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
LIB_LIBS := -lelf -lzstd -lz -lyaml
US_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRCS := $(wildcard $(US_DIR)/lib/*.c)
LIB_NAMES := $(notdir $(LIB_SRCS:.c=.o))
LIB_PIC_OBJS := $(addprefix $(US_OBJ)/lib-pic/,$(LIB_NAMES))
LIB_STATIC_OBJS := $(addprefix $(US_OBJ)/lib-static/,$(LIB_NAMES))
LIB_ASAN_OBJS := $(addprefix $(US_OBJ)/lib-asan/,$(LIB_NAMES))
LIB_GEN_HDRS := $(US_GEN)/kcap_syscalls_64.h $(US_GEN)/kcap_syscalls_32.h

LIB_SO_REAL := $(BUILD)/lib/libkcap.so.$(KCAP_VERSION)
LIB_SO := $(BUILD)/lib/libkcap.so
LIB_A := $(BUILD)/lib/libkcap.a
LIB_PC := $(BUILD)/lib/libkcap.pc

CLI_SRCS := $(wildcard $(US_DIR)/cli/*.c)
CLI_OBJS := $(addprefix $(US_OBJ)/cli/,$(notdir $(CLI_SRCS:.c=.o)))

UNIT_SRCS := $(wildcard $(TOP)/tests/unit/*.c)
UNIT_OBJS := $(addprefix $(US_OBJ)/unit/,$(notdir $(UNIT_SRCS:.c=.o)))
UNIT_BIN := $(BUILD)/tests/unit/kcap-unit

# ia32_workload.c is a 32-bit program (gcc-multilib), built on its own.
GUEST_SRCS := $(filter-out %/ia32_workload.c,$(wildcard $(TOP)/tests/vm/guest/*.c))
GUEST_BINS := $(patsubst $(TOP)/tests/vm/guest/%.c,$(BUILD)/vm/guest/%,$(GUEST_SRCS)) \
	$(BUILD)/vm/guest/ia32_workload

.PHONY: lib cli test-unit guest-bins install-userspace docs docs-check

lib: $(LIB_SO) $(LIB_A) $(LIB_PC)
cli: $(BUILD)/bin/kcap $(BUILD)/bin/kcap-static
guest-bins: $(GUEST_BINS)

test-unit: $(UNIT_BIN) docs-check
	$(UNIT_BIN)

# docs/events.md is generated from the event table: `make docs` rewrites it,
# docs-check (run by test-unit) fails when the committed copy is stale.
docs: $(BUILD)/bin/kcap-static
	$(BUILD)/bin/kcap-static list-events --markdown >$(TOP)/docs/events.md
docs-check: $(BUILD)/bin/kcap-static
	@$(BUILD)/bin/kcap-static list-events --markdown | diff -u $(TOP)/docs/events.md - || \
		{ echo "docs/events.md is out of date with the event table: run 'make docs'"; exit 1; }

$(US_GEN)/kcap_syscalls_64.h: $(KCAP_UNISTD_DIR)/unistd_64.h $(US_DIR)/lib/gen-syscalls.sh
	@mkdir -p $(@D)
	$(US_DIR)/lib/gen-syscalls.sh $< kcap_syscalls_64 > $@.tmp && mv $@.tmp $@
$(US_GEN)/kcap_syscalls_32.h: $(KCAP_UNISTD_DIR)/unistd_32.h $(US_DIR)/lib/gen-syscalls.sh
	@mkdir -p $(@D)
	$(US_DIR)/lib/gen-syscalls.sh $< kcap_syscalls_32 > $@.tmp && mv $@.tmp $@

$(US_OBJ)/lib-pic/%.o: $(US_DIR)/lib/%.c | $(LIB_GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<
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
		-o $@ $(LIB_PIC_OBJS) $(LIB_LIBS)
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
	$(CC) -o $@ $(CLI_OBJS) -L$(BUILD)/lib -lkcap '-Wl,-rpath,$$ORIGIN/../lib' $(LIB_LIBS)
$(BUILD)/bin/kcap-static: $(CLI_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -static -o $@ $(CLI_OBJS) $(LIB_A) $(LIB_LIBS)

$(US_OBJ)/unit/%.o: $(TOP)/tests/unit/%.c | $(LIB_GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) $(US_SANITIZE) -MMD -MP -c -o $@ $<
$(UNIT_BIN): $(UNIT_OBJS) $(LIB_ASAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(US_SANITIZE) -o $@ $^ -lcmocka $(LIB_LIBS)

$(BUILD)/vm/guest/%: $(TOP)/tests/vm/guest/%.c $(LIB_A)
	@mkdir -p $(@D)
	@mkdir -p $(US_OBJ)/guest
	$(CC) $(US_CFLAGS) -I$(TOP)/tests/vm/guest -MMD -MP -MF $(US_OBJ)/guest/$*.d -MT $@ \
		-static -o $@ $< $(LIB_A) $(LIB_LIBS)

$(BUILD)/vm/guest/ia32_workload: $(TOP)/tests/vm/guest/ia32_workload.c
	@mkdir -p $(@D)
	$(CC) -m32 -static -O2 -Wall -Wextra -Werror -o $@ $<

install-userspace: lib cli
	install -d $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include/kcap \
		$(DESTDIR)$(PREFIX)/bin
	install -m 0644 $(LIB_SO_REAL) $(LIB_A) $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/
	ln -sf libkcap.so.$(KCAP_VERSION) $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/libkcap.so.$(KCAP_SOMAJOR)
	ln -sf libkcap.so.$(KCAP_SOMAJOR) $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/libkcap.so
	install -m 0644 $(LIB_PC) $(DESTDIR)$(PREFIX)/$(KCAP_LIBDIR)/pkgconfig/
	install -m 0644 $(TOP)/include/kcap/*.h $(US_DIR)/lib/kcap.h $(DESTDIR)$(PREFIX)/include/kcap/
	install -m 0755 $(BUILD)/bin/kcap-static $(DESTDIR)$(PREFIX)/bin/kcap

include $(US_DIR)/proto.mk

-include $(wildcard $(US_OBJ)/*/*.d)
