#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# sign.sh: packaging/sign-module with a throwaway key and certificate on a
# copy of kcap.ko built for the host's headers kernel. Checks the trailer,
# `kcap driver check` calling it signed, and verifies the PKCS#7 signature
# against the certificate with openssl (how: docs/install.md).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

rel=$(headers_release) || { fail "sign: linux-headers-amd64 is not installed"; finish; exit; }
ko=$top/build/kmod/$rel/kcap.ko
kcap=$top/build/bin/kcap
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -s "$ko" ]; then
	"$top/tests/vm/build-module.sh" "$(. /etc/os-release; echo "$VERSION_CODENAME")" "$rel" ||
		{ fail "sign: cannot build kcap.ko for $rel"; finish; exit; }
fi
cp "$ko" "$work/kcap.ko"
openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 1 \
	-subj "/CN=kcap throwaway test key/" -addext extendedKeyUsage=codeSigning \
	-keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1 ||
	{ fail "sign: openssl req failed"; finish; exit; }
openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=another key/" \
	-keyout "$work/other.key" -out "$work/other.pem" >/dev/null 2>&1

check "sign-module KEY CERT kcap.ko" "$top/packaging/sign-module" \
	"$work/key.pem" "$work/cert.pem" "$work/kcap.ko"
if tail -c 28 "$work/kcap.ko" | cmp -s - <(printf '~Module signature appended~\n'); then
	pass "signed module ends with the signature trailer"
else
	fail "no signature trailer after sign-module"
fi
"$kcap" driver check --module "$work/kcap.ko" >"$work/check.out" 2>&1
if grep -q '^signature: *signed (PKCS#7, [0-9]* bytes)' "$work/check.out"; then
	pass "kcap driver check: signed (PKCS#7)"
else
	fail "kcap driver check does not see the signature"
	diag "$work/check.out"
fi
if "$top/packaging/sign-module" "$work/key.pem" "$work/cert.pem" "$work/kcap.ko" \
	>/dev/null 2>&1; then
	fail "sign-module signed an already signed module"
else
	pass "sign-module refuses an already signed module"
fi

# The trailer: MODULE | PKCS#7 (DER) | struct module_signature (12 bytes,
# sig_len big endian in its last 4) | "~Module signature appended~\n".
size=$(stat -c %s "$work/kcap.ko")
siglen=$(tail -c 40 "$work/kcap.ko" | head -c 12 | od -An -tu1 |
	awk '{ print $9 * 16777216 + $10 * 65536 + $11 * 256 + $12 }')
head -c $((size - 40 - siglen)) "$work/kcap.ko" >"$work/content"
tail -c $((40 + siglen)) "$work/kcap.ko" | head -c "$siglen" >"$work/sig.p7"
if cmp -s "$work/content" "$ko"; then
	pass "the signed part is the unsigned module, byte for byte ($siglen signature bytes)"
else
	fail "the signed part differs from the original module"
fi
verify() {
	openssl cms -verify -binary -inform DER -in "$work/sig.p7" -content "$1" \
		-certfile "$2" -nointern -noverify -out /dev/null
}
check "openssl cms -verify: signature valid for the certificate" verify "$work/content" "$work/cert.pem"
if verify "$work/content" "$work/other.pem" >/dev/null 2>&1; then
	fail "signature verified with an unrelated certificate"
else
	pass "signature does not verify with an unrelated certificate"
fi
cp "$work/content" "$work/tampered"
printf 'X' | dd of="$work/tampered" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
if verify "$work/tampered" "$work/cert.pem" >/dev/null 2>&1; then
	fail "signature verified on a modified module"
else
	pass "signature does not verify on a modified module"
fi
finish
