#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Host side of 75-export: the live streams of the guest (pb written with -w,
# JSON on stdout) decoded by tools kcap did not write, protoc --decode and
# tests/export/consume.py on Debian's python3-protobuf, and the workload's
# events checked field by field: paths and results of its openat calls, the
# loopback connect, the exec's filename and argv, its pid, and the process
# context every one of them carries (also the events after the exec).
set -u
dir=$1
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/tests/export/lib.sh"
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
P=/tmp/kcap-export-case75

export_pygen "$gen/py" || { notok "protoc --python_out"; echo "1..$n"; exit 1; }

# has FILE WHAT PATTERN...: some "event" line of FILE holds every PATTERN
has() {
	f=$1 what=$2
	shift 2
	if awk 'BEGIN { for (i = 2; i < ARGC; i++) want[i] = ARGV[i]; n = ARGC; ARGC = 2 }
		/^event / { all = 1; for (i = 2; i < n; i++) if (!index($0, want[i])) all = 0
			    if (all) found = 1 }
		END { exit !found }' "$f" "$@"; then
		ok "$what"
	else
		notok "$what: no event line with all of: $*"
		grep '^event ' "$f" | head -20 | sed 's/^/# /'
	fi
}

# check_stream FORMAT FILE PID PORT: the workload's events in one stream
check_stream() {
	fmt=$1 file=$2 pid=$3 port=$4 s=$gen/$1.sum
	if [ -z "$pid" ] || [ ! -s "$file" ]; then
		notok "$fmt: the guest sent the stream and the workload's pid"
		return
	fi
	if $py "$fmt" "$file" "$pid" >"$s" 2>"$gen/py.err"; then
		ok "$fmt: python3-protobuf parses every message of the live stream"
	else
		notok "$fmt: python3-protobuf: $(tail -1 "$gen/py.err")"
		return
	fi
	expect "$fmt: the stream starts with a kcap.v1 header" \
		"$(grep -c '^header.schema kcap.v1$' "$s")" 1
	grep -q '^event ' "$s" && ok "$fmt: events of the workload's pid $pid" ||
		notok "$fmt: no event of pid $pid"
	w="pid=$pid tid=$pid"
	has "$s" "$fmt: execve of export_workload" "event execve res=0 source=SOURCE_LIVE" \
		"filename=/bin/export_workload" "argv=export_workload,$P,$port" "$w"
	has "$s" "$fmt: openat $P (O_CREAT), a descriptor, with the process context" \
		"name=$P path=$P" "event open" "source=SOURCE_LIVE" "$w" "comm=export_workload" \
		"exe=/bin/export_workload" "args=$P,$port" "cwd=/" "uid=0" "user=root" \
		"container=host"
	l=$(grep -F "name=$P path=$P" "$s" | head -1)
	res=$(sed -n 's/.* res=\(-\{0,1\}[0-9]*\) .*/\1/p' <<<"$l")
	fl=$(sed -n 's/.* flags=\(0x[0-9a-f]*\) .*/\1/p' <<<"$l")
	[ -n "$res" ] && [ "$res" -ge 0 ] && [ -n "$fl" ] && (((fl & 0x40) != 0)) &&
		ok "$fmt: ... its result is a descriptor ($res) and O_CREAT is in its flags ($fl)" ||
		notok "$fmt: openat result or flags: $l"
	has "$s" "$fmt: openat $P.missing = -2 (ENOENT)" "name=$P.missing" "res=-2" "$w" \
		"comm=export_workload"
	has "$s" "$fmt: connect to 127.0.0.1:$port = 0" "event connect res=0" "family=2" \
		"ip=127.0.0.1" "port=$port" "$w" "comm=export_workload"
	has "$s" "$fmt: execve of /bin/busybox with argv cat $P" "event execve res=0" \
		"filename=/bin/busybox" "argv=cat,$P" "$w"
	# After the exec: an openat carries no process data itself; the thread
	# table gives it the new image.
	has "$s" "$fmt: cat's openat of $P has the new image (exe, args) as process" \
		"name=$P path=$P" "res=3" "$w" "comm=busybox" "exe=/bin/busybox" "args=$P"
}

pb_pid=$(cat "$dir/75-pb.pid" 2>/dev/null)
json_pid=$(cat "$dir/75-json.pid" 2>/dev/null)
check_stream pb "$dir/75-live.pb" "$pb_pid" 47175
check_stream json "$dir/75-live.json" "$json_pid" 47176

# protoc --decode kcap.v1.Event on the messages that name the workload's path
mkdir -p "$gen/frames"
split_frames "$dir/75-live.pb" "$gen/frames" 100000
pdecode "$gen/frames/frame0.bin" >"$gen/f0.txt" 2>&1
grep -q 'schema: "kcap.v1"' "$gen/f0.txt" && grep -q '^source: SOURCE_LIVE' "$gen/f0.txt" &&
	ok "protoc --decode: the live header" || notok "protoc --decode: header: $(head -3 "$gen/f0.txt")"
found_open=0 found_conn=0 found_exec=0
for f in $(grep -lF -e "$P" -e "busybox" "$gen"/frames/frame*.bin); do
	pdecode "$f" >"$gen/d.txt" 2>&1 || { notok "protoc --decode $(basename "$f")"; continue; }
	grep -q "^pid: $pb_pid$" "$gen/d.txt" || continue
	if grep -q "^  name: \"$P\"$" "$gen/d.txt" && grep -q "^  path: \"$P\"$" "$gen/d.txt" &&
		grep -q '^  comm: "export_workload"$' "$gen/d.txt"; then
		found_open=1
	fi
	if grep -q '^  filename: "/bin/busybox"$' "$gen/d.txt" && grep -q '^  argv: "cat"$' "$gen/d.txt" &&
		grep -q "^  argv: \"$P\"$" "$gen/d.txt"; then
		found_exec=1
	fi
done
[ $found_open = 1 ] && ok "protoc --decode: openat of $P by pid $pb_pid, process comm export_workload" ||
	notok "protoc --decode: the openat of $P"
[ $found_exec = 1 ] && ok "protoc --decode: execve of /bin/busybox, argv cat $P" ||
	notok "protoc --decode: the execve of busybox"
for f in "$gen"/frames/frame*.bin; do
	grep -qF "export_workload" "$f" || continue
	pdecode "$f" >"$gen/d.txt" 2>/dev/null || continue
	if grep -q '^name: "connect"$' "$gen/d.txt" && grep -q "^pid: $pb_pid$" "$gen/d.txt" &&
		grep -q '^    ip: "127.0.0.1"$' "$gen/d.txt" && grep -q '^    port: 47175$' "$gen/d.txt"; then
		found_conn=1
		break
	fi
done
[ $found_conn = 1 ] && ok "protoc --decode: connect to 127.0.0.1:47175 by pid $pb_pid" ||
	notok "protoc --decode: the connect"
echo "1..$n"
[ $fails -eq 0 ]
