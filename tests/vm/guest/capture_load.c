// SPDX-License-Identifier: Apache-2.0
/*
 * capture_load GETPPIDS OPENS EXECS: a known workload for the capture-file
 * case. Prints "pid=PID", then calls getppid() GETPPIDS times, opens a
 * path that does not exist OPENS times (openat, ENOENT), and forks EXECS
 * children that exec /bin/true, waiting for each.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MISSING "/nonexistent/kcap-capture-load"

int main(int argc, char **argv)
{
	long getppids, opens, execs, i;

	if (argc != 4) {
		fprintf(stderr, "usage: capture_load GETPPIDS OPENS EXECS\n");
		return 2;
	}
	getppids = atol(argv[1]);
	opens = atol(argv[2]);
	execs = atol(argv[3]);
	printf("pid=%d\n", getpid());
	fflush(stdout);
	for (i = 0; i < getppids; i++)
		syscall(SYS_getppid);
	for (i = 0; i < opens; i++)
		syscall(SYS_openat, AT_FDCWD, MISSING, O_RDONLY);
	for (i = 0; i < execs; i++) {
		pid_t c = fork();
		int st;

		if (c < 0)
			return 1;
		if (c == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	return 0;
}
