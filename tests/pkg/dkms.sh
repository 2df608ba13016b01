#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# dkms.sh: dkms add / build / install / remove of kcap for the host's
# installed linux-headers-amd64 kernel. The host kernel cannot load modules,
# but DKMS builds and installs regardless. Removes any previous kcap from
# DKMS first and everything it added at the end.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

rel=$(headers_release) || { fail "dkms: linux-headers-amd64 is not installed"; finish; exit; }
ver=$(kcap_version)
work=$(mktemp -d)

# remove_kcap: every version of kcap known to DKMS, and its sources.
remove_kcap() {
	local v
	for v in $(dkms status kcap 2>/dev/null | sed -n 's|^kcap/\([^,:]*\).*|\1|p' | sort -u); do
		dkms remove "kcap/$v" --all >/dev/null 2>&1 || true
	done
	rm -rf /var/lib/dkms/kcap "/usr/src/kcap-$ver"
}
# depmod's index files and DKMS's signing key, if this run creates them.
created=""
for f in "/lib/modules/$rel/modules.dep" /var/lib/dkms/mok.key; do
	[ -e "$f" ] || created="$created $f"
done
cleanup() {
	local f
	remove_kcap
	for f in $created; do
		case "$f" in
		*/modules.dep) rm -f "$(dirname "$f")"/modules.* ;;
		*/mok.key) rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub ;;
		esac
	done
	rm -rf "$work"
}
trap cleanup EXIT

if dpkg-query -W -f='${db:Status-Status}' kcap-dkms 2>/dev/null | grep -q installed; then
	fail "dkms: the kcap-dkms package is installed; remove it before this test"
	finish
	exit
fi
remove_kcap
"$top/packaging/dkms-source.sh" "$work/kcap"
start=$(date +%s)
check "dkms add . (a source tree made by packaging/dkms-source.sh)" \
	sh -c "cd '$work/kcap' && dkms add ."
check "dkms build kcap/$ver -k $rel" dkms build "kcap/$ver" -k "$rel"
check "dkms install kcap/$ver -k $rel" dkms install "kcap/$ver" -k "$rel"
ko=$(modinfo -k "$rel" -n kcap 2>/dev/null)
case "$ko" in
/lib/modules/"$rel"/updates/dkms/kcap.ko*) pass "modinfo -k $rel kcap finds $ko (modprobe's lookup)" ;;
*) fail "modinfo -k $rel kcap: '$ko', expected /lib/modules/$rel/updates/dkms/kcap.ko" ;;
esac
vermagic=$(modinfo -k "$rel" -F vermagic kcap 2>/dev/null)
abi=$(modinfo -k "$rel" -F kcap_abi kcap 2>/dev/null)
if [ "${vermagic%% *}" = "$rel" ] && [ -n "$abi" ]; then
	pass "installed module: vermagic $rel, kcap_abi $abi"
else
	fail "installed module: vermagic '$vermagic', kcap_abi '$abi'"
fi
if dkms status "kcap/$ver" -k "$rel" | grep -q ': installed'; then
	pass "dkms status: kcap/$ver installed for $rel"
else
	fail "dkms status: $(dkms status kcap/"$ver" -k "$rel")"
fi
check "dkms remove kcap/$ver --all" dkms remove "kcap/$ver" --all
if [ ! -e "/lib/modules/$rel/updates/dkms/kcap.ko" ] &&
   ! modinfo -k "$rel" kcap >/dev/null 2>&1; then
	pass "after dkms remove, modprobe no longer finds kcap"
else
	fail "after dkms remove, kcap.ko is still found for $rel"
fi
echo "[pkg] dkms: $(( $(date +%s) - start )) s"
finish
