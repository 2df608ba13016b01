#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# checkpatch.sh: run the kernel's scripts/checkpatch.pl (from Debian's
# linux-source package of the host kernel's series, cached under
# $KCAP_CACHE/checkpatch) over every file of driver/. Any error or warning
# fails. Debian ships checkpatch only inside the source tarball, so the
# three files it needs are extracted once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=$(dpkg-query -W -f='${Version}' linux-headers-amd64 2>/dev/null | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
[ -n "$series" ] || die "linux-headers-amd64 is not installed: run packaging/build-deps.sh vm"
dir=$KCAP_CACHE/checkpatch/$series
cp_pl=$dir/scripts/checkpatch.pl
if [ ! -s "$cp_pl" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	log "fetching checkpatch.pl from linux-source-$series (once)"
	(cd "$tmp" && apt-get download "linux-source-$series" >/dev/null 2>&1) ||
		die "apt-get download linux-source-$series failed"
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-"$series"_*.deb |
		tar -x -C "$tmp" "./usr/src/linux-source-$series.tar.xz"
	tar -xJf "$tmp/usr/src/linux-source-$series.tar.xz" -C "$tmp" \
		"linux-source-$series/scripts/checkpatch.pl" \
		"linux-source-$series/scripts/spelling.txt" \
		"linux-source-$series/scripts/const_structs.checkpatch"
	mkdir -p "$dir.tmp"
	cp -r "$tmp/linux-source-$series/scripts" "$dir.tmp/"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi

cd "$(dirname "$0")/../.."
out=$(perl "$cp_pl" --no-tree --terse --show-types -f driver/*.c driver/*.h driver/features/*.c 2>&1 |
	grep -v '^total: ' || true)
if [ -n "$out" ]; then
	echo "$out"
	die "checkpatch.pl (linux-source-$series) found problems in driver/"
fi
log "checkpatch.pl (linux-source-$series): driver/ is clean"
