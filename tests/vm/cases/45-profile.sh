# SPDX-License-Identifier: Apache-2.0
# kcap-case-not-on: debug
# kcap-case-only-on: 6.1.0-[0-9][0-9]-amd64 6.1.0-[0-9][0-9][0-9]-amd64 7.*
# Profiles learned from a recording, proven by enforcing them (issue 16):
# profile_target's normal run is recorded with kcap and becomes an
# AppArmor profile and a seccomp filter (kcap profile). Enforced, the
# normal run succeeds with no denial; a deviating run (reads /etc/shadow,
# writes below /usr/bin, a TCP socket, runs a shell, makes a directory)
# gets EACCES for each deviation, with a DENIED line of the kernel for
# each, and `kcap profile check` on a recording of the same deviating run
# predicted exactly those. The same for the seccomp filter (installed by
# seccomp_run): a syscall the recording never made (mkdir) gets EPERM and
# the kernel's seccomp audit line; then the OCI JSON learnt from a runc
# container (--container) as linux.seccomp of Debian's runc, and a 32-bit
# program's filter. A helper run under Cx (--cx): the child profile
# nested in the learnt one confines it, and its own deviations are denied
# by the child, as the check predicted. Skipped where the kernel has no
# AppArmor. The recordings and profiles go to the host (host/45-profile.sh:
# apparmor_parser -Q, the same profiles from the host's kcap).
. /lib/tap.sh

T=/bin/profile_target
D=/tmp/pt
PORT=5555

mkdir -p /sys/kernel/security
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
if [ ! -d /sys/kernel/security/apparmor ]; then
	echo "ok 1 - 45-profile # SKIP no AppArmor in this kernel (no /sys/kernel/security/apparmor)"
	exit 0
fi

# record_cmd FILE CMD...: CMD recorded with kcap into FILE; its output in
# FILE.out. record_run FILE MODE: profile_target MODE.
record_cmd() {
	f=$1
	shift
	rm -f "$f"
	kcap record -w "$f" >/tmp/prof-rec.out 2>/tmp/prof-rec.err &
	rec=$!
	i=0
	while [ ! -s "$f" ] && [ $i -lt 100 ]; do
		usleep 100000
		i=$((i + 1))
	done
	"$@" </dev/null >"$f.out" 2>&1
	rmdir $D/newdir 2>/dev/null
	usleep 300000
	kill -INT $rec
	wait $rec
}
record_run() {
	record_cmd "$1" $T "$2" $D $PORT
}

# Without auditd the kernel prints AppArmor's and seccomp's audit lines
# through printk_ratelimit() (10 in 5 s): no limit, every line is compared.
echo 0 >/proc/sys/kernel/printk_ratelimit

# The workload's world: loopback for its UDP datagram, its files, a
# shadow file to steal, /usr/bin.
ifconfig lo 127.0.0.1 up
mkdir -p $D /etc /usr/bin
echo data >$D/data.txt
echo help >$D/helper.txt
: >$D/app.log
# the Cx helper: a program file of its own (a Cx rule is by path)
cp $T /bin/profile_helper
echo 'root:*:19000:0:99999:7:::' >/etc/shadow
chmod 600 /etc/shadow

check "insmod kcap.ko" insmod $KO
record_run /tmp/normal.kcap normal
record_run /tmp/deviate.kcap deviate
record_run /tmp/scdeviate.kcap scdeviate
record_cmd /tmp/ia32.kcap /bin/ia32_workload $D/ia32.out
record_cmd /tmp/cxnormal.kcap $T cxnormal $D
record_cmd /tmp/cxdeviate.kcap $T cxdeviate $D
rmmod kcap
rm -f /usr/bin/kcap-profile-planted
if grep -q '^normal ok' /tmp/normal.kcap.out &&
   [ "$(grep -c ' ok$' /tmp/deviate.kcap.out)" -eq 7 ] && grep -q '^cx ok' /tmp/cxnormal.kcap.out &&
   [ "$(grep -c ' ok$' /tmp/cxdeviate.kcap.out)" -eq 4 ]; then
	pass "recorded: the normal run, the five deviations and the Cx runs succeed unconfined"
else
	fail "recorded: the normal run and the five deviations succeed unconfined"
	diag /tmp/normal.kcap.out
	diag /tmp/deviate.kcap.out
	diag /tmp/cxdeviate.kcap.out
	diag /tmp/prof-rec.err
fi

