#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Host side of 16-container: kcap detect -r on the guest's recording, on a
# machine whose runtimes know none of its containers, gives the container
# and pod alerts live detection gave, with the same image, namespace and
# pod: the fields come from the file's container table.
set -u
dir=$1
top=$(cd "$(dirname "$0")/../../.." && pwd)
falco=${KCAP_FALCO_RULES:-$top/../shared/falco-rules}
. "$(dirname "$0")/tap.sh"

if [ ! -s "$dir/16-ct.kcap" ]; then
	ok "# SKIP no recording (the guest could not run the runtimes)"
	echo "1..$n"
	exit 0
fi
# The alerts of the container rules, as "rule|image=.. ns=.. pod=.. ..."
# lines (the container fields of their outputs, nothing time-dependent).
pick() {
	grep -E '"rule":"(Terminal shell in container|Launch Privileged Container)"' |
		while IFS= read -r l; do
			r=$(echo "$l" | sed -n 's/.*"rule":"\([^"]*\)".*/\1/p')
			f=$(echo "$l" | grep -oE '(image|ns|pod|container_id|privileged)=[^ ",]*' | tr '\n' ' ')
			echo "$r|$f"
		done | sort
}
live=$(pick <"$dir/16-ct.alerts")
file=$("$KCAP" detect -r "$dir/16-ct.kcap" -R "$falco/falco_rules.yaml" \
	-R "$falco/falco-incubating_rules.yaml" -R "$dir/16-ct_rules.yaml" -j 2>/dev/null | pick)
if [ -n "$live" ] && [ "$live" = "$file" ]; then
	ok "replayed recording: the same container alerts with the same fields ($(echo "$live" | wc -l))"
else
	notok "replayed recording: the same container alerts with the same fields"
	diff <(echo "$live") <(echo "$file") | sed 's/^/# /' | head -20
fi
if echo "$file" | grep -q 'image=registry.example/team/shop' &&
   echo "$file" | grep -q 'pod=shop-7d9f8c6b5-x2k4q'; then
	ok "replayed alerts name the image and the pod (from the file's container table)"
else
	notok "replayed alerts name the image and the pod"
fi
info=$("$KCAP" info "$dir/16-ct.kcap" 2>&1 | grep -i '^containers:')
[ -n "$info" ] && ok "kcap info: $info" || notok "kcap info lists the file's containers"
echo "1..$n"
