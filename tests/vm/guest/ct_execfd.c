// SPDX-License-Identifier: Apache-2.0
/*
 * ct_execfd PROG ARG...: copy PROG into a memfd and execute it the way runc
 * and crun re-execute themselves from a sealed copy (CVE-2019-5736):
 * execveat(memfd, "", argv, envp, AT_EMPTY_PATH), i.e. fexecve(). On
 * failure prints the error and exits 127; on success PROG's status is ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	char buf[65536], *env[] = { NULL };
	int in, fd;
	ssize_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: ct_execfd PROG [ARG]...\n");
		return 2;
	}
	in = open(argv[1], O_RDONLY | O_CLOEXEC);
	fd = (int)syscall(SYS_memfd_create, "ct_execfd", 1 /* MFD_CLOEXEC */);
	if (in < 0 || fd < 0) {
		perror("ct_execfd");
		return 127;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 127;
	syscall(SYS_execveat, fd, "", argv + 1, env, AT_EMPTY_PATH);
	fprintf(stderr, "ct_execfd: execveat(memfd, \"\", AT_EMPTY_PATH): %s\n", strerror(errno));
	return 127;
}
