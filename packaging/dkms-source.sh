#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# dkms-source.sh DEST: copy what DKMS needs to build kcap.ko (dkms.conf,
# Kbuild, driver/, include/kcap/) from this repository into DEST, which
# becomes a DKMS source tree (/usr/src/kcap-VERSION in the kcap-dkms
# package). Nothing else of the repository is needed on a node.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 1 ] || { echo "usage: dkms-source.sh DEST" >&2; exit 2; }
dest=$1
mkdir -p "$dest/include"
cp "$top/dkms.conf" "$top/Kbuild" "$dest/"
cp -r "$top/driver" "$dest/"
cp -r "$top/include/kcap" "$dest/include/"
# Build products of an in-tree build are not sources.
find "$dest" \( -name '*.o' -o -name '*.ko' -o -name '*.cmd' -o -name '*.mod' \
	-o -name '*.mod.c' -o -name modules.order -o -name Module.symvers \) -delete