# ---- the profiles --------------------------------------------------------
kcap profile apparmor -r /tmp/normal.kcap --exe $T -o /tmp/pt.aa 2>/tmp/prof.err
check "kcap profile apparmor" test -s /tmp/pt.aa
kcap profile seccomp -r /tmp/normal.kcap --exe $T -o /tmp/pt.json 2>>/tmp/prof.err
check "kcap profile seccomp (OCI JSON)" test -s /tmp/pt.json
kcap profile seccomp -r /tmp/normal.kcap --exe $T --raw -o /tmp/pt.bpf 2>>/tmp/prof.err
check "kcap profile seccomp --raw (BPF)" test -s /tmp/pt.bpf
diag /tmp/prof.err
diag /tmp/pt.aa
for f in normal.kcap deviate.kcap scdeviate.kcap pt.aa pt.json pt.bpf; do
	export_file $f /tmp/$f
done

# check_run NAME PROFILE CAPTURE WANT-STATUS: kcap profile check, its
# DENIED lines in /tmp/NAME.check
check_run() {
	kcap profile check -r "$3" --profile "$2" --exe $T >/tmp/$1.check 2>/tmp/$1.check.err
	st=$?
	if [ $st -eq "$4" ]; then
		pass "kcap profile check $1: status $st"
	else
		fail "kcap profile check $1: status $st, want $4"
		diag /tmp/$1.check
		diag /tmp/$1.check.err
	fi
}
check_run aa-normal /tmp/pt.aa /tmp/normal.kcap 0
check_run aa-deviate /tmp/pt.aa /tmp/deviate.kcap 3
diag /tmp/aa-deviate.check
export_file aa-deviate.check /tmp/aa-deviate.check
check_run sc-normal /tmp/pt.json /tmp/normal.kcap 0
check_run sc-deviate /tmp/pt.json /tmp/scdeviate.kcap 3
diag /tmp/sc-deviate.check

# ---- AppArmor, enforced ------------------------------------------------------
if apparmor_parser -K -r /tmp/pt.aa >/tmp/aa-load.out 2>&1 &&
   grep -q "profile_target (enforce)" /sys/kernel/security/apparmor/profiles; then
	pass "apparmor_parser -r loads the profile (enforce)"
else
	fail "apparmor_parser -r loads the profile (enforce)"
	diag /tmp/aa-load.out
fi
dmesg -c >/dev/null
$T normal $D $PORT </dev/null >/tmp/aa-normal.out 2>&1
st=$?
dmesg -c >/tmp/aa-normal.dmesg
if [ $st -eq 0 ] && grep -q '^child ok' /tmp/aa-normal.out && grep -q '^normal ok' /tmp/aa-normal.out; then
	pass "confined: the normal run succeeds"
else
	fail "confined: the normal run succeeds (status $st)"
	diag /tmp/aa-normal.out
fi
if grep -q 'apparmor="DENIED"' /tmp/aa-normal.dmesg; then
	fail "confined: no DENIED line for the normal run"
	diag /tmp/aa-normal.dmesg
else
	pass "confined: no DENIED line for the normal run"
fi

$T deviate $D $PORT </dev/null >/tmp/aa-deviate.out 2>&1
rmdir $D/newdir 2>/dev/null
dmesg -c >/tmp/aa-deviate.dmesg
grep 'apparmor="DENIED"' /tmp/aa-deviate.dmesg | sed 's/.*apparmor=/apparmor=/' >/tmp/aa-denied
diag /tmp/aa-denied
for w in shadow usrbin tcp shell mkdir; do
	if grep -q "^$w errno=13$" /tmp/aa-deviate.out; then
		pass "confined: deviation $w gets EACCES"
	else
		fail "confined: deviation $w gets EACCES"
		diag /tmp/aa-deviate.out
	fi
done
# Each predicted denial has the kernel's DENIED line, and each DENIED line
# a prediction: files by name and permission, sockets by family and type.
predicted=$(grep -c '^DENIED' /tmp/aa-deviate.check)
matched=0
while read -r _ _ _ _ _ kind a b; do
	case $kind in
	file) want="name=\"$a\"" ;;
	network) want="family=\"$a\" sock_type=\"$b\"" ;;
	*) want="capability=" ;;
	esac
	grep -F "$want" /tmp/aa-denied | head -1 >/tmp/aa-hit
	if [ -s /tmp/aa-hit ]; then
		matched=$((matched + 1))
	else
		echo "# predicted, not denied: $kind $a $b"
	fi
