# SPDX-License-Identifier: Apache-2.0
# A kernel that requires signed modules (what a Secure Boot node does):
# kcap driver check says so, and loading the unsigned kcap.ko is refused
# with the signature explanation. The last case of the boot: it turns
# module.sig_enforce on at run time (the parameter can be switched on, never
# off), which is what booting with module.sig_enforce=1 sets, without a
# second boot of every kernel.
. /lib/tap.sh

loaded && rmmod kcap
if echo 1 >/sys/module/module/parameters/sig_enforce 2>/tmp/sig.err &&
   [ "$(cat /sys/module/module/parameters/sig_enforce)" = Y ]; then
	pass "module.sig_enforce switched on (Y)"
else
	fail "module.sig_enforce could not be switched on"
	diag /tmp/sig.err
	exit 0
fi

kcap driver check --module $KO >/tmp/chk.out 2>&1
st=$?
if [ $st -eq 1 ] && grep -q '^policy: *sig_enforce=yes' /tmp/chk.out &&
   grep -q '^signing *MISMATCH: this kernel requires signed modules' /tmp/chk.out; then
	pass "driver check under sig_enforce: unsigned module flagged"
else
	fail "driver check under sig_enforce (status $st)"
	diag /tmp/chk.out
fi
kcap driver load --module $KO >/tmp/ld.out 2>&1
st=$?
if [ $st -eq 1 ] && [ "$(wc -l </tmp/ld.out)" -eq 1 ] &&
   grep -q 'requires signed modules (module.sig_enforce=1) and the module is unsigned' /tmp/ld.out &&
   ! loaded; then
	pass "driver load under sig_enforce: refused, signature explained in one line"
else
	fail "driver load under sig_enforce (status $st)"
	diag /tmp/ld.out
fi
diag /tmp/ld.out
loaded && rmmod kcap
true
