# SPDX-License-Identifier: Apache-2.0
#
# The kcap.v1 protobuf schema (proto/kcap/v1/*.proto) compiled with protoc-c
# into build/gen/kcap/v1/*.pb-c.{c,h} at build time (never committed) and
# linked into libkcap with libprotobuf-c. Included by userspace/build.mk.

PROTO_DIR := $(TOP)/proto
PROTO_SRCS := $(wildcard $(PROTO_DIR)/kcap/v1/*.proto)
PROTO_GEN_C := $(patsubst $(PROTO_DIR)/%.proto,$(US_GEN)/%.pb-c.c,$(PROTO_SRCS))
PROTO_GEN_H := $(PROTO_GEN_C:.c=.h)
PROTO_STAMP := $(US_GEN)/kcap/v1/.stamp
PROTO_NAMES := $(notdir $(PROTO_GEN_C:.c=.o))
PROTO_PIC_OBJS := $(addprefix $(US_OBJ)/lib-pic/,$(PROTO_NAMES))
PROTO_STATIC_OBJS := $(addprefix $(US_OBJ)/lib-static/,$(PROTO_NAMES))
PROTO_ASAN_OBJS := $(addprefix $(US_OBJ)/lib-asan/,$(PROTO_NAMES))
# kcap.gvisor: the gVisor trace sink's messages libkcap reads (capture/gvisor.c)
GV_PROTO_SRCS := $(PROTO_DIR)/gvisor/kcap_gvisor.proto
GV_GEN_C := $(US_GEN)/gvisor/kcap_gvisor.pb-c.c
GV_GEN_H := $(GV_GEN_C:.c=.h)
GV_NAME := kcap_gvisor.pb-c.o
PROTO_PIC_OBJS += $(US_OBJ)/lib-pic/$(GV_NAME)
PROTO_STATIC_OBJS += $(US_OBJ)/lib-static/$(GV_NAME)
PROTO_ASAN_OBJS += $(US_OBJ)/lib-asan/$(GV_NAME)

$(PROTO_STAMP): $(PROTO_SRCS)
	@mkdir -p $(@D)
	protoc-c --c_out=$(US_GEN) -I$(PROTO_DIR) $(PROTO_SRCS)
	touch $@
$(PROTO_GEN_C) $(PROTO_GEN_H): $(PROTO_STAMP) ;
$(GV_GEN_H): $(GV_GEN_C) ;
$(GV_GEN_C): $(GV_PROTO_SRCS)
	@mkdir -p $(@D)
	protoc-c --c_out=$(US_GEN) -I$(PROTO_DIR) $(GV_PROTO_SRCS)

$(US_OBJ)/lib-pic/%.pb-c.o: $(US_GEN)/kcap/v1/%.pb-c.c
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<
$(US_OBJ)/lib-pic/$(GV_NAME): $(GV_GEN_C) $(GV_GEN_H)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<
$(US_OBJ)/lib-static/$(GV_NAME): $(GV_GEN_C) $(GV_GEN_H)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -fvisibility=hidden -c -o $@ $<
$(US_OBJ)/lib-asan/$(GV_NAME): $(GV_GEN_C) $(GV_GEN_H)
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) $(US_SANITIZE) -c -o $@ $<
$(US_OBJ)/lib-static/%.pb-c.o: $(US_GEN)/kcap/v1/%.pb-c.c
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) -fvisibility=hidden -c -o $@ $<
$(US_OBJ)/lib-asan/%.pb-c.o: $(US_GEN)/kcap/v1/%.pb-c.c
	@mkdir -p $(@D)
	$(CC) $(US_CFLAGS) $(US_SANITIZE) -c -o $@ $<

# Every object may include the generated headers (through export.h).
$(LIB_PIC_OBJS) $(LIB_STATIC_OBJS) $(LIB_ASAN_OBJS) $(CLI_OBJS) $(UNIT_OBJS): | $(PROTO_GEN_H) $(GV_GEN_H)

LIB_PIC_OBJS += $(PROTO_PIC_OBJS)
$(LIB_SO_REAL): $(PROTO_PIC_OBJS)
$(LIB_A): $(PROTO_STATIC_OBJS)
$(UNIT_BIN): $(PROTO_ASAN_OBJS)
LIB_LIBS += -lprotobuf-c
# The fuzz target compiles the library's sources itself.
LIB_SRCS += $(PROTO_GEN_C) $(GV_GEN_C)
LIB_GEN_HDRS += $(PROTO_GEN_H) $(GV_GEN_H)


# Host check of kcap export with protoc --decode and python3-protobuf
# (tests/export/host.sh), on the real guest captures of tests/fuzz/corpus/.
.PHONY: test-export
test-export: deps $(BUILD)/bin/kcap
	$(TOP)/tests/export/host.sh $(BUILD)/bin/kcap $(BUILD)
