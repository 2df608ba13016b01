#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Host side of cases/45-profile.sh: the profiles the guest generated are
# compiled by Debian's apparmor_parser (-Q, nothing loaded), and the host's
# kcap makes the same profiles and the same check from the guest's
# recordings (a recording is read the same on any machine). $1 is the
# directory of the exported files, $KCAP the host's CLI. TAP output.
set -u
dir=$1
kcap=${KCAP:?}
. "$(dirname "$0")/tap.sh"

if [ ! -e "$dir/pt.aa" ] && [ ! -e "$dir/normal.kcap" ]; then
	# the guest case skipped (no AppArmor) or did not run here
	echo "ok 1 - 45-profile-host # SKIP nothing exported by the guest case"
	exit 0
fi
for f in normal.kcap deviate.kcap scdeviate.kcap pt.aa pt.json pt.bpf aa-deviate.check \
	cxnormal.kcap cxdeviate.kcap ptcx.aa cx-deviate.check; do
	if [ ! -s "$dir/$f" ]; then
		notok "exported file $f arrived"
		exit 0
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
T=/bin/profile_target

if ! command -v apparmor_parser >/dev/null; then
	notok "apparmor_parser is installed (packaging/build-deps.sh)"
elif apparmor_parser -Q -K "$dir/pt.aa" >"$tmp/parser.out" 2>&1; then
	ok "apparmor_parser -Q accepts the guest's generated profile"
else
	notok "apparmor_parser -Q accepts the guest's generated profile"
	diag "$tmp/parser.out"
	diag "$dir/pt.aa"
fi

# The same profiles from the host's kcap (the first comment line names the
# recording's path).
"$kcap" profile apparmor -r "$dir/normal.kcap" --exe $T -o "$tmp/pt.aa" 2>"$tmp/err"
if diff <(sed 1d "$dir/pt.aa") <(sed 1d "$tmp/pt.aa") >"$tmp/diff"; then
	ok "the host's kcap writes the same AppArmor profile"
else
	notok "the host's kcap writes the same AppArmor profile"
	diag "$tmp/diff"
	diag "$tmp/err"
fi
"$kcap" profile seccomp -r "$dir/normal.kcap" --exe $T -o "$tmp/pt.json" 2>"$tmp/err"
if cmp -s "$dir/pt.json" "$tmp/pt.json"; then
	ok "the host's kcap writes the same seccomp JSON"
else
	notok "the host's kcap writes the same seccomp JSON"
	diag "$tmp/err"
fi
"$kcap" profile seccomp -r "$dir/normal.kcap" --exe $T --raw -o "$tmp/pt.bpf" 2>"$tmp/err"
if cmp -s "$dir/pt.bpf" "$tmp/pt.bpf"; then
	ok "the host's kcap writes the same seccomp BPF"
else
	notok "the host's kcap writes the same seccomp BPF"
	diag "$tmp/err"
fi
# The OCI fields runc reads, as JSON.
if python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == 1
assert p["architectures"][0] == "SCMP_ARCH_X86_64"
names = p["syscalls"][0]["names"]
assert p["syscalls"][0]["action"] == "SCMP_ACT_ALLOW"
assert names == sorted(set(names)) and "execve" in names and "exit_group" in names
assert "mkdir" not in names
' "$dir/pt.json" 2>"$tmp/py.err"; then
	ok "the seccomp JSON has the OCI fields (sorted names, execve, exit_group, no mkdir)"
else
	notok "the seccomp JSON has the OCI fields"
	diag "$tmp/py.err"
fi

"$kcap" profile check -r "$dir/deviate.kcap" --profile "$dir/pt.aa" >"$tmp/check" 2>"$tmp/err"
st=$?
if [ $st -eq 3 ] && cmp -s "$tmp/check" "$dir/aa-deviate.check"; then
	ok "the host's kcap profile check predicts the guest's denials (status 3)"
else
	notok "the host's kcap profile check predicts the guest's denials (status $st)"
	diff "$dir/aa-deviate.check" "$tmp/check" | sed 's/^/# /'
fi
# The profile with a child (--cx): compiled by apparmor_parser, the same
# from the host's kcap, the same prediction for the Cx'd helper.
if command -v apparmor_parser >/dev/null &&
   apparmor_parser -Q -K "$dir/ptcx.aa" >"$tmp/parser.out" 2>&1; then
	ok "apparmor_parser -Q accepts the guest's profile with a child profile (Cx)"
else
	notok "apparmor_parser -Q accepts the guest's profile with a child profile (Cx)"
	diag "$tmp/parser.out"
	diag "$dir/ptcx.aa"
fi
"$kcap" profile apparmor -r "$dir/cxnormal.kcap" --exe $T --cx /bin/profile_helper -o "$tmp/ptcx.aa" \
	2>"$tmp/err"
if diff <(sed 1d "$dir/ptcx.aa") <(sed 1d "$tmp/ptcx.aa") >"$tmp/diff"; then
	ok "the host's kcap writes the same profile with its child profile"
else
	notok "the host's kcap writes the same profile with its child profile"
	diag "$tmp/diff"
	diag "$tmp/err"
fi
"$kcap" profile check -r "$dir/cxdeviate.kcap" --profile "$dir/ptcx.aa" >"$tmp/check" 2>"$tmp/err"
st=$?
if [ $st -eq 3 ] && cmp -s "$tmp/check" "$dir/cx-deviate.check" &&
   [ "$(grep -c ' profile=profile_target//profile_helper$' "$tmp/check")" -eq 2 ]; then
	ok "the host's kcap profile check predicts the child profile's 2 denials (status 3)"
else
	notok "the host's kcap profile check predicts the child profile's denials (status $st)"
	diff "$dir/cx-deviate.check" "$tmp/check" | sed 's/^/# /'
fi
# Without --cx the helper's reads are the parent's: nothing is denied.
"$kcap" profile apparmor -r "$dir/cxnormal.kcap" --exe $T -o "$tmp/ptix.aa" 2>"$tmp/err" &&
	"$kcap" profile check -r "$dir/cxdeviate.kcap" --profile "$tmp/ptix.aa" >"$tmp/check" 2>"$tmp/err"
st=$?
if [ $st -eq 3 ] && [ "$(wc -l <"$tmp/check")" -eq 1 ] && grep -q 'file /etc/shadow r$' "$tmp/check" &&
   grep -q '^  /bin/profile_helper mrix,$' "$tmp/ptix.aa"; then
	ok "without --cx the helper is ix: only /etc/shadow would be denied (status 3)"
else
	notok "without --cx the helper is ix: only /etc/shadow would be denied (status $st)"
	diag "$tmp/check"
fi
# Bad input: one line, non-zero status.
printf 'profile x /x {\n  /etc/x rq,\n}\n' >"$tmp/bad.aa"
"$kcap" profile check -r "$dir/normal.kcap" --profile "$tmp/bad.aa" >/dev/null 2>"$tmp/err"
st=$?
if [ $st -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'line 2: bad permissions' "$tmp/err"; then
	ok "a profile kcap cannot read: one line naming the line, status 1"
else
	notok "a profile kcap cannot read: one line naming the line (status $st)"
	diag "$tmp/err"
fi