done </tmp/aa-deviate.check
denied=$(wc -l </tmp/aa-denied)
if [ "$predicted" -eq 5 ] && [ "$matched" -eq 5 ] && [ "$denied" -eq 5 ]; then
	pass "kcap profile check predicted exactly the kernel's 5 DENIED lines"
else
	fail "kcap profile check predicted exactly the kernel's DENIED lines (predicted $predicted, matched $matched, kernel $denied)"
	diag /tmp/aa-deviate.check
fi
apparmor_parser -R /tmp/pt.aa >/dev/null 2>&1

# ---- AppArmor with a child profile (Cx) ------------------------------------
# profile_target reads data.txt and runs /bin/profile_helper, which reads
# helper.txt; learnt with --cx /bin/profile_helper, the helper's read is in
# the child profile, data.txt only in the parent's. The deviating helper
# reads data.txt and /etc/shadow: denied by the child (the kernel names it
# profile_target//profile_helper), as kcap profile check predicted.
CX=profile_target//profile_helper
kcap profile apparmor -r /tmp/cxnormal.kcap --exe $T --cx /bin/profile_helper -o /tmp/ptcx.aa \
	2>/tmp/prof.err
st=$?
sed -n '/^  profile profile_helper {$/,/^  }$/p' /tmp/ptcx.aa >/tmp/ptcx.child
if [ $st -eq 0 ] && grep -q "^  /bin/profile_helper Cx -> profile_helper,$" /tmp/ptcx.aa &&
   grep -q "^    /tmp/pt/helper.txt r,$" /tmp/ptcx.child &&
   grep -q "^    /bin/profile_helper mr,$" /tmp/ptcx.child &&
   ! grep -q "data.txt" /tmp/ptcx.child &&
   grep -q "^  /tmp/pt/data.txt r,$" /tmp/ptcx.aa && [ "$(grep -c helper.txt /tmp/ptcx.aa)" -eq 1 ]; then
	pass "kcap profile apparmor --cx: the Cx rule and the helper's rules in the child profile"
else
	fail "kcap profile apparmor --cx: the Cx rule and the helper's rules in the child profile (status $st)"
	diag /tmp/prof.err
fi
diag /tmp/ptcx.aa
check_run cx-normal /tmp/ptcx.aa /tmp/cxnormal.kcap 0
check_run cx-deviate /tmp/ptcx.aa /tmp/cxdeviate.kcap 3
diag /tmp/cx-deviate.check
for f in cxnormal.kcap cxdeviate.kcap ptcx.aa cx-deviate.check; do
	export_file $f /tmp/$f
done
if apparmor_parser -K -r /tmp/ptcx.aa >/tmp/aa-load.out 2>&1 &&
   grep -q "^$CX (enforce)" /sys/kernel/security/apparmor/profiles; then
	pass "apparmor_parser -r loads the profile and its child $CX (enforce)"
else
	fail "apparmor_parser -r loads the profile and its child $CX (enforce)"
	diag /tmp/aa-load.out
	sed 's/^/# /' /sys/kernel/security/apparmor/profiles
fi
dmesg -c >/dev/null
$T cxnormal $D </dev/null >/tmp/cx-normal.out 2>&1
st=$?
dmesg -c >/tmp/cx-normal.dmesg
if [ $st -eq 0 ] && grep -q '^helper ok' /tmp/cx-normal.out && grep -q '^cx ok' /tmp/cx-normal.out &&
   ! grep -q 'apparmor="DENIED"' /tmp/cx-normal.dmesg; then
	pass "confined with a child profile: the normal run and its helper succeed, no DENIED line"
else
	fail "confined with a child profile: the normal run and its helper succeed (status $st)"
	diag /tmp/cx-normal.out
	grep 'apparmor="DENIED"' /tmp/cx-normal.dmesg | sed 's/^/# /'
fi
$T cxdeviate $D </dev/null >/tmp/cx-deviate.out 2>&1
dmesg -c >/tmp/cx-deviate.dmesg
grep 'apparmor="DENIED"' /tmp/cx-deviate.dmesg | sed 's/.*apparmor=/apparmor=/' >/tmp/cx-denied
diag /tmp/cx-denied
if grep -q '^hdata errno=13$' /tmp/cx-deviate.out && grep -q '^hshadow errno=13$' /tmp/cx-deviate.out; then
	pass "confined with a child profile: the helper's two deviations get EACCES"
else
	fail "confined with a child profile: the helper's two deviations get EACCES"
	diag /tmp/cx-deviate.out
