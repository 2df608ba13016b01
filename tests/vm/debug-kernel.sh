#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# debug-kernel.sh build: build the matrix's debug kernel (suite "debug") once
# and print its release; quick when the cached build is current.
#
# Source: Debian's $KCAP_DEBUG_SOURCE (linux-source-6.1), unpacked into
# $KCAP_CACHE/kernels/RELEASE/build/. Config: x86_64_defconfig, then
# kvm_guest.config, then debug-kernel.config (lockdep, KASAN, UBSAN, KFENCE,
# atomic-sleep and list checks, what the guest and kcap need); every line of
# debug-kernel.config is checked in the final .config. The release is the
# source's version with "-kcapdebug" (debug_release in lib.sh). The tree
# stays as the build directory of kcap.ko (make -C TREE M=...); its
# bzImage is copied to $KCAP_CACHE/kernels/RELEASE/vmlinuz. Build log:
# $KCAP_CACHE/kernels/RELEASE/build.log. Delete the directory to rebuild.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

[ "${1:-}" = build ] && [ $# -eq 1 ] || die "usage: debug-kernel.sh build"
"$here/../../packaging/build-deps.sh" debug
rel=$(debug_release) || die "$KCAP_DEBUG_SOURCE is not installed: run packaging/build-deps.sh debug"
version=$(dpkg-query -W -f='${Version}' "$KCAP_DEBUG_SOURCE")
kdir=$KCAP_CACHE/kernels/$rel
tree=$kdir/build
fragment=$here/debug-kernel.config
tarball=/usr/src/$KCAP_DEBUG_SOURCE.tar.xz
stamp="$rel $KCAP_DEBUG_SOURCE $version $(sha256sum <"$fragment" | cut -d' ' -f1)"

if [ -s "$kdir/vmlinuz" ] && [ "$(cat "$tree/.kcap-ready" 2>/dev/null)" = "$stamp" ]; then
	echo "$rel"
	exit 0
fi
[ -f "$tarball" ] || die "$tarball missing ($KCAP_DEBUG_SOURCE $version)"
mkdir -p "$kdir"
buildlog=$kdir/build.log
: >"$buildlog"
run() {
	"$@" >>"$buildlog" 2>&1 || die "$rel: '$*' failed, see $buildlog"
}

# An interrupted unpack is started again; an unpacked tree is reused (a
# changed debug-kernel.config rebuilds incrementally).
if [ ! -e "$tree/.kcap-unpacked" ]; then
	rm -rf "$tree" "$kdir/unpack"
	mkdir -p "$kdir/unpack"
	run tar -xJf "$tarball" -C "$kdir/unpack"
	mv "$kdir/unpack/$KCAP_DEBUG_SOURCE" "$tree"
	rmdir "$kdir/unpack"
	touch "$tree/.kcap-unpacked"
fi
rm -f "$tree/.kcap-ready"

kmake() {
	run nice -n 10 make -C "$tree" -j2 "$@"
}
kmake x86_64_defconfig
kmake kvm_guest.config
run "$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$fragment"
kmake olddefconfig

bad=""
while read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$tree/.config" || bad="$bad ${line%%=*}" ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" "$tree/.config" || bad="$bad $opt(set)" ;;
	esac
done <"$fragment"
[ -z "$bad" ] || die "$rel: debug-kernel.config not honoured in .config:$bad"

log "building debug kernel $rel ($KCAP_DEBUG_SOURCE $version, nice -n 10 make -j2; about 20+ min fresh), log: $buildlog"
start=$(date +%s)
kmake bzImage modules
got=$(cat "$tree/include/config/kernel.release")
[ "$got" = "$rel" ] || die "$rel: the tree's release is '$got'"
[ -s "$tree/Module.symvers" ] || die "$rel: no Module.symvers after the build"
cp "$tree/.config" "$kdir/config"
cp "$tree/arch/x86/boot/bzImage" "$kdir/vmlinuz.tmp"
mv "$kdir/vmlinuz.tmp" "$kdir/vmlinuz"
echo "$KCAP_DEBUG_SOURCE $version (debug-kernel.config)" >"$kdir/package"
echo "$stamp" >"$tree/.kcap-ready"
log "$rel: built in $(( $(date +%s) - start )) s"
echo "$rel"
