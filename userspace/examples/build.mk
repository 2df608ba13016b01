# SPDX-License-Identifier: Apache-2.0
#
# SDK examples, built the way a user builds them: against the installed
# header layout (<kcap/kcap.h>, staged in build/include/) and libkcap.a.
# Included by the top-level Makefile. Target: examples -> build/examples/.

EX_SRCS := $(wildcard $(TOP)/userspace/examples/*.c)
EX_BINS := $(patsubst $(TOP)/userspace/examples/%.c,$(BUILD)/examples/%,$(EX_SRCS))
EX_INC := $(BUILD)/include

.PHONY: examples
examples: $(EX_BINS)

$(EX_INC)/kcap/kcap.h: $(SDK_PUBLIC_HEADERS)
	@mkdir -p $(@D)
	rm -f $(@D)/*.h
	cp $(SDK_PUBLIC_HEADERS) $(@D)/

$(BUILD)/examples/%: $(TOP)/userspace/examples/%.c $(EX_INC)/kcap/kcap.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I$(EX_INC) -o $@ $< $(LIB_A) $(LIB_LIBS)
