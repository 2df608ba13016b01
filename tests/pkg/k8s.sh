#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# k8s.sh: structural checks of the Kubernetes manifests (tests/pkg/k8s.py).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
exec python3 "$top/tests/pkg/k8s.py" "$top/packaging/kubernetes/kcap-daemonset.yaml" \
	"$top/packaging/kubernetes/kcap-daemonset-gvisor.yaml" \
	"$top/packaging/kubernetes/kcap-fleet.yaml"
