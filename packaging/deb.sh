#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# deb.sh [OUTDIR]: build the Debian packages kcap-dkms, libkcap1,
# libkcap-dev and kcap with dpkg-buildpackage (binary only, unsigned, no
# network). The debian/ directory lives in packaging/debian/; it is staged
# with a copy of the source tree (without build/ and .git) into
# build/deb/kcap-VERSION/ and built there. The .deb files land in OUTDIR
# (default build/deb/); the build log in build/deb/build.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
stage=$top/build/deb/kcap-$ver

rm -rf "$stage"
mkdir -p "$stage" "$out"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
tar -C "$top" --exclude=./build --exclude=./.git --exclude=./debian -cf - . | tar -C "$stage" -xf -
cp -r "$top/packaging/debian" "$stage/debian"
cp "$top/packaging/systemd/kcap.service" "$stage/debian/kcap.service"
start=$(date +%s)
if ! (cd "$stage" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$top/build/deb/build.log" 2>&1; then
	grep -E 'error|Error|dh_[a-z_]+: ' "$top/build/deb/build.log" | tail -15 >&2
	echo "deb.sh: dpkg-buildpackage failed, see build/deb/build.log" >&2
	exit 1
fi
mv "$top/build/deb"/*.deb "$top/build/deb"/*.buildinfo "$top/build/deb"/*.changes "$out/" 2>/dev/null || true
rm -rf "$stage"
echo "deb.sh: $(cd "$out" && ls ./*.deb | tr '\n' ' ')in ${out#"$top"/} ($(( $(date +%s) - start )) s)"
