# SPDX-License-Identifier: Apache-2.0
#
# Shared helpers for the guest-kernel lab scripts (sourced, not run).
# Every suite but the host's own is served from a cached debootstrap chroot.

KCAP_CACHE=${KCAP_CACHE:-/var/cache/kcap}
# Suites of the kernel matrix, oldest first, then two pseudo-suites of the
# host: "rt" (Debian's PREEMPT_RT kernel, linux-headers-rt-amd64) and "debug"
# (built from linux-source-6.1 with lockdep, KASAN, UBSAN, KFENCE:
# debug-kernel.sh). The host's suite and the pseudo-suites need no chroot.
KCAP_SUITES=${KCAP_SUITES:-"bullseye bookworm trixie sid rt debug"}
# Source package of the debug kernel.
KCAP_DEBUG_SOURCE=${KCAP_DEBUG_SOURCE:-linux-source-6.1}
# Packages a suite's chroot needs to build kcap.ko against its kernel.
# perl: W=1 runs scripts/kernel-doc, which needs Pod::Usage (6.12).
KCAP_CHROOT_PKGS="linux-headers-amd64 dwarves make gcc perl"

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

log() {
	echo "[$(basename "$0")] $*" >&2
}

# split_exports EXPORTS DIR LABEL: a guest's second serial port (EXPORTS)
# holds "KCAP-EXPORT NAME SIZE" lines, each followed by SIZE raw bytes (sent by
# export_file in tap.sh); write each file to DIR/NAME. A malformed record
# ends the split with a log line naming LABEL and the byte offset.
split_exports() {
	local exports=$1 dir=$2 label=$3 off=0 total line tag name size hlen
	total=$(stat -c %s "$exports")
	mkdir -p "$dir"
	while [ "$off" -lt "$total" ]; do
		# (tail gets SIGPIPE from head: not an error here)
		line=$(tail -c +$((off + 1)) "$exports" | head -n 1) || true
		read -r tag name size <<<"$line" || true
		if [ "$tag" != KCAP-EXPORT ] || [[ ! "$name" =~ ^[A-Za-z0-9._-]+$ ]] ||
		   [[ ! "$size" =~ ^[0-9]+$ ]]; then
			log "$label: export stream: bad record at byte $off"
			return
		fi
		hlen=$(( ${#line} + 1 ))
		tail -c +$((off + hlen + 1)) "$exports" | head -c "$size" >"$dir/$name" || true
		off=$((off + hlen + size))
	done
}

host_suite() {
	. /etc/os-release
	echo "${VERSION_CODENAME}"
}

chroot_dir() {
	echo "$KCAP_CACHE/chroots/$1"
}

# Whether a suite's kernel is served by the host itself: its own suite and
# the pseudo-suites rt and debug.
on_host() {
	[ "$1" = "$(host_suite)" ] || [ "$1" = rt ] || [ "$1" = debug ]
}

# Root directory holding a suite's system: / for the host's suites.
suite_root() {
	if on_host "$1"; then
		echo /
	else
		chroot_dir "$1"
	fi
}

# Run a command in a suite's system (the host itself for the host's suite).
in_suite() {
	local suite=$1
	shift
	if on_host "$suite"; then
		"$@"
	else
		chroot "$(chroot_dir "$suite")" /usr/bin/env -i \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
			DEBIAN_FRONTEND=noninteractive "$@"
	fi
}

# Release of the debug kernel: the version of the installed source package
# with "-kcapdebug" ("6.1.192-kcapdebug"), whether built yet or not.
debug_release() {
	local v
	v=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$KCAP_DEBUG_SOURCE" \
		2>/dev/null) || return 1
	case "$v" in
	"installed "?*) echo "${v#installed }" | sed 's/-[^-]*$//; s/$/-kcapdebug/' ;;
	*) return 1 ;;
	esac
}

# Kernel release that the suite's linux-headers-amd64 (rt: linux-headers-
# rt-amd64) depends on, e.g. "6.1.0-56-amd64", read from the installed
# package; debug: debug_release.
suite_release() {
	local deps dep meta=linux-headers-amd64
	case "$1" in
	debug) debug_release; return ;;
	rt) meta=linux-headers-rt-amd64 ;;
	esac
	deps=$(in_suite "$1" dpkg-query -W -f='${Depends}' "$meta" \
		2>/dev/null) || return 1
	for dep in ${deps//,/ }; do
		case "$dep" in
		linux-headers-*)
			echo "${dep#linux-headers-}"
			return ;;
		esac
	done
	return 1
}

# Kbuild directory of a suite's kernel RELEASE, inside the suite's system:
# its headers package, or the debug kernel's tree in the cache.
kernel_build_dir() {
	if [ "$1" = debug ]; then
		echo "$KCAP_CACHE/kernels/$2/build"
	else
		echo "/usr/src/linux-headers-$2"
	fi
}

# Compiler that built a suite's kernel, and that Kbuild uses for modules
# ("gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0").
suite_cc() {
	sed -n 's/^#define CONFIG_CC_VERSION_TEXT "\(.*\)"$/\1/p' \
		"$(suite_root "$1")$(kernel_build_dir "$1" "$2")/include/generated/autoconf.h" \
		2>/dev/null | grep . || echo unknown
}

# Mount /proc in a chroot for the duration of a command and unmount it
# afterwards, whatever happens (7.2's objtool reads /proc).
with_proc() {
	local suite=$1 dir rc=0
	shift
	if on_host "$suite"; then
		"$@"
		return
	fi
	dir=$(chroot_dir "$suite")
	mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
	trap 'umount "'"$dir"'/proc" 2>/dev/null' EXIT INT TERM
	"$@" || rc=$?
	umount "$dir/proc" 2>/dev/null || true
	trap - EXIT INT TERM
	return $rc
}

# add_bin FILE NAME: install a program as /bin/NAME in the initramfs tree
# $root (set by the caller), with the shared libraries it links.
add_bin() {
	local lib
	cp "$1" "$root/bin/$2"
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
