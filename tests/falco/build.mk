# SPDX-License-Identifier: Apache-2.0
#
# `make test-falco`: Falco's upstream rules against a second engine
# (tests/falco/README.md). Included by the top-level Makefile (TOP, BUILD,
# VM_DIR); part of `make test`.
#   test-falco         sysdig and scap.ko (packaging/build-deps.sh bench), kcap.ko
#                      for the host's kernel (6.1, the kernel `make bench` uses),
#                      one guest boot (run-falco.sh),
#                      then the host part (compare.sh), which writes
#                      docs/falco-compat.md
#   test-falco-compare only the host part, on the last guest run's files

FALCO_DIR := $(TOP)/tests/falco
FALCO_ATTACK := $(BUILD)/falco/falco-attack

.PHONY: test-falco test-falco-compare

$(FALCO_ATTACK): $(FALCO_DIR)/attack.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -static -o $@ $<

# kcap.ko is built in build/falco/kmod/ (not build/kmod/, which the guest
# matrix of `make test` rebuilds while this runs beside it).
test-falco: bench-deps vm-deps cli $(FALCO_ATTACK)
	@set -e; read -r suite rel <<<"$$($(VM_DIR)/kernels.sh resolve host)"; \
	KCAP_KMOD_DIR=$(BUILD)/falco/kmod $(VM_DIR)/build-module.sh "$$suite" "$$rel"; \
	KCAP_FALCO_KO=$(BUILD)/falco/kmod/$$rel/kcap.ko $(FALCO_DIR)/run-falco.sh "$$rel"
	@$(FALCO_DIR)/compare.sh

test-falco-compare: cli
	@$(FALCO_DIR)/compare.sh
