#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Export benchmark: messages per second libkcap's exporter encodes and
# frames on one core (pb and JSON), for a real capture's events and for
# decoded events (openat, execve, connect, write). Writes the fragment
# build/bench/export.md for docs/benchmarks.md.
# Usage: tests/bench/export.sh [SECONDS]   (after `make lib`)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build
secs=${1:-2}
mkdir -p "$build/bench"
bin=$build/bench/export_bench
cc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$top/include" -I"$top/userspace/lib" \
	-o "$bin" "$top/tests/bench/export_bench.c" "$build/lib/libkcap.a" \
	-lelf -lzstd -lz -lprotobuf-c $(pkg-config --libs yaml-0.1 jansson 2>/dev/null || true)
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"
$pin "$bin" "$top/tests/fuzz/corpus/guest-clean.kcap" "$secs" >"$build/bench/export.raw"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "## Export encoding (kcap export, one core)"
	echo
	echo "libkcap's exporter turning events into framed kcap.v1.Event messages"
	echo "(protobuf-c, varint length prefix; or proto3 JSON lines), written to"
	echo "/dev/null, pinned to one CPU ($cpu), ${secs}s per row"
	echo "(tests/bench/export.sh). \"capture\": the events of"
	echo "tests/fuzz/corpus/guest-clean.kcap (mostly generic syscalls); \"decoded\":"
	echo "openat, execve (argv, cgroup), connect, write (64 data bytes)."
	echo
	echo "| events | format | messages/s | bytes/message |"
	echo "|---|---|---:|---:|"
	awk '{ printf "| %s | %s | %d | %d |\n", $1, $2, $3, $4 }' "$build/bench/export.raw"
} >"$build/bench/export.md"
cat "$build/bench/export.md"
