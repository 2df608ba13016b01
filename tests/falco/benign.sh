#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The benign workload (busybox sh, in the guest, recorded by kcap): what a
# quiet machine does; kcap detect with falco_rules.yaml must raise nothing.
d=/tmp/benign
/bin/mkdir -p $d
echo hello >$d/a
/bin/cat $d/a >/dev/null
/bin/grep hello $d/a >/dev/null
/usr/bin/find $d -name a >/dev/null
/bin/cp $d/a $d/b
/bin/ln -s $d/a $d/c
/bin/ls -l $d >/dev/null
/bin/sh -c 'echo child' >/dev/null
/bin/cat /etc/passwd /proc/version >/dev/null
/bin/ps >/dev/null
echo line >>$d/log
/bin/rm -rf $d
