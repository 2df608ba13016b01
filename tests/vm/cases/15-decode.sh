# SPDX-License-Identifier: Apache-2.0
# Decoded syscall events (ABI 2): every decoded field of a workload, a
# 32-bit program's calls as the same decoded types, and strace agreeing
# with kcap on the calls both saw; a syscall a ptrace tracer emulates
# (PTRACE_SYSEMU, as gVisor's ptrace platform does) is not recorded.
. /lib/tap.sh

# The workload connects over loopback.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
check "insmod kcap.ko" insmod $KO
run_tap decode_test events
run_tap decode_test ia32 /bin/ia32_workload
run_tap decode_test strace
run_tap decode_test sysemu
# An overlay (the kernel's overlayfs module, on a tmpfs) for exe_flags:
# one program on the lower layer, one copied up to the upper layer.
ovl=""
[ ! -f /lib/overlay.ko ] || grep -qw overlay /proc/filesystems || insmod /lib/overlay.ko
if grep -qw overlay /proc/filesystems; then
	o=/tmp/ovl
	mkdir -p $o && mount -t tmpfs tmpfs $o && mkdir $o/lower $o/upper $o/work $o/merged &&
		cp "$(command -v decode_test)" $o/lower/lower_exe &&
		mount -t overlay overlay -o lowerdir=$o/lower,upperdir=$o/upper,workdir=$o/work $o/merged &&
		cp "$(command -v decode_test)" $o/merged/upper_exe && ovl=$o/merged
	[ -n "$ovl" ] || fail "mount an overlay on a tmpfs"
else
	echo "# no overlayfs in this guest: $(cat /lib/overlay.none 2>/dev/null)"
fi
run_tap decode_test kobj $ovl
[ -z "$ovl" ] || { umount $o/merged; umount $o; }
check "rmmod kcap" rmmod kcap
