# SPDX-License-Identifier: Apache-2.0
#
# Packaging and installation tests on the host. Included by the top-level
# Makefile. Targets:
#   deb        Debian packages in build/deb/ (packaging/deb.sh)
#   test-pkg   DKMS, module signing, Debian packages (lintian, install, SDK
#              example, systemd unit, purge), Kubernetes manifests; run by
#              `make test` after the guest tests
# See docs/install.md.

.PHONY: deb test-pkg pkg-deps

pkg-deps:
	@$(TOP)/packaging/build-deps.sh pkg

deb: pkg-deps
	@$(TOP)/packaging/deb.sh

test-pkg: pkg-deps lib cli examples
	@$(TOP)/tests/pkg/run.sh
