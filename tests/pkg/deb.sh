#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# deb.sh: build the Debian packages (packaging/deb.sh), check them with
# lintian (no errors), install them on the host, build and run an SDK
# example with `pkg-config --cflags --libs libkcap`, verify the systemd unit
# (systemd-analyze verify), then purge them and compare the file system
# with how it was before. The kcap-dkms postinst builds kcap.ko with DKMS
# for the installed linux-headers-amd64 kernel.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

rel=$(headers_release) || { fail "deb: linux-headers-amd64 is not installed"; finish; exit; }
ver=$(kcap_version)
out=$top/build/deb
work=$(mktemp -d)
pkgs="kcap kcap-dkms libkcap-dev libkcap1"

# Files outside dpkg's and DKMS's own databases and logs. depmod's index
# files and DKMS's auto-generated signing key (/var/lib/dkms/mok.*) are
# not the packages' and are left out.
snapshot() {
	find /usr /etc /lib /var/lib /opt -xdev \
		\( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/dkms/mok.key \
		-o -path /var/lib/dkms/mok.pub -o -path '/lib/modules/*/modules.*' \
		-o -path /var/lib/systemd/deb-systemd-helper-enabled \
		-o -path /var/lib/systemd/deb-systemd-helper-masked \) -prune -o -print 2>/dev/null |
		LC_ALL=C sort
}
# dpkg_wait ARGS...: dpkg, waiting up to 5 minutes for the dpkg lock
# (another process may be installing packages).
dpkg_wait() {
	local i rc
	for i in $(seq 60); do
		rc=0
		dpkg "$@" >"$work/dpkg.out" 2>&1 || rc=$?
		grep -q 'dpkg frontend lock\|dpkg status database is locked' "$work/dpkg.out" || break
		sleep 5
	done
	cat "$work/dpkg.out"
	return $rc
}
purge_all() {
	dpkg_wait --purge $pkgs >/dev/null 2>&1 || true
}
mok_before=$([ -e /var/lib/dkms/mok.key ] && echo yes || echo no)
cleanup() {
	purge_all
	[ "$mok_before" = yes ] || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
	rm -rf "$work"
}
trap cleanup EXIT

purge_all
start=$(date +%s)
check "make deb (dpkg-buildpackage -b, no network)" "$top/packaging/deb.sh" ||
	{ finish; exit; }
debs=""
for p in $pkgs; do
	f=$(ls "$out/${p}_${ver}_"*.deb 2>/dev/null | head -1)
	[ -n "$f" ] && debs="$debs $f" || fail "deb: no ${p}_${ver} package built"
done
lintian --tag-display-limit 0 "$out"/kcap_"$ver"_*.changes >"$work/lintian.out" 2>&1
if grep -q '^E: ' "$work/lintian.out"; then
	fail "lintian: $(grep -c '^E: ' "$work/lintian.out") error(s)"
	grep '^E: ' "$work/lintian.out" | head -10 | sed 's/^/[pkg]   # /'
else
	pass "lintian: no errors ($(grep -c '^W: ' "$work/lintian.out") warning(s))"
fi

# The kcap package: kcap(8) and a page per command, the export schema.
dpkg -c "$(ls "$out/kcap_${ver}_"*.deb | head -1)" >"$work/kcap.list" 2>/dev/null
pages=$(grep -c '/usr/share/man/man8/kcap[-a-z]*\.8\.gz$' "$work/kcap.list")
[ "$pages" -eq "$(ls "$top"/packaging/man/kcap*.8 | wc -l)" ] &&
	grep -q '/usr/share/kcap/proto/kcap/v1/event\.proto$' "$work/kcap.list" &&
	pass "kcap package: $pages man pages (packaging/man/), the kcap.v1 schema" ||
	fail "kcap package: $pages man pages, $(grep -c '\.proto$' "$work/kcap.list") schema files"
