#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# gen-syscalls.sh UNISTD_H ARRAY_NAME > OUT.h
# Turns the kernel's asm/unistd_{64,32}.h ("#define __NR_read 0") into a C
# array initializer of syscall names indexed by number. Run at build time so
# the tables follow the kernel headers installed on the build machine.
set -eu
in=$1
name=$2
echo "/* Generated from $(basename "$in") by gen-syscalls.sh; do not edit. */"
echo "static const char *const ${name}[] = {"
awk '$1 == "#define" && $2 ~ /^__NR_[A-Za-z0-9_]+$/ && $3 ~ /^[0-9]+$/ {
	printf "\t[%s] = \"%s\",\n", $3, substr($2, 6)
}' "$in"
echo "};"
