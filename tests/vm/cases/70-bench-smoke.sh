# SPDX-License-Identifier: Apache-2.0
# kcap-case-not-on: debug
# The workloads of `make bench` (tests/bench/kbench.c) once at tiny sizes, so
# that the benchmark's code keeps working; no timing is checked here.
. /lib/tap.sh

ifconfig lo 127.0.0.1 up 2>/dev/null || ip link set lo up 2>/dev/null
for w in $(kbench list | cut -f1); do
	if kbench run smoke "$w" 5 >/tmp/kb.out 2>&1 && grep -q "^RESULT kind=run cfg=smoke wl=$w " /tmp/kb.out; then
		pass "kbench run $w"
	else
		fail "kbench run $w"
		diag /tmp/kb.out
	fi
done
check "insmod kcap.ko" insmod $KO
# Producer only: every getppid of the timed process captured, no drops.
kbench producer getppid 200 1M >/tmp/kb.out 2>&1
line=$(grep '^RESULT kind=capture' /tmp/kb.out)
calls=$(echo "$line" | sed -n 's/.* wl_calls=\([0-9]*\).*/\1/p')
want=$(echo "$line" | sed -n 's/.* wl_expected=\([0-9]*\).*/\1/p')
if [ -n "$calls" ] && [ "$calls" = "$want" ]; then
	pass "kbench producer getppid: $calls of $want calls captured"
else
	fail "kbench producer getppid: ${calls:-?} of ${want:-?} calls captured"
	diag /tmp/kb.out
fi
# Four sessions at once (ABI 2.3), then one plus a getsid-only one: the
# first session still gets every call, and kbench says on stderr if another
# session saw a different count ("session N saw ...").
for a in "4 same" "2 small"; do
	kbench producer getppid 200 1M $a >/tmp/kb.out 2>&1
	line=$(grep '^RESULT kind=capture' /tmp/kb.out)
	calls=$(echo "$line" | sed -n 's/.* wl_calls=\([0-9]*\).*/\1/p')
	want=$(echo "$line" | sed -n 's/.* wl_expected=\([0-9]*\).*/\1/p')
	if [ -n "$calls" ] && [ "$calls" = "$want" ] && ! grep -q 'saw' /tmp/kb.out; then
		pass "kbench producer getppid, sessions $a: $calls of $want calls captured in each"
	else
		fail "kbench producer getppid, sessions $a: ${calls:-?} of ${want:-?} calls captured"
		diag /tmp/kb.out
	fi
done
# An overloaded 64 KiB ring: captured + lost adds up to generated.
# 2 x 3000 getppid records (40 bytes each, 240 KiB) overflow even two 64 KiB rings.
# kbench counts only its workload's processes' events (lifecycle events
# come from every process, kernel threads too) and says how many they made.
kbench dropproof 64M 2 3000 >/tmp/ref.out 2>&1
kbench dropproof 64K 2 3000 >/tmp/drop.out 2>&1
val() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$2"; }
gen=$(val generated /tmp/drop.out)
ref=$(val events /tmp/ref.out)
got=$(val events /tmp/drop.out)
full=$(val drop_full /tmp/drop.out)
fullp=$(val drop_full_protected /tmp/drop.out)
other="not the workload's: $(val others /tmp/ref.out) and $(val others /tmp/drop.out) events"
if [ -n "$gen" ] && [ "$ref" = "$gen" ] && [ "$(val drop_full /tmp/ref.out)" = 0 ]; then
	pass "kbench dropproof: large ring got all $ref of $gen events ($other)"
	grep -h "not the workload's" /tmp/ref.out /tmp/drop.out | sed 's/^/# /'
else
	fail "kbench dropproof: large ring got ${ref:-?} of ${gen:-?} events"
	diag /tmp/ref.out
fi
if [ -n "$gen" ] && [ -n "$got" ] && [ "$full" -gt 0 ] 2>/dev/null; then
	pass "kbench dropproof: ring overloaded ($got of $gen events, $full + $fullp dropped)"
else
	fail "kbench dropproof ran"
	diag /tmp/drop.out
fi
# Exact accounting: every generated event is captured or counted as lost,
# and the lifecycle events (protected) all survive the overload.
lc() { sed -n "s/.* forks=\([0-9]*\) execs=\([0-9]*\) exits=\([0-9]*\).*/\1 \2 \3/p" "$1"; }
if [ -n "$gen" ] && [ "$((got + full + fullp))" = "$gen" ] 2>/dev/null; then
	pass "kbench dropproof: captured + dropped = generated ($got + $full + $fullp = $gen)"
else
	fail "kbench dropproof: captured + dropped = generated (${got:-?} + ${full:-?} + ${fullp:-?} != ${gen:-?})"
	diag /tmp/drop.out
fi
if [ -n "$(lc /tmp/ref.out)" ] && [ "$(lc /tmp/drop.out)" = "$(lc /tmp/ref.out)" ] && [ "$fullp" = 0 ]; then
	pass "kbench dropproof: every fork, exec and exit survived ($(lc /tmp/drop.out))"
else
	fail "kbench dropproof: lifecycle events lost ($(lc /tmp/drop.out) vs $(lc /tmp/ref.out))"
	diag /tmp/ref.out
	diag /tmp/drop.out
fi
rmmod kcap
