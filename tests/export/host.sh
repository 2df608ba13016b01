#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# kcap export checked with tools kcap did not write: protoc --decode and a
# Python consumer on Debian's python3-protobuf (consume.py, code generated
# by protoc --python_out at test time). Reads the real guest captures of
# tests/fuzz/corpus/ and compares with `kcap read` of the same file; then
# the TCP, unix stream and unix seqpacket listeners. Prints TAP.
# Usage: host.sh KCAP BUILD_DIR
set -u
kcap=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
gen=$2/export-test
corpus=$top/tests/fuzz/corpus
. "$top/tests/export/lib.sh"
export_pygen "$gen" || exit 1

# ---- a capture file, pb ----------------------------------------------------------
f=$corpus/guest-clean.kcap
"$kcap" read -r "$f" >"$gen/read.txt" 2>/dev/null
"$kcap" export -r "$f" -w "$gen/clean.pb" 2>"$gen/err" && ok "kcap export -r -w: status 0" ||
	notok "kcap export -r -w: $(cat "$gen/err")"
$py pb "$gen/clean.pb" >"$gen/clean.sum" 2>"$gen/py.err" && ok "python3-protobuf parses every frame" ||
	notok "python3-protobuf: $(tail -1 "$gen/py.err")"
lines=$(wc -l <"$gen/read.txt")
expect "one message per event plus the header" "$(val frames "$gen/clean.sum")" $((lines + 1))
expect "seq numbers 1..N without gaps" "$(val seq.max "$gen/clean.sum")" "$lines"
grep -q '^header.schema kcap.v1$' "$gen/clean.sum" && ok "header: schema kcap.v1" || notok "header: schema"
grep -q '^header.kernel_release 6\.' "$gen/clean.sum" && ok "header: the recording kernel" ||
	notok "header: kernel release"