fi
# each prediction (a file of the child profile) has its kernel line, with
# the child profile's name, and each kernel line a prediction
predicted=$(grep -c "^DENIED .* profile=$CX\$" /tmp/cx-deviate.check)
matched=0
while read -r _ _ _ _ _ kind a _; do
	if [ "$kind" = file ] &&
	   grep -F "profile=\"$CX\"" /tmp/cx-denied | grep -qF "name=\"$a\""; then
		matched=$((matched + 1))
	else
		echo "# predicted, not denied: $kind $a"
	fi
done </tmp/cx-deviate.check
denied=$(wc -l </tmp/cx-denied)
if [ "$predicted" -eq 2 ] && [ "$(wc -l </tmp/cx-deviate.check)" -eq 2 ] && [ "$matched" -eq 2 ] &&
   [ "$denied" -eq 2 ]; then
	pass "kcap profile check predicted exactly the kernel's 2 DENIED lines of the child profile $CX"
else
	fail "kcap profile check predicted exactly the kernel's DENIED lines of $CX (predicted $predicted, matched $matched, kernel $denied)"
	diag /tmp/cx-deviate.check
fi
apparmor_parser -R /tmp/ptcx.aa >/dev/null 2>&1

# ---- seccomp, enforced -------------------------------------------------------
seccomp_run /tmp/pt.bpf $T normal $D $PORT </dev/null >/tmp/sc-normal.out 2>&1
st=$?
dmesg -c >/tmp/sc-normal.dmesg
if [ $st -eq 0 ] && grep -q '^normal ok' /tmp/sc-normal.out && ! grep -q 'type=1326' /tmp/sc-normal.dmesg; then
	pass "seccomp: the normal run succeeds under the filter, nothing denied"
else
	fail "seccomp: the normal run succeeds under the filter (status $st)"
	diag /tmp/sc-normal.out
	grep 'type=1326' /tmp/sc-normal.dmesg | sed 's/^/# /'
fi
seccomp_run /tmp/pt.bpf $T scdeviate $D $PORT </dev/null >/tmp/sc-deviate.out 2>&1
rmdir $D/newdir 2>/dev/null
dmesg -c >/tmp/sc-deviate.dmesg
nr=$(sed -n 's/.*type=1326.* syscall=\([0-9]*\) .*/\1/p' /tmp/sc-deviate.dmesg | sort -u | tr '\n' ' ')
if grep -q '^mkdir errno=1$' /tmp/sc-deviate.out && [ "$nr" = "83 " ]; then
	pass "seccomp: mkdir, never recorded, gets EPERM and the kernel's seccomp line (syscall=83)"
else
	fail "seccomp: mkdir gets EPERM and one seccomp line (syscalls: $nr)"
	diag /tmp/sc-deviate.out
fi
if [ "$(grep -c '^DENIED' /tmp/sc-deviate.check)" -eq 1 ] &&
   grep -q 'syscall x86_64 mkdir$' /tmp/sc-deviate.check; then
	pass "kcap profile check predicted exactly the seccomp denial (mkdir)"
else
	fail "kcap profile check predicted exactly the seccomp denial (mkdir)"
	diag /tmp/sc-deviate.check
fi

# ---- ia32 ------------------------------------------------------------------------
# A 32-bit program's filter names its architecture and its ia32 syscalls,
# and lets it run; the x86_64-only filter of profile_target does not.
kcap profile seccomp -r /tmp/ia32.kcap --exe /bin/ia32_workload -o /tmp/ia32.json 2>/tmp/prof.err &&
	kcap profile seccomp -r /tmp/ia32.kcap --exe /bin/ia32_workload --raw -o /tmp/ia32.bpf 2>>/tmp/prof.err
st=$?
if [ $st -eq 0 ] && grep -q '"SCMP_ARCH_X86"' /tmp/ia32.json && grep -q '"set_thread_area"' /tmp/ia32.json; then
	pass "kcap profile seccomp of a 32-bit program: SCMP_ARCH_X86 and its ia32 names"
else
	fail "kcap profile seccomp of a 32-bit program: SCMP_ARCH_X86 and its ia32 names (status $st)"
	diag /tmp/prof.err
	diag /tmp/ia32.json
