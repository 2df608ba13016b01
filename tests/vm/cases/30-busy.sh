# SPDX-License-Identifier: Apache-2.0
# The module cannot be removed while a reader holds /dev/kcap.
. /lib/tap.sh

check "insmod kcap.ko" insmod $KO
if ! command -v spine_test >/dev/null; then
	fail "spine_test hold (program not in the guest)"
	rmmod kcap
	exit 0
fi
spine_test hold 6 >/tmp/hold.out 2>&1 &
holder=$!
if wait_for /tmp/hold.out holding 30; then
	pass "spine_test hold opened /dev/kcap"
	if rmmod kcap 2>/tmp/err; then
		fail "rmmod kcap refused while held"
	else
		pass "rmmod kcap refused while held"
	fi
	if loaded; then
		pass "module still loaded while held"
	else
		fail "module still loaded while held"
	fi
else
	fail "spine_test hold opened /dev/kcap"
	diag /tmp/hold.out
fi
wait $holder
st=$?
if [ $st -eq 0 ]; then
	pass "holder exited cleanly"
else
	fail "holder exited cleanly (status $st)"
	diag /tmp/hold.out
fi
check "rmmod kcap after the holder exits" rmmod kcap
