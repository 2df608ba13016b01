# SPDX-License-Identifier: Apache-2.0
# kcap driver check|load|status|unload: the module loader and its
# explanations, on a good module, one built for another kernel of the
# matrix (/lib/kcap-other.ko, when the lab has one) and damaged files.
. /lib/tap.sh

rel=$(uname -r)
loaded && rmmod kcap

kcap driver check --module $KO >/tmp/chk.out 2>&1
st=$?
if [ $st -eq 0 ] && grep -q "^kernel *ok: built for $rel" /tmp/chk.out &&
   grep -q '^abi *ok' /tmp/chk.out && grep -q '^result: *can load here' /tmp/chk.out; then
	pass "driver check: kernel $rel and ABI match, can load"
else
	fail "driver check --module $KO (status $st)"
	diag /tmp/chk.out
fi
grep -q '^signature: *unsigned' /tmp/chk.out && pass "driver check: reports the module unsigned" ||
	fail "driver check: signature line"

kcap driver status >/tmp/st.out 2>&1
st=$?
if [ $st -eq 1 ] && grep -q '^driver: *not loaded' /tmp/st.out; then
	pass "driver status before load: not loaded, status 1"
else
	fail "driver status before load (status $st)"
	diag /tmp/st.out
fi

check "driver load --module $KO --param ring_size=1048576" \
	kcap driver load --module $KO --param ring_size=1048576
kcap driver status >/tmp/st.out 2>&1
st=$?
if [ $st -eq 0 ] && grep -qE '^driver: *loaded, version [0-9]+\.[0-9]+' /tmp/st.out &&
   grep -q '^abi: *\([0-9.]*\) (libkcap \1)' /tmp/st.out &&
   grep -q 'ring_size=1048576' /tmp/st.out && grep -q '^holder: *none' /tmp/st.out &&
   grep -qE '^0 +yes ' /tmp/st.out; then
	pass "driver status: loaded, version, ring_size parameter, free device, per-CPU rows"
else
	fail "driver status after load (status $st)"
	diag /tmp/st.out
fi

kcap driver load --module $KO >/tmp/ld.out 2>&1
st=$?
if [ $st -eq 1 ] && [ "$(wc -l </tmp/ld.out)" -eq 1 ] &&
   grep -qE 'already loaded \(version [0-9]+\.[0-9.]*, srcversion' /tmp/ld.out; then
	pass "driver load twice: one line, already loaded with its version"
else
	fail "driver load twice (status $st)"
	diag /tmp/ld.out
fi

# Unload while a reader holds /dev/kcap: refused, naming the holder.
kcap record >/dev/null 2>&1 &
rec=$!
wait_for /sys/class/misc/kcap/holder kcap 10
kcap driver unload >/tmp/ul.out 2>&1
st=$?
kill -INT $rec
wait $rec
if [ $st -eq 1 ] && grep -q "in use: /dev/kcap is held by pid $rec" /tmp/ul.out; then
	pass "driver unload while recording: refused, names pid $rec"
else
	fail "driver unload while recording (status $st)"
	diag /tmp/ul.out
fi
check "driver unload" kcap driver unload
if loaded; then
	fail "kcap still in /proc/modules after unload"
	rmmod kcap
else
	pass "kcap gone from /proc/modules"
fi
kcap driver unload >/tmp/ul.out 2>&1
st=$?
[ $st -eq 1 ] && grep -q 'not loaded' /tmp/ul.out && pass "driver unload when not loaded: status 1" ||
	{ fail "driver unload when not loaded (status $st)"; diag /tmp/ul.out; }

# A module built for another kernel of the matrix.
if [ -f /lib/kcap-other.ko ]; then
	kcap driver check --module /lib/kcap-other.ko >/tmp/chk.out 2>&1
	st=$?
	if [ $st -eq 1 ] && grep -q "^kernel *MISMATCH: built for [^ ]*, running $rel" /tmp/chk.out &&
	   grep -q "dkms install kcap/VERSION -k $rel" /tmp/chk.out; then
		pass "driver check on a module for another kernel: vermagic mismatch and the fix"
	else
		fail "driver check on kcap-other.ko (status $st)"
		diag /tmp/chk.out
	fi
	kcap driver load --module /lib/kcap-other.ko >/tmp/ld.out 2>&1
	st=$?
	if [ $st -eq 1 ] && [ "$(wc -l </tmp/ld.out)" -eq 1 ] && ! loaded; then
		pass "driver load of the other kernel's module: refused in one line"
	else
		fail "driver load of kcap-other.ko (status $st)"
		diag /tmp/ld.out
	fi
	kcap driver load --force --module /lib/kcap-other.ko >/tmp/ld.out 2>&1
	st=$?
	if [ $st -eq 1 ] && grep -q 'Invalid module format' /tmp/ld.out && ! loaded; then
		pass "driver load --force of it: the kernel's ENOEXEC explained"
	else
		fail "driver load --force of kcap-other.ko (status $st)"
		diag /tmp/ld.out
	fi
	loaded && rmmod kcap
else
	pass "driver check on another kernel's module # SKIP no build/kmod for another kernel (make module KERNEL=all)"
fi

# Damaged files: one line on stderr, status 1, no crash.
size=$(wc -c <$KO)
head -c $((size / 2)) $KO >/tmp/half.ko
head -c 4096 $KO >/tmp/head.ko
head -c 65536 /dev/urandom >/tmp/garbage.ko
: >/tmp/empty.ko
for f in half head garbage empty; do
	kcap driver check --module /tmp/$f.ko >/tmp/chk.out 2>&1
	st=$?
	if [ $st -eq 1 ] && [ "$(wc -l </tmp/chk.out)" -eq 1 ] &&
	   grep -q "^kcap: /tmp/$f.ko: " /tmp/chk.out; then
		pass "driver check of a damaged module ($f): one-line error, status 1"
	else
		fail "driver check of a damaged module ($f) (status $st)"
		diag /tmp/chk.out
	fi
done
kcap driver load --force --module /tmp/half.ko >/tmp/ld.out 2>&1
st=$?
[ $st -eq 1 ] && ! loaded && pass "driver load of a truncated module: refused (status 1)" ||
	{ fail "driver load of a truncated module (status $st)"; diag /tmp/ld.out; }
loaded && rmmod kcap
true
