// SPDX-License-Identifier: Apache-2.0
/*
 * seccomp_run BPF PROGRAM ARGS...: installs the seccomp filter BPF (a
 * struct sock_filter array as `kcap profile seccomp --raw` writes it) with
 * SECCOMP_FILTER_FLAG_LOG, so that the kernel logs what it denies, then
 * executes PROGRAM. Case 45-profile's enforcer; a static program that
 * makes no syscall between the filter and the exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_INSNS 4096

int main(int argc, char **argv)
{
	static struct sock_filter insns[MAX_INSNS];
	struct sock_fprog prog = { .filter = insns };
	ssize_t n, total = 0;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: seccomp_run BPF PROGRAM [ARGS...]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "seccomp_run: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while ((n = read(fd, (char *)insns + total, sizeof(insns) - (size_t)total)) > 0)
		total += n;
	close(fd);
	if (n < 0 || !total || total % sizeof(insns[0]) || (size_t)total == sizeof(insns)) {
		fprintf(stderr, "seccomp_run: %s: not a BPF program (%zd bytes)\n", argv[1], total);
		return 1;
	}
	prog.len = (unsigned short)(total / sizeof(insns[0]));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, &prog)) {
		fprintf(stderr, "seccomp_run: installing the filter: %s\n", strerror(errno));
		return 1;
	}
	execv(argv[2], argv + 2);
	return 126;
}
