# SPDX-License-Identifier: Apache-2.0
# kcap export live, on the real driver: a known workload (export_workload:
# an openat of a unique path, a failed openat, a loopback connect, an exec
# of busybox cat with a known argv) exported as protobuf to a file, then as
# JSON to stdout. The streams go to the host, where host/75-export.sh
# decodes them with protoc --decode and python3-protobuf.
. /lib/tap.sh

P=/tmp/kcap-export-case75
PORT=47175
SC=openat,open,connect,execve

# export_bg OUT STDOUT ARGS...: kcap export in the background writing OUT
# (-w OUT, or STDOUT = OUT), messages in OUT.err; the first bytes appear
# once the capture has started.
export_bg() {
	out=$1
	stdout=$2
	shift 2
	rm -f "$out"
	kcap export -e $SC "$@" >"$stdout" 2>"$out.err" &
	xp=$!
	i=0
	while [ ! -s "$out" ] && [ $i -lt 100 ]; do
		usleep 100000
		i=$((i + 1))
	done
}

stop_export() {
	usleep 300000
	kill -INT "$xp"
	wait "$xp"
}

# run_workload NAME: the workload, its pid in /tmp/NAME.pid
run_workload() {
	rm -f "$P" "$P.missing"
	export_workload "$P" "$1" >/tmp/wl.out 2>&1
	st=$?
	sed -n 's/^pid=//p' /tmp/wl.out >"/tmp/$2.pid"
	check "export_workload ($2) exits 0 and cat prints the file" \
		sh -c "[ $st -eq 0 ] && grep -qx kcap /tmp/wl.out"
}

check "insmod kcap.ko" insmod $KO
ifconfig lo 127.0.0.1 up

# 1. protobuf to a file (-w)
export_bg /tmp/live.pb /dev/null -w /tmp/live.pb
run_workload $PORT pb
stop_export
st=$?
check "kcap export -w (live, pb): stopped by SIGINT, status 0" [ $st -eq 0 ]
[ $st -eq 0 ] || diag /tmp/live.pb.err
check "the pb stream names the workload's path" grep -q "$P" /tmp/live.pb
check "export summary: events exported, none dropped" \
	grep -q 'export: [1-9][0-9]* events.* 0 dropped' /tmp/live.pb.err

# 2. JSON to standard output (-j)
export_bg /tmp/live.json /tmp/live.json -j
run_workload $((PORT + 1)) json
stop_export
st=$?
check "kcap export -j (live, JSON on stdout): status 0" [ $st -eq 0 ]
check "JSON: an openat line with the path" grep -q "\"name\":\"$P\"" /tmp/live.json

export_file 75-live.pb /tmp/live.pb
export_file 75-live.json /tmp/live.json
export_file 75-pb.pid /tmp/pb.pid
export_file 75-json.pid /tmp/json.pid
rmmod kcap
