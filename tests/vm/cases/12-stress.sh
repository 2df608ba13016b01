# SPDX-License-Identifier: Apache-2.0
# The ring protocol under concurrency: one pinned writer per CPU, a reader
# draining 64 KiB rings at the same time; exact accounting, no corruption.
. /lib/tap.sh

check "insmod kcap.ko" insmod $KO
run_tap stress_test 20000
check "rmmod kcap" rmmod kcap
