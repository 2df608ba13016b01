# SPDX-License-Identifier: Apache-2.0
# Decoded syscall events (ABI 2): every decoded field of a workload, a
# 32-bit program's calls as the same decoded types, and strace agreeing
# with kcap on the calls both saw.
. /lib/tap.sh

# The workload connects over loopback.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
check "insmod kcap.ko" insmod $KO
run_tap decode_test events
run_tap decode_test ia32 /bin/ia32_workload
run_tap decode_test strace
run_tap decode_test kobj
check "rmmod kcap" rmmod kcap
