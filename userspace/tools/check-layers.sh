#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# check-layers.sh OBJDIR LIBDIR [CLIOBJDIR] - libkcap's folders are its layers:
#
#   capture  <-  event  <-  format  <-  state  <-  detect, export  <-  fleet
#   container  <-  capture, state
#   capture  <-  driverctl
#
# A file may call (symbols, from the objects in OBJDIR/<folder>/) and
# include (quoted includes in LIBDIR/<folder>/) only its own folder and the
# folders below it; detect and export do not use each other. Cycles are
# therefore possible only inside one folder. With CLIOBJDIR, the kcap
# tool's command files too: each uses only common.o and the library (and
# record.o its own record_file.o, export.o its export_split.o and fleet.o, profile.o
# and its profile_*.o one another); main.o dispatches to all. Prints every
# violation and exits 1 if there is one; prints the folder-level graph
# otherwise.
set -euo pipefail
objdir=$1 libdir=$2 cliobj=${3:-}

# The folders each folder may use besides itself.
declare -A below=(
	[capture]="container"
	[event]="capture"
	[driverctl]="capture"
	[container]=""
	[format]="capture event"
	[state]="capture event format container"
	[detect]="capture event format container state"
	[export]="capture event format container state"
	[fleet]="capture event format container state export"
)

allowed() { # from to
	[ "$1" = "$2" ] && return 0
	# generated code (protobuf-c), the root headers
	[ -n "${below[$2]+x}" ] || return 0
	[[ " ${below[$1]} " == *" $2 "* ]]
}

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

# Symbol edges: who defines what, who uses what.
for o in "$objdir"/*/*.o; do
	d=$(basename "$(dirname "$o")")
	[ -n "${below[$d]+x}" ] || continue
	f="$d/$(basename "$o" .o)"
	nm "$o" | awk -v f="$f" '$2 ~ /^[TDBRC]$/ { print "D", $3, f } $1 == "U" { print "U", $2, f }'
done | awk '
	$1 == "D" { def[$2] = $3; next }
	{ use[++n] = $2; by[n] = $3 }
	END { for (i = 1; i <= n; i++) if (use[i] in def && def[use[i]] != by[i]) print by[i], def[use[i]], use[i] }
' | sort -u >"$edges"

while read -r from to sym; do
	if ! allowed "${from%%/*}" "${to%%/*}"; then
		echo "layer violation: $from calls $sym in $to"
		bad=1
	fi
done <"$edges"

# Include edges: quoted includes naming a folder, or a file of the same folder.
for src in "$libdir"/*/*.[ch]; do
	d=$(basename "$(dirname "$src")")
	[ -n "${below[$d]+x}" ] || continue
	while read -r inc; do
		case $inc in
		*/*) t=${inc%%/*} ;;
		*) t=$d ;;
		esac
		if ! allowed "$d" "$t"; then
			echo "layer violation: $d/$(basename "$src") includes \"$inc\""
			bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$src")
done

# The CLI: command files use common.o and the library only.
if [ -n "$cliobj" ]; then
	for o in "$cliobj"/*.o; do
		f=$(basename "$o" .o)
		nm "$o" | awk -v f="$f" '$2 ~ /^[TDBRC]$/ { print "D", $3, f } $1 == "U" { print "U", $2, f }'
	done | awk '
		$1 == "D" { def[$2] = $3; next }
		{ use[++n] = $2; by[n] = $3 }
		END { for (i = 1; i <= n; i++) if (use[i] in def && def[use[i]] != by[i]) print by[i], def[use[i]], use[i] }
	' | sort -u | while read -r from to sym; do
		case "$from:$to" in
		main:* | *:common | record:record_file | export:export_split | export:fleet) ;;
		record:fleet | detect:fleet) ;;
		profile:profile_* | profile_*:profile_*) ;;
		common:gvisor_* | gvisor:gvisor_* | gvisor_*:gvisor_*) ;;
		*) echo "layer violation: cli/$from.c calls $sym in cli/$to.c (use cli/common.c)"; echo x >>"$edges.cli" ;;
		esac
	done
	[ ! -s "$edges.cli" ] || bad=1
	rm -f "$edges.cli"
fi

if [ "$bad" = 1 ]; then
	echo "userspace/lib: the folders' layering is broken (see userspace/tools/check-layers.sh)"
	exit 1
fi
echo "userspace/lib layers: ok; folder dependencies (calls):"
awk '{ split($1, a, "/"); split($2, b, "/"); if (a[1] != b[1]) print "  " a[1] " -> " b[1] }' "$edges" | sort -u
