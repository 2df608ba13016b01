#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# kernels.sh: find the kernels of the matrix and their guest images.
#
#   kernels.sh resolve SPEC...   print "SUITE RELEASE" for each SPEC, where
#                                SPEC is "host", "all", a suite name
#                                (pseudo-suites "rt" and "debug" included) or
#                                a release prefix ("6.1", "5.10.0-35-amd64").
#                                Chroots (and the debug kernel) are made only
#                                when needed.
#   kernels.sh image RELEASE     print the path of RELEASE's guest vmlinuz,
#                                downloading the image package into the
#                                cache ($KCAP_CACHE/kernels/RELEASE/) once
#                                (debug: the bzImage of debug-kernel.sh).
#                                The package's overlayfs module is kept
#                                beside it as overlay.ko (the guest tests
#                                mount an overlay), or overlay.none says
#                                why there is none.
#
# Releases are never hard-coded: each suite's is what its installed
# linux-headers-amd64 depends on (rt: linux-headers-rt-amd64; debug: the
# version of the kernel source package, see debug_release in lib.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

host_release() {
	suite_release "$(host_suite)" ||
		die "linux-headers-amd64 is not installed: run packaging/build-deps.sh vm"
}

# Release of a suite, creating its chroot if asked to ($2 = create).
release_of() {
	local suite=$1 marker rel
	case "$suite" in
	"$(host_suite)")
		host_release
		return ;;
	rt)
		# Quick when the headers are installed.
		[ "${2:-}" != create ] || "$here/../../packaging/build-deps.sh" rt
		suite_release rt
		return ;;
	debug)
		if [ "${2:-}" = create ]; then
			# Quick when the cached build is current.
			"$here/debug-kernel.sh" build
			return
		fi
		rel=$(debug_release) || return 1
		[ -e "$(kernel_build_dir debug "$rel")/.kcap-ready" ] || return 1
		echo "$rel"
		return ;;
	esac
	marker=$(chroot_dir "$suite")/.kcap-ready
	if [ "${2:-}" = create ]; then
		# Quick when the chroot is complete and current.
		"$here/../../packaging/build-deps.sh" matrix
		"$here/chroot.sh" "$suite" || return 1
	fi
	[ -e "$marker" ] || return 1
	head -n 1 "$marker"
}

resolve_one() {
	local spec=$1 suite rel pass
	case "$spec" in
	host)
		echo "$(host_suite) $(host_release)"
		return ;;
	all)
		for suite in $KCAP_SUITES; do
			rel=$(release_of "$suite" create) || die "$suite: no kernel"
			echo "$suite $rel"
		done
		return ;;
	esac
	for suite in $KCAP_SUITES; do
		if [ "$spec" = "$suite" ]; then
			rel=$(release_of "$suite" create) || die "$suite: no kernel"
			echo "$suite $rel"
			return
		fi
	done
	# A release prefix: look at the kernels known without any download
	# first, then create missing chroots one by one until one matches.
	for pass in known create; do
		for suite in $KCAP_SUITES; do
			rel=$(release_of "$suite" "$pass") || continue
			case "$rel" in
			"$spec"|"$spec".*|"$spec"-*)
				echo "$suite $rel"
				return ;;
			esac
		done
	done
	die "no suite of [$KCAP_SUITES] has a kernel matching '$spec'"
}

# Suite whose kernel is RELEASE (the host's or an existing chroot's).
suite_of_release() {
	local suite
	for suite in $KCAP_SUITES; do
		if [ "$(release_of "$suite" 2>/dev/null)" = "$1" ]; then
			echo "$suite"
			return
		fi
	done
	return 1
}

