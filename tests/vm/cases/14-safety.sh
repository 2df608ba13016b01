# SPDX-License-Identifier: Apache-2.0
# Node safety: what a reader can do to the driver through the device file
# (tail flips, an ioctl faulting while another thread maps, mapping flags,
# rings larger than memory), and exec/capset/ia32 events that were lost,
# mistyped or read past their arguments. Each check failed before the fix.
. /lib/tap.sh

check "insmod kcap.ko" insmod $KO
run_tap safety_test tailflip 3
run_tap safety_test ioctlmmap
run_tap safety_test mapflags
run_tap exec_test matrix
run_tap exec_test capset
run_tap exec_test ia32enter
run_tap safety_test bigring
run_tap safety_test lateonline
rmdir /sys/fs/cgroup/kcap-safety 2>/dev/null
if dmesg | grep -qiE 'oom-kill|out of memory|page allocation failure'; then
	fail "no OOM kill or allocation-failure splat"
	dmesg | grep -iE 'oom|allocation' | head -5 | sed 's/^/# /'
else
	pass "no OOM kill or allocation-failure splat"
fi
check "rmmod kcap" rmmod kcap
