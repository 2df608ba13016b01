#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The SDK as a user installs it: `make install-userspace` into a staging
# directory with PREFIX=/opt/kcap-sdk, then every public header is there and
# compiles on its own (C and C++), the pkg-config file names that prefix,
# an example using capture, merge and detection builds with
# `pkg-config --cflags --libs` and with `--static`, both binaries give the
# same answer on the sample captures, and the library exports exactly the
# functions the installed headers declare, all in version node KCAP_1.0
# (KCAP_1.1: kcap_event_syscall(); KCAP_1.2: kcap_filter_needs_state(),
# kcap_output_needs_state()).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=/opt/kcap-sdk
stage=$work/stage

check "make install-userspace DESTDIR=... PREFIX=$prefix" \
	make -C "$top" --no-print-directory -s install-userspace DESTDIR="$stage" PREFIX=$prefix
inc=$stage$prefix/include/kcap
lib=$stage$prefix/lib

for h in kcap.h kcap_export.h kcap_detect.h kcap_abi.h kcap_events.h; do
	if [ -f "$inc/$h" ]; then
		pass "installed <kcap/$h>"
	else
		fail "<kcap/$h> is not installed"
	fi
done
if [ -e "$inc/kcap_event_table.h" ]; then
	fail "kcap_event_table.h (a definition, not an interface) is installed"
fi
bad=0
for h in "$inc"/*.h; do
	n=$(basename "$h")
	printf '#include <kcap/%s>\nint main(void) { return 0; }\n' "$n" >"$work/one.c"
	cp "$work/one.c" "$work/one.cc"
	if gcc -std=c11 -Wall -Wextra -Werror -I"$stage$prefix/include" -c -o /dev/null \
		"$work/one.c" >"$work/cc.out" 2>&1 &&
		g++ -std=c++11 -Wall -Wextra -Werror -I"$stage$prefix/include" -c -o /dev/null \
			"$work/one.cc" >>"$work/cc.out" 2>&1; then
		:
	else
		fail "<kcap/$n> does not compile on its own (C11 and C++11)"
		diag "$work/cc.out"
		bad=1
	fi
done
[ $bad = 1 ] || pass "every installed header compiles on its own in C11 and C++11 ($(ls "$inc" | wc -l) headers)"

pc=$lib/pkgconfig/libkcap.pc
if grep -qx "prefix=$prefix" "$pc"; then
	pass "libkcap.pc: prefix=$prefix (the install's PREFIX)"
else
	fail "libkcap.pc does not follow PREFIX: $(grep '^prefix=' "$pc")"
fi

export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
ex=$top/userspace/examples/merge_alerts.c
check "merge_alerts.c builds with pkg-config --cflags --libs libkcap" \
	gcc -O2 -Wall -Wextra -Werror -o "$work/dyn" "$ex" $(pkg-config --cflags --libs libkcap)
check "merge_alerts.c links statically with pkg-config --static --libs libkcap" \
	gcc -O2 -static -Wall -Wextra -Werror -o "$work/static" "$ex" \
	$(pkg-config --static --cflags --libs libkcap)

cat >"$work/rules.yaml" <<'YAML'
- rule: open seen
  desc: any openat
  condition: evt.type = openat
  output: "open by %proc.name"
  priority: NOTICE
YAML
caps="$top/tests/fuzz/corpus/guest-clean.kcap $top/tests/fuzz/corpus/guest-drops.kcap"
# shellcheck disable=SC2086
LD_LIBRARY_PATH=$lib "$work/dyn" "$work/rules.yaml" $caps >"$work/dyn.out" 2>&1
# shellcheck disable=SC2086
"$work/static" "$work/rules.yaml" $caps >"$work/static.out" 2>&1
if [ -s "$work/dyn.out" ] && cmp -s "$work/dyn.out" "$work/static.out" &&
	grep -qE '^events [1-9][0-9]* alerts [1-9]' "$work/dyn.out"; then
	pass "dynamic and static builds agree on the sample captures ($(tail -1 "$work/dyn.out"))"
else
	fail "the SDK example's builds disagree or found nothing"
	diag "$work/dyn.out"
	diag "$work/static.out"
fi

# Every example of docs/sdk.md, as extracted from the page: compiles with
# pkg-config and runs its "example-run:" line on the sample captures.
exdir=$work/examples
mkdir -p "$exdir"
awk -v dir="$exdir" '
	/^#### Example `/ { name = $3; gsub(/`/, "", name); next }
	name != "" && /^```c$/ { out = dir "/" name; printf "" > out; next }
	out != "" && /^```$/ { close(out); out = ""; name = ""; next }
	out != "" { print > out }
' "$top/docs/sdk.md"
nex=0
for src in "$exdir"/*.c; do
	[ -e "$src" ] || break
	n=$(basename "$src" .c)
	nex=$((nex + 1))
	if ! gcc -O2 -Wall -Wextra -Werror -o "$exdir/$n" "$src" \
		$(pkg-config --cflags --libs libkcap) >"$work/cc.out" 2>&1; then
		fail "docs/sdk.md example $n.c does not compile"
		diag "$work/cc.out"
		continue
	fi
	run=$(sed -n 's/^ \* example-run: //p' "$src")
	if [ -z "$run" ]; then
		fail "docs/sdk.md example $n.c has no example-run line"
		continue
	fi
	run=${run//CAPTURE2/$top/tests/fuzz/corpus/guest-drops.kcap}
	run=${run//CAPTURE/$top/tests/fuzz/corpus/guest-clean.kcap}
	run=${run//RULES/$top/rules/kcap_rules.yaml}
	run="$exdir/$run"
	if (cd "$exdir" && LD_LIBRARY_PATH=$lib eval "$run") >"$work/run.out" 2>&1 &&
		[ -s "$work/run.out" ]; then
		pass "docs/sdk.md example $n.c compiles and runs ($(wc -l <"$work/run.out") lines of output)"
	else
		fail "docs/sdk.md example $n.c: '$run' failed or printed nothing"
		diag "$work/run.out"
	fi
done
[ "$nex" -ge 4 ] || fail "only $nex examples found in docs/sdk.md"

# Exported functions = the functions the installed headers declare, one node.
nm -D --defined-only "$lib/libkcap.so" | awk '$2 == "T" { print $3 }' | sort >"$work/exported"
sed -n 's/^KCAP_API[^(]*[ *]\(kcap_[a-z0-9_]*\)(.*/\1/p' "$inc"/kcap*.h | sort -u >"$work/declared"
if cmp -s <(sed 's/@.*//' "$work/exported") "$work/declared"; then
	pass "libkcap.so exports exactly the $(wc -l <"$work/declared") functions its headers declare"
else
	fail "exported functions differ from the declared ones (< exported, > declared)"
	diff <(sed 's/@.*//' "$work/exported") "$work/declared" >"$work/d.out"
	diag "$work/d.out"
fi
# KCAP_1.1 added kcap_event_syscall() (ABI 3's generic records), KCAP_1.2
# the filters' and output formats' needs_state().
if ! grep -v -e '@@KCAP_1.0$' -e '^kcap_event_syscall@@KCAP_1.1$' \
	-e '^kcap_filter_needs_state@@KCAP_1.2$' -e '^kcap_output_needs_state@@KCAP_1.2$' \
	"$work/exported" >"$work/other"; then
	pass "every exported function is in version node KCAP_1.0, or the node that added it (1.1, 1.2)"
else
	fail "functions outside KCAP_1.0 and the lists of KCAP_1.1 and 1.2"
	diag "$work/other"
fi
finish
