# SPDX-License-Identifier: Apache-2.0
# TAP results of the host test scripts (tests/cli/run.sh, tests/gvisor/run.sh),
# sourced by them: $n counts the results, $failed the failures; a failure
# shows the first lines of ./err, the last command's standard error.
n=0 failed=0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		[ -s err ] && sed 's/^/# /' err | head -5
	fi
}
