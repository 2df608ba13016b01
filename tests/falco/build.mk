# SPDX-License-Identifier: Apache-2.0
#
# `make test-falco`: Falco's upstream rules against a second engine
# (tests/falco/README.md). Included by the top-level Makefile (TOP, BUILD,
# VM_DIR); part of `make test`.
#   test-falco         sysdig and scap.ko (packaging/build-deps.sh bench), kcap.ko
#                      for the host's kernel, one guest boot (run-falco.sh),
#                      then the host part (compare.sh), which writes
#                      docs/falco-compat.md
#   test-falco-compare only the host part, on the last guest run's files

FALCO_DIR := $(TOP)/tests/falco
FALCO_ATTACK := $(BUILD)/falco/falco-attack

.PHONY: test-falco test-falco-compare

$(FALCO_ATTACK): $(FALCO_DIR)/attack.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -static -o $@ $<

test-falco: bench-deps vm-deps cli $(FALCO_ATTACK)
	@$(VM_DIR)/matrix.sh module host
	@read -r suite rel <<<"$$($(VM_DIR)/kernels.sh resolve host)"; \
	$(FALCO_DIR)/run-falco.sh "$$rel"
	@$(FALCO_DIR)/compare.sh

test-falco-compare: cli
	@$(FALCO_DIR)/compare.sh