expect "getppid events (generic): as many as kcap read prints" \
	"$(val syscall.getppid "$gen/clean.sum")" "$(grep -c " syscall getppid(" "$gen/read.txt")"
expect "openat events (decoded): as many as kcap read prints" \
	"$(val name.openat "$gen/clean.sum")" "$(grep -c " openat(dirfd=" "$gen/read.txt")"
pid=$(grep ' syscall getppid(' "$gen/read.txt" | sed -n '1s/.* pid=\([0-9]*\) .*/\1/p')
expect "the workload's 1000 getppid calls, pid and result" \
	"$(grep -c . < <(grep "^pid\.$pid\.getppid\.res" "$gen/clean.sum"))" 1
expect "  ... 1000 of them" "$(sed -n "s/^pid\.$pid\.getppid\.res[0-9]* //p" "$gen/clean.sum")" 1000
expect "the workload's 50 openat calls = -2 (ENOENT)" \
	"$(val "pid.$pid.openat.res-2" "$gen/clean.sum")" 50
expect "proc_exec of /bin/true" "$(val exec./bin/true "$gen/clean.sum")" \
	"$(grep -c ' proc_exec filename="/bin/true"' "$gen/read.txt")"
for ev in proc_fork proc_exec proc_exit; do
	expect "$ev count" "$(val "name.$ev" "$gen/clean.sum")" "$(grep -c " $ev " "$gen/read.txt")"
done

# protoc --decode on single frames: the header and the first getppid.
split_frames "$gen/clean.pb" "$gen" 40
pdecode "$gen/frame0.bin" >"$gen/frame0.txt" 2>&1
grep -q 'schema: "kcap.v1"' "$gen/frame0.txt" && ok "protoc --decode kcap.v1.Event: the header" ||
	notok "protoc --decode: header ($(head -3 "$gen/frame0.txt"))"
for k in $(seq 1 39); do
	pdecode "$gen/frame$k.bin" >"$gen/dec.txt" 2>&1 ||
		{ notok "protoc --decode frame $k"; break; }
	grep -q 'name: "getppid"' "$gen/dec.txt" && break
done
if grep -q 'name: "getppid"' "$gen/dec.txt" && grep -q "^pid: $pid$" "$gen/dec.txt" &&
	grep -q '^  nr: 110$' "$gen/dec.txt"; then
	ok "protoc --decode kcap.v1.Event: a getppid event (pid $pid, nr 110)"
else
	notok "protoc --decode: no getppid event among the first frames"
	sed 's/^/# /' "$gen/dec.txt" | head -20
fi

# ---- the decoding commands of kcap export --help, as shown ----------------------------
# Lines "  $ CMD" of the help, run in a directory holding the schema (proto/)
# and the capture under the help's name: help and test cannot drift.
hd=$gen/help
mkdir -p "$hd" && ln -s "$top/proto" "$hd/proto" && cp "$f" "$hd/capture.kcap"
"$kcap" export --help | sed -n 's/^  \$ //p' >"$gen/help.cmds"
expect "kcap export --help shows two commands (--split, protoc --decode)" \
	"$(grep -c . "$gen/help.cmds")" 2
kcap() { "$kcap" "$@"; }
k=0
while IFS= read -r c; do
	k=$((k + 1))
	(cd "$hd" && eval "$c") >"$gen/help.out$k" 2>"$gen/help.err$k" && ok "as in the help: $c" ||
		{ notok "as in the help: $c"; sed 's/^/# /' "$gen/help.err$k" | head -5; }
done <"$gen/help.cmds"
unset -f kcap
if grep -q '^seq: 1$' "$gen/help.out2" && grep -q '^source: SOURCE_FILE$' "$gen/help.out2"; then
	ok "  ... protoc decodes the first event"
else
	notok "  ... protoc's output: $(head -3 "$gen/help.out2" | tr '\n' ' ')"
fi
# The files are the stream's messages, in order, none missing (the header
# differs: its time is the export's).
/usr/bin/python3 - "$gen/clean.pb" "$hd/msgs" >"$gen/split.cmp" 2>&1 <<'PYEOF'
import os, sys
d = open(sys.argv[1], "rb").read()
i = k = 0
while i < len(d):
    n = s = 0
    while True:
        b = d[i]; i += 1; n |= (b & 0x7F) << s; s += 7
        if b < 0x80: break
    m = open("%s/%08d.pb" % (sys.argv[2], k), "rb").read()
    if k and m != d[i:i + n]:
        sys.exit("message %d differs" % k)
    i += n; k += 1
extra = len([e for e in os.listdir(sys.argv[2]) if e.endswith(".pb")]) - k
sys.exit("%d files more than messages" % extra if extra else 0)
PYEOF
[ $? -eq 0 ] && ok "--split: one file per message of the -w stream, the same bytes" ||
	notok "--split: $(cat "$gen/split.cmp")"
[ "$(stat -c %a "$hd/msgs")" = 700 ] && ! ls -A "$hd" | grep -q '^\.' &&
	ok "--split: DIR private like -w's files, no temporary left beside it" ||
	notok "--split: $(stat -c %a "$hd/msgs"), $(ls -A "$hd" | tr '\n' ' ')"
# proto/README.md's Python reader, as it is on the page, on the stream.
awk '/^```python$/ { on = 1; next } /^```$/ { on = 0 } on' "$top/proto/README.md" >"$gen/events.py"
(cd "$gen" && /usr/bin/python3 events.py) <"$gen/clean.pb" >"$gen/events.out" 2>"$gen/events.err"
if [ $? -eq 0 ] && [ "$(wc -l <"$gen/events.out")" -eq $((lines + 1)) ] &&
	[ "$(head -1 "$gen/events.out")" = "0 header header " ]; then
	ok "proto/README.md's Python reader: the header, then every event"
else
	notok "proto/README.md's Python reader: $(tail -1 "$gen/events.err") $(head -2 "$gen/events.out")"
fi
"$kcap" export -r - --split "$gen/stdin" <"$f" 2>/dev/null &&
	diff -r -x 00000000.pb "$gen/stdin" "$hd/msgs" >/dev/null && ok "--split with -r - (standard input): the same files" ||
	notok "--split with -r -"

# ---- drops in a capture file ------------------------------------------------------
"$kcap" export -r "$corpus/guest-drops.kcap" -w "$gen/drops.pb" 2>/dev/null
$py pb "$gen/drops.pb" >"$gen/drops.sum"
"$kcap" read -r "$corpus/guest-drops.kcap" >"$gen/dread.txt" 2>/dev/null
expect "drop markers become DropNotice (RING_FULL)" \
	"$(($(val drop.reason.DROP_REASON_RING_FULL "$gen/drops.sum") + 0))" "$(grep -c ' drop ' "$gen/dread.txt")"
lost=$(sed -n 's/.* drop lost_bulk=\([0-9]*\) lost_protected=\([0-9]*\).*/\1 \2/p' "$gen/dread.txt" |
	awk '{ s += $1 + $2 } END { print s + 0 }')
expect "DropNotice counts add up to the markers' lost events" "$(val drop.count "$gen/drops.sum")" "$lost"

# ---- JSON -------------------------------------------------------------------------
"$kcap" export -r "$f" --format json -w "$gen/clean.json" 2>/dev/null
$py json "$gen/clean.json" >"$gen/json.sum" 2>"$gen/py.err" &&
	ok "google.protobuf.json_format parses every JSON line (proto3 JSON mapping)" ||
	notok "json_format: $(tail -1 "$gen/py.err")"
if diff <(grep -v '^header.format' "$gen/clean.sum") <(grep -v '^header.format' "$gen/json.sum") >/dev/null; then
	ok "JSON and protobuf streams say the same"
else
	notok "JSON and protobuf streams differ"
fi

# ---- listeners ----------------------------------------------------------------------
# listen SPEC FORMAT: serve the file, consume it with Python, compare.
listen() {
	"$kcap" export -r "$f" --format "$2" --listen "$1" 2>"$gen/l.err" &
	kp=$!
	for _ in $(seq 50); do grep -q 'listening on' "$gen/l.err" && break; sleep 0.1; done
	addr=$(sed -n 's/.*listening on //p' "$gen/l.err")
	case $1 in tcp:*) src="tcp:$addr" ;; *) src=$1 ;; esac
	timeout 30 $py "$2" "$src" >"$gen/l.sum" 2>"$gen/l.pyerr"
	wait "$kp"
	st=$?
	if [ $st -eq 0 ] && diff <(grep -v '^header.format' "$gen/clean.sum") \
		<(grep -v '^header.format' "$gen/l.sum") >/dev/null; then
		ok "--listen $1 --format $2: the whole stream to a Python client"
	else
		notok "--listen $1 --format $2 (status $st)"
		sed 's/^/# /' "$gen/l.err" "$gen/l.pyerr" | head
	fi
}
listen tcp:127.0.0.1:0 pb
listen "unix:$gen/s.sock" pb
listen "unixpacket:$gen/p.sock" pb
listen "unixpacket:$gen/p.sock" json

