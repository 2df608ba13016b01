#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# check-man.sh KCAP MANDIR TMPDIR: the man pages are current and clean
# (docs-check, run by make test-unit):
#   - MANDIR/kcap-COMMAND.8 is what gen-man.sh makes of `KCAP COMMAND --help`
#     today, one page per command and none for a command that is gone;
#   - MANDIR/kcap.8 refers to every command's page;
#   - every page renders without a groff warning (groff -man -ww).
# Prints what is wrong and exits 1; silent when all is well.
set -uo pipefail
kcap=$1 man=$2 tmp=$3
tools=$(cd "$(dirname "$0")" && pwd)
bad=0

rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
"$tools/gen-man.sh" "$kcap" "$tmp" || { echo "gen-man.sh failed"; exit 1; }
for p in $(ls "$tmp" "$man" | grep '^kcap-.*\.8$' | sort -u); do
	cmp -s "$tmp/$p" "$man/$p" && continue
	bad=1
	if [ ! -e "$man/$p" ]; then
		echo "packaging/man/$p is missing: run 'make docs'"
	elif [ ! -e "$tmp/$p" ]; then
		echo "packaging/man/$p is for a command kcap no longer has: run 'make docs'"
	else
		diff -u "$man/$p" "$tmp/$p" | head -20
		echo "packaging/man/$p is out of date with kcap ${p:5:-2} --help: run 'make docs'"
	fi
done

for f in "$tmp"/kcap-*.8; do
	p=${f##*/}
	ref=".BR ${p%.8}"
	ref="${ref//-/\\-} (8)"
	grep -qxF -e "$ref" -e "$ref," "$man/kcap.8" ||
		{ echo "packaging/man/kcap.8 does not refer to ${p%.8}(8) ($ref)"; bad=1; }
done

if ! command -v groff >/dev/null; then
	echo "groff is missing (groff-base; packaging/build-deps.sh host installs it)"
	exit 1
fi
for f in "$man"/kcap.8 "$man"/kcap-*.8; do
	w=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$f" 2>&1)
	[ -z "$w" ] || { echo "packaging/man/${f##*/}: groff warns:"; echo "$w" | head -5; bad=1; }
done
exit $bad
