# SPDX-License-Identifier: Apache-2.0
# The module loads, creates /dev/kcap 0600, passes the spine tests, unloads.
. /lib/tap.sh

check "insmod kcap.ko" insmod $KO
if [ -c /dev/kcap ]; then
	pass "/dev/kcap is a character device"
else
	fail "/dev/kcap is a character device"
fi
mode=$(ls -l /dev/kcap 2>/dev/null | cut -c1-10)
if [ "$mode" = "crw-------" ]; then
	pass "/dev/kcap mode is 0600"
else
	fail "/dev/kcap mode is 0600 (got '$mode')"
fi
run_tap spine_test events
run_tap spine_test ioctl
run_tap spine_test hotplug
check "rmmod kcap" rmmod kcap
