#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# build-module.sh [--check] SUITE RELEASE: build kcap.ko for one kernel.
#
# Copies Kbuild, driver/ and include/ into build/kmod/RELEASE/ and runs the
# kernel's Kbuild there with W=1 (--check: in build/kmod-check/RELEASE/ with
# C=1, sparse). The host's suite and the pseudo-suites rt and debug (the
# debug kernel's tree in the cache) build on the host; any other suite builds
# inside its chroot (with /proc mounted), with that suite's compiler. Any
# compiler or sparse warning fails the build. Log: build.log next to kcap.ko.
# KCAP_KMOD_DIR: another directory than build/kmod (a private copy for a
# test that runs beside the guest matrix, which rebuilds build/kmod).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
src=${KCAP_MODULE_SRC:-$top}

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
[ $# -eq 2 ] || die "usage: build-module.sh [--check] SUITE RELEASE"
suite=$1 rel=$2

if [ $check = 1 ]; then
	out=$top/build/kmod-check/$rel
	flags="W=1 C=1"
else
	out=${KCAP_KMOD_DIR:-$top/build/kmod}/$rel
	flags="W=1"
fi
root=$(suite_root "$suite")
headers=$(kernel_build_dir "$suite" "$rel")
[ -d "$root$headers" ] || die "$rel: no kernel build directory at $headers in the $suite system"
for f in Kbuild driver include; do
	[ -e "$src/$f" ] || die "$src/$f missing"
done

# Kbuild's compiler probes compile /dev/null: if something replaced it
# with a regular file holding output, every probe fails and modules come
# out without the kernel's flags (KASAN's shadow offset, retpolines).
[ -c /dev/null ] ||
	die "/dev/null is not a character device (something replaced it): restore it with 'rm /dev/null; mknod -m 666 /dev/null c 1 3'"
rm -rf "$out"
mkdir -p "$out"
cp -a "$src/Kbuild" "$src/driver" "$src/include" "$out/"

if [ "$root" = / ]; then
	dir=$out
else
	# The chroot cannot see the repository: build in a copy inside it,
	# one per build (several checkouts may build for one kernel at once).
	dir=/tmp/kcap-kmod/$rel.$$
	rm -rf "$root$dir"
	mkdir -p "$root$dir"
	cp -a "$out/." "$root$dir/"
fi

start=$(date +%s)
rc=0
# Kbuild runs its own jobs: not a calling make's jobserver (under make -j
# it would only warn "jobserver unavailable", which counts as a warning).
unset MAKEFLAGS MFLAGS MAKELEVEL
kbuild() {
	with_proc "$suite" in_suite "$suite" make -C "$headers" M="$dir" $flags "$@"
}
kbuild modules >"$out/build.log" 2>&1 || rc=$?
# A KASAN kernel's module must be compiled with the kernel's shadow offset.
# Once (debug kernel, a busy machine) Kbuild's cc-option probe of
# -fasan-shadow-offset failed and it fell back to a bare
# -fsanitize=kernel-address: the module then faulted on its first stack
# access in the guest. Checked here, and rebuilt once if so.
kasan_ok() {
	! grep -q '^CONFIG_KASAN_GENERIC=y' "$root$headers/.config" 2>/dev/null ||
		grep -qE 'fasan-shadow-offset|asan-mapping-offset' "$root$dir/driver/.probes.o.cmd" 2>/dev/null
}
if [ $rc = 0 ] && ! kasan_ok; then
	log "$rel: kcap.ko compiled without KASAN's shadow offset (Kbuild's cc-option probe failed): rebuilding"
	kbuild clean >/dev/null 2>&1 || true
	kbuild modules >"$out/build.log" 2>&1 || rc=$?
	kasan_ok || { rc=1; echo "error: KASAN kernel, but kcap.ko was compiled without -fasan-shadow-offset" >>"$out/build.log"; }
fi
if [ "$root" != / ]; then
	cp "$root$dir/kcap.ko" "$out/" 2>/dev/null || true
	rm -rf "$root$dir"
fi
secs=$(( $(date +%s) - start ))
what="kcap.ko for $rel ($suite, $flags)"

if [ $rc -ne 0 ] || [ ! -s "$out/kcap.ko" ]; then
	grep -E 'error|warning:' "$out/build.log" | head -20 >&2 || true
	die "$what: build failed, see ${out#"$top"/}/build.log"
fi
if grep -qE '(warning|error):' "$out/build.log"; then
	grep -E '(warning|error):' "$out/build.log" | head -20 >&2
	rm -f "$out/kcap.ko"
	die "$what: $(grep -cE '(warning|error):' "$out/build.log") warning(s), see ${out#"$top"/}/build.log"
fi
log "$what: ok in ${secs} s"
