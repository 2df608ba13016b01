#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# run.sh [TEST...]: the host-side packaging tests in order (default: sdk
# dkms sign deb k8s), one after the other (DKMS and dpkg share state); exits
# non-zero if any failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || set -- sdk dkms sign deb k8s
status=0
for t in "$@"; do
	start=$(date +%s)
	"$here/$t.sh" || status=1
	echo "[pkg] $t: $(( $(date +%s) - start )) s"
done
exit $status
