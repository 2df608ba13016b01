#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# build-deps.sh [host|vm|rt|debug|matrix|bench|pkg]...: install the Debian packages kcap needs.
#   host    build libkcap, the CLI and the unit tests (default; groff checks
#           the man pages); make test-export (protoc --decode, /usr/bin/python3
#           with python3-protobuf); runsc (gVisor) for make test-gvisor;
#           nats-server and libnats-dev (the NATS JetStream client) for the
#           fleet transport and make test-fleet
#   vm      build kcap.ko for the host's kernel and boot it in a QEMU guest
#   rt      the same for Debian's PREEMPT_RT kernel (its headers)
#   debug   build the debug kernel from Debian's kernel source (tests/vm/
#           debug-kernel.sh) and kcap.ko for it
#   matrix  build and boot kcap.ko for every kernel of the matrix: other
#           Debian suites' kernels, rt and debug
#   bench   `make bench`: the peer (scap module via DKMS, sysdig), valgrind
#   pkg     `make deb`, `make test-pkg`: DKMS, signing, Debian packaging, lintian
# Each set includes the previous ones. Only missing packages are installed
# (apt-get update runs only then); nothing is printed when all are present.
set -euo pipefail

HOST_PKGS="gcc gcc-multilib libc6-dev linux-libc-dev make pkg-config libcmocka-dev libzstd-dev libelf-dev
	protobuf-c-compiler libprotobuf-c-dev protobuf-compiler python3 python3-protobuf zstd
	zlib1g-dev clang libclang-rt-dev libyaml-dev libjansson-dev groff-base libseccomp-dev apparmor runsc
	nats-server libnats-dev jq bc"
VM_PKGS="qemu-system-x86 busybox-static cpio linux-headers-amd64 sparse runc crun
	dwarves kmod stress-ng"
RT_PKGS="linux-headers-rt-amd64"
DEBUG_PKGS="linux-source-6.1 bc bison flex libssl-dev libelf-dev openssl xz-utils"
MATRIX_PKGS="debootstrap $RT_PKGS $DEBUG_PKGS"
BENCH_PKGS="dkms falcosecurity-scap-dkms sysdig valgrind gzip"
PKG_PKGS="dkms dh-dkms debhelper dpkg-dev fakeroot lintian openssl python3-yaml systemd g++"

want=""
[ $# -gt 0 ] || set -- host
for set in "$@"; do
	case "$set" in
	host) want="$want $HOST_PKGS" ;;
	vm) want="$want $HOST_PKGS $VM_PKGS" ;;
	rt) want="$want $HOST_PKGS $VM_PKGS $RT_PKGS" ;;
	debug) want="$want $HOST_PKGS $VM_PKGS $DEBUG_PKGS" ;;
	matrix) want="$want $HOST_PKGS $VM_PKGS $MATRIX_PKGS" ;;
	bench) want="$want $HOST_PKGS $VM_PKGS $BENCH_PKGS" ;;
	pkg) want="$want $HOST_PKGS $VM_PKGS $PKG_PKGS" ;;
	*) echo "usage: build-deps.sh [host|vm|rt|debug|matrix|bench|pkg]..." >&2; exit 2 ;;
	esac
done

missing=""
for pkg in $want; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) || status=""
	[ "$status" = installed ] || case " $missing " in
		*" $pkg "*) ;;
		*) missing="$missing $pkg" ;;
		esac
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "build-deps.sh: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "build-deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! apt-get update -q >"$log" 2>&1 ||
   ! apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; then
	echo "build-deps.sh: apt-get failed installing$missing: $(grep -E '^(E|W):' "$log" | head -1)" >&2
	exit 1
fi
