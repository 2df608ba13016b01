# SPDX-License-Identifier: Apache-2.0
# TAP helpers of the host-side cases (tests/vm/host/NN-name.sh), sourced by
# them; not a case itself. $n counts the results.
n=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
notok() {
	n=$((n + 1))
	echo "not ok $n - $*"
}
# expect WHAT GOT WANT
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1 (got '$2', want '$3')"; fi
}
# diag FILE: the file's first 40 lines as TAP comments
diag() {
	sed 's/^/# /' "$1" | head -40
}