# Keep RELEASE's overlayfs module from the unpacked packages under $1 as
# $2/overlay.ko (decompressed), or say why not in $2/overlay.none.
keep_overlay() {
	local x=$1 dest=$2 ko
	ko=$(find "$x" -type f -path "*/fs/overlayfs/overlay.ko*" | head -1)
	case "$ko" in
	"") echo "no overlay.ko in the kernel's packages" >"$dest/overlay.none"; return ;;
	*.xz) xz -dc "$ko" >"$dest/overlay.ko.tmp" ;;
	*.zst) zstd -qdc "$ko" >"$dest/overlay.ko.tmp" ;;
	*) cp "$ko" "$dest/overlay.ko.tmp" ;;
	esac
	mv "$dest/overlay.ko.tmp" "$dest/overlay.ko"
}

fetch_image() {
	local rel=$1 dest=$KCAP_CACHE/kernels/$1 suite root pkg img
	# One fetch per release at a time: make test's guest matrix and its
	# Falco test (and make bench) may ask for the same kernel at once.
	mkdir -p "$KCAP_CACHE/kernels"
	exec 9>"$KCAP_CACHE/kernels/.lock-$rel"
	flock 9
	if [ -s "$dest/vmlinuz" ] && { [ -s "$dest/overlay.ko" ] || [ -s "$dest/overlay.none" ]; }; then
		echo "$dest/vmlinuz"
		return
	fi
	suite=$(suite_of_release "$rel") || die "$rel: not the kernel of any prepared suite"
	if [ "$suite" = debug ]; then
		"$here/debug-kernel.sh" build >/dev/null
		[ -s "$dest/overlay.ko" ] ||
			echo "the debug kernel's config has no CONFIG_OVERLAY_FS" >"$dest/overlay.none"
		echo "$dest/vmlinuz"
		return
	fi
	root=$(suite_root "$suite")
	work=$(mktemp -d "$root/tmp/kcap-image.XXXXXX")
	trap 'rm -rf "${work:-}"' EXIT
	# 5.10 to 6.12 ship the image and modules in linux-image-REL-unsigned;
	# newer kernels the image in linux-binary-REL and the modules in
	# linux-modules-REL. Take the first that the suite has.
	for pkg in "linux-image-$rel-unsigned" "linux-binary-$rel" "linux-image-$rel"; do
		if in_suite "$suite" sh -c \
			"cd '/${work#"$root"}' && apt-get download -q '$pkg'" \
			>"$work/download.log" 2>&1; then
			break
		fi
		pkg=""
	done
	[ -n "$pkg" ] || die "$rel: no image package found ($(tail -1 "$work/download.log"))"
	if [ "$pkg" = "linux-binary-$rel" ]; then
		in_suite "$suite" sh -c "cd '/${work#"$root"}' && apt-get download -q 'linux-modules-$rel'" \
			>>"$work/download.log" 2>&1 || true
	fi
	in_suite "$suite" sh -c "cd '/${work#"$root"}' && for d in ./*.deb; do dpkg-deb -x \$d x; done" ||
		die "$rel: cannot unpack $pkg"
	img=$(find "$work/x" -type f \( -name "vmlinuz-$rel" -o -path "*/modules/$rel/vmlinuz" \) | head -1)
	[ -n "$img" ] || die "$rel: $pkg holds no vmlinuz"
	mkdir -p "$dest"
	# The kernel's config, when the package has it (boot/config-RELEASE).
	find "$work/x" -type f -name "config-$rel" -exec cp {} "$dest/config" \; -quit
	keep_overlay "$work/x" "$dest"
	if [ ! -s "$dest/vmlinuz" ]; then
		cp "$img" "$dest/vmlinuz.tmp"
		echo "$pkg" >"$dest/package"
		mv "$dest/vmlinuz.tmp" "$dest/vmlinuz"
	fi
	log "$rel: guest image from $pkg"
	echo "$dest/vmlinuz"
}

case "${1:-}" in
resolve)
	shift
	[ $# -gt 0 ] || set -- host
	for spec in $*; do
		resolve_one "$spec"
	done | awk '!seen[$0]++' ;;
image)
	[ $# -eq 2 ] || die "usage: kernels.sh image RELEASE"
	fetch_image "$2" ;;
*)
	die "usage: kernels.sh resolve SPEC... | image RELEASE" ;;
esac