# ---- refused options ------------------------------------------------------------------
"$kcap" export --listen tcp:0.0.0.0:9 -r "$f" 2>"$gen/e1"
st=$?
grep -q 'only loopback' "$gen/e1" && [ $st -eq 2 ] && ok "non-loopback TCP refused (exit 2)" ||
	notok "non-loopback TCP: status $st, $(cat "$gen/e1")"
"$kcap" export --format xml -r "$f" 2>"$gen/e2"
grep -q -- '--format xml: need pb or json' "$gen/e2" && ok "--format xml refused" || notok "--format xml"
"$kcap" export --listen udp:1 2>"$gen/e3"
grep -q 'need tcp:127.0.0.1:PORT, unix:PATH or unixpacket:PATH' "$gen/e3" && ok "--listen udp:1 refused" ||
	notok "--listen udp:1"
"$kcap" export -w /tmp/x --listen unix:/tmp/y 2>"$gen/e4"
grep -q 'exclude each other' "$gen/e4" && ok "-w with --listen refused" || notok "-w with --listen"
"$kcap" export -r "$f" --split "$gen/s1" -w "$gen/x" 2>"$gen/e5"
st=$?
grep -q -- '-w, --split, --listen and --to exclude each other' "$gen/e5" && [ $st -eq 2 ] &&
	ok "--split with -w refused (exit 2)" || notok "--split with -w: status $st, $(cat "$gen/e5")"
"$kcap" export -r "$f" --split "$gen/s1" -j 2>"$gen/e6"
st=$?
grep -q -- '--split writes protobuf messages' "$gen/e6" && [ $st -eq 2 ] &&
	ok "--split with -j refused (exit 2)" || notok "--split with -j: status $st, $(cat "$gen/e6")"
"$kcap" export -r "$f" --split "$hd/msgs" 2>"$gen/e7"
st=$?
grep -q 'Directory not empty (need a new or empty directory)' "$gen/e7" && [ $st -eq 1 ] &&
	[ -f "$hd/msgs/00000001.pb" ] && ok "--split into a non-empty directory refused (exit 1), it is left alone" ||
	notok "--split non-empty: status $st, $(cat "$gen/e7")"
mkdir "$gen/s2"
"$kcap" export -r "$f" --split "$gen/s2" 2>/dev/null && [ -f "$gen/s2/00000000.pb" ] &&
	ok "--split into an existing empty directory" || notok "--split into an empty directory"
cp "$f" "$gen/bad.kcap"
printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' |
	dd of="$gen/bad.kcap" bs=1 seek=$(($(stat -c %s "$f") / 2)) conv=notrunc 2>/dev/null
"$kcap" export -r "$gen/bad.kcap" --split "$gen/s3" 2>"$gen/e8"
st=$?
[ $st -eq 1 ] && [ ! -e "$gen/s3" ] && grep -q 's3 not written$' "$gen/e8" &&
	[ -z "$(find "$gen" -maxdepth 1 -name '.s3.*')" ] &&
	ok "-r --split of a corrupt file: exit 1, neither DIR nor a temporary left" ||
	notok "-r --split of a corrupt file: status $st, $(tail -1 "$gen/e8")"
"$kcap" export -r "$gen/bad.kcap" --split "$gen/s3" --keep-partial 2>"$gen/e9"
[ -d "$gen/s3.partial" ] && [ ! -e "$gen/s3" ] && ok "  ... with --keep-partial: DIR.partial" ||
	notok "--keep-partial with --split: $(tail -1 "$gen/e9")"
echo "1..$n"
[ $fails -eq 0 ]