fi
seccomp_run /tmp/ia32.bpf /bin/ia32_workload $D/ia32.out </dev/null >/tmp/ia32-run.out 2>&1
st=$?
dmesg -c >/tmp/ia32.dmesg
if [ $st -eq 0 ] && ! grep -q 'type=1326' /tmp/ia32.dmesg; then
	pass "seccomp: the 32-bit program runs under its learnt filter, nothing denied"
else
	fail "seccomp: the 32-bit program runs under its learnt filter (status $st)"
	diag /tmp/ia32-run.out
	grep 'type=1326' /tmp/ia32.dmesg | sed 's/^/# /'
fi
seccomp_run /tmp/pt.bpf /bin/ia32_workload $D/ia32.out </dev/null >/tmp/ia32-run.out 2>&1
st=$?
dmesg -c >/dev/null
if [ $st -ne 0 ]; then
	pass "seccomp: the x86_64-only filter stops the 32-bit program (status $st)"
else
	fail "seccomp: the x86_64-only filter stops the 32-bit program"
fi

# ---- runc: the OCI JSON as a runtime reads it --------------------------------------
# profile_target in a runc container (the JSON learnt from a recording of
# the container, --container ID), then in containers whose config.json
# carries that JSON as linux.seccomp: the normal run works, mkdir gets EPERM.
. /lib/ct-bundle.sh
ID1=c0de0045a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c
ID2=c0de0046a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c
ID3=c0de0047a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c
ct_setup
mkdir -p $CT_ROOTFS/pt
cp $T $CT_ROOTFS/bin/profile_target
echo data >$CT_ROOTFS/pt/data.txt
: >$CT_ROOTFS/pt/app.log
ct_args() {
	echo "\"/bin/profile_target\", \"$1\", \"/pt\", \"$PORT\""
}
CT_ROOT_RO=false ct_bundle $CT_DIR/prof plain false "$CT_CGROUP_POD/$ID1" "$(ct_args normal)"
insmod $KO
rm -f /tmp/ct.kcap
kcap record -w /tmp/ct.kcap >/tmp/prof-rec.out 2>/tmp/prof-rec.err &
rec=$!
i=0
while [ ! -s /tmp/ct.kcap ] && [ $i -lt 100 ]; do
	usleep 100000
	i=$((i + 1))
done
CT_QUIET=1 CT_PAUSE_US=0 ct_run runc $ID1 $CT_DIR/prof /tmp/ct1.out
st=$?
usleep 300000
kill -INT $rec
wait $rec
rmmod kcap
if [ $st -eq 0 ] && grep -q '^normal ok' /tmp/ct1.out; then
	pass "runc: profile_target's container recorded"
else
	fail "runc: profile_target's container recorded (status $st)"
	diag /tmp/ct1.out
	diag /tmp/ct1.out.rt
fi
kcap profile seccomp -r /tmp/ct.kcap --container $ID1 -o /tmp/ct.json 2>/tmp/prof.err
check "kcap profile seccomp --container" test -s /tmp/ct.json
diag /tmp/prof.err
export_file ct.json /tmp/ct.json
{ printf '"seccomp": '; cat /tmp/ct.json; echo ','; } >/tmp/ct-seccomp.frag
for m in normal scdeviate; do
	id=$ID2
	[ $m = normal ] || id=$ID3
	CT_ROOT_RO=false ct_bundle $CT_DIR/sc-$m plain false "$CT_CGROUP_POD/$id" "$(ct_args $m)"
	sed -i '/^"linux": {$/r /tmp/ct-seccomp.frag' $CT_DIR/sc-$m/config.json
	CT_QUIET=1 CT_PAUSE_US=0 ct_run runc $id $CT_DIR/sc-$m /tmp/ct-$m.out
	echo "# runc $m: status $?"
	rmdir $CT_ROOTFS/pt/newdir 2>/dev/null
done
dmesg -c >/dev/null
if grep -q '^normal ok' /tmp/ct-normal.out; then
	pass "runc with the learnt JSON as linux.seccomp: the normal run works"
else
	fail "runc with the learnt JSON as linux.seccomp: the normal run works"
	diag /tmp/ct-normal.out
	diag /tmp/ct-normal.out.rt
fi
if grep -q '^normal ok' /tmp/ct-scdeviate.out && grep -q '^mkdir errno=1$' /tmp/ct-scdeviate.out; then
	pass "runc with the learnt JSON: mkdir, never recorded, gets EPERM"
else
	fail "runc with the learnt JSON: mkdir, never recorded, gets EPERM"
	diag /tmp/ct-scdeviate.out
	diag /tmp/ct-scdeviate.out.rt
fi