snapshot >"$work/before"
check "dpkg -i$(for d in $debs; do printf ' %s' "$(basename "$d")"; done)" dpkg_wait -i $debs
if dkms status "kcap/$ver" -k "$rel" 2>/dev/null | grep -q ': installed' &&
   [ "$(modinfo -k "$rel" -n kcap 2>/dev/null)" = "/lib/modules/$rel/updates/dkms/kcap.ko" ]; then
	pass "kcap-dkms: kcap.ko built and installed by DKMS for $rel"
else
	fail "kcap-dkms: no DKMS-built kcap.ko for $rel ($(dkms status kcap 2>&1 | head -1))"
fi
if /usr/bin/kcap --version | grep -q "^kcap $ver"; then
	pass "/usr/bin/kcap --version (libkcap.so.1 from libkcap1)"
else
	fail "/usr/bin/kcap --version"
fi
/usr/bin/kcap driver check --module "/lib/modules/$rel/updates/dkms/kcap.ko" >"$work/chk" 2>&1
if grep -q "^vermagic: *$rel " "$work/chk" && grep -q '^abi *ok' "$work/chk"; then
	pass "kcap driver check on the DKMS module: vermagic $rel, ABI ok, $(grep -o 'unsigned\|signed (PKCS#7' "$work/chk" | head -1)"
else
	fail "kcap driver check on the DKMS module"
	diag "$work/chk"
fi
flags=$(pkg-config --cflags --libs libkcap 2>&1)
if [ -n "$flags" ] && gcc -O2 -Wall -Werror -o "$work/count" \
	"$top/userspace/examples/count_by_type.c" $flags 2>"$work/cc.out"; then
	pass "pkg-config --cflags --libs libkcap ($flags): SDK example builds"
else
	fail "SDK example does not build with pkg-config ($flags)"
	diag "$work/cc.out"
fi
gcc -O2 -static -o "$work/count-static" "$top/userspace/examples/count_by_type.c" \
	$(pkg-config --static --cflags --libs libkcap) 2>"$work/cc.out" &&
	pass "pkg-config --static: SDK example links statically" ||
	{ fail "static link with pkg-config --static"; diag "$work/cc.out"; }
capfile=$top/tests/fuzz/corpus/guest-clean.kcap
if [ -x "$work/count" ] && "$work/count" "$capfile" >"$work/count.out" 2>&1 &&
   grep -q '^total [1-9]' "$work/count.out" &&
   [ "$(grep -o '^total [0-9]*' "$work/count.out")" = \
     "total $(/usr/bin/kcap info "$capfile" | sed -n 's/^events: *\([0-9]*\) .*/\1/p')" ]; then
	pass "SDK example counts the events of a capture file like kcap info ($(tail -1 "$work/count.out"))"
else
	fail "SDK example on $capfile"
	diag "$work/count.out"
fi
if command -v systemd-analyze >/dev/null; then
	unit=$(dpkg -L kcap | grep '/kcap.service$')
	if systemd-analyze verify "$unit" >"$work/verify.out" 2>&1; then
		pass "systemd-analyze verify $unit"
	else
		fail "systemd-analyze verify $unit"
		diag "$work/verify.out"
	fi
	sa=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -1)
	[ -n "$sa" ] && echo "[pkg] # $sa"
fi
check "dpkg --purge $pkgs" dpkg_wait --purge $pkgs
snapshot >"$work/after"
# Every path of these packages (and of what DKMS, systemd and dpkg make for
# them) names kcap; other differences come from other processes working on
# this machine meanwhile and are only counted.
diff "$work/before" "$work/after" | grep '^[<>]' >"$work/diff"
grep -i kcap "$work/diff" >"$work/diff.kcap"
if [ ! -s "$work/diff.kcap" ]; then
	pass "after purge, no kcap file left behind ($(wc -l <"$work/diff") unrelated changes by other processes)"
else
	fail "purge left kcap files behind"
	diag "$work/diff.kcap"
fi
echo "[pkg] deb: $(( $(date +%s) - start )) s"
finish
