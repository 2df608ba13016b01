#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# chroot.sh SUITE: create (once) a minimal chroot of a Debian suite under
# $KCAP_CACHE/chroots/SUITE with that suite's kernel headers and compiler,
# for building kcap.ko against the suite's kernel. A complete chroot carries
# the marker file .kcap-ready; a chroot without it is half-made (interrupted)
# and is removed and created again. Safe to run concurrently for different
# suites; runs for the same suite are serialised with a lock.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: chroot.sh SUITE"
suite=$1
[ "$suite" != "$(host_suite)" ] || exit 0
dir=$(chroot_dir "$suite")
marker=$dir/.kcap-ready

mkdir -p "$KCAP_CACHE/chroots"
exec 9>"$KCAP_CACHE/chroots/.$suite.lock"
flock 9
# The marker's first line is the kernel release, its second the package
# list installed: a chroot made with an older list gets the new packages.
if [ -e "$marker" ]; then
	[ "$(sed -n 2p "$marker")" != "pkgs $KCAP_CHROOT_PKGS" ] || exit 0
	log "$suite: installing $KCAP_CHROOT_PKGS into the existing chroot"
	mount -t proc proc "$dir/proc"
	trap 'umount "$dir/proc" 2>/dev/null || true' EXIT INT TERM
	in_suite "$suite" apt-get install -y -q --no-install-recommends $KCAP_CHROOT_PKGS \
		>>"$KCAP_CACHE/chroots/.$suite.log" 2>&1 ||
		die "$suite: apt-get install failed, see $KCAP_CACHE/chroots/.$suite.log"
	printf '%s\npkgs %s\n' "$(head -n 1 "$marker")" "$KCAP_CHROOT_PKGS" >"$marker"
	exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap missing: run packaging/build-deps.sh matrix"

cleanup() {
	for m in proc sys dev/pts; do
		umount "$dir/$m" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM

start=$(date +%s)
if [ -e "$dir" ]; then
	log "$suite: removing half-made chroot"
	cleanup
	rm -rf --one-file-system "$dir"
fi
log "$suite: debootstrap (minbase)"
debootstrap --variant=minbase "$suite" "$dir" >"$KCAP_CACHE/chroots/.$suite.log" 2>&1 ||
	die "$suite: debootstrap failed, see $KCAP_CACHE/chroots/.$suite.log"
mount -t proc proc "$dir/proc"
log "$suite: installing $KCAP_CHROOT_PKGS"
in_suite "$suite" apt-get install -y -q --no-install-recommends $KCAP_CHROOT_PKGS \
	>>"$KCAP_CACHE/chroots/.$suite.log" 2>&1 ||
	die "$suite: apt-get install failed, see $KCAP_CACHE/chroots/.$suite.log"
in_suite "$suite" apt-get clean
umount "$dir/proc"
rel=$(suite_release "$suite") || die "$suite: no kernel release found"
printf '%s\npkgs %s\n' "$rel" "$KCAP_CHROOT_PKGS" >"$marker"
log "$suite: ready, kernel $rel, $(( $(date +%s) - start )) s"
