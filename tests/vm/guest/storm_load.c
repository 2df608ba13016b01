// SPDX-License-Identifier: Apache-2.0
/*
 * storm_load CALLS EXECS: the counted workload of the storm case. Makes
 * CALLS getsid(0) calls (a syscall neither stress-ng's stressors of that
 * case nor busybox make) in EXECS bursts, each followed by a fork of a
 * child that execs /bin/true, waited for. Prints "pid=PID", then at the
 * end "calls=N children=PID,PID,..." (the children whose fork, exec and
 * exit events the case looks for).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char *const targv[] = { "true", NULL };
	long calls, execs, done = 0, i, e;
	int st;

	if (argc != 3 || (calls = atol(argv[1])) < 1 || (execs = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: storm_load CALLS EXECS\n");
		return 2;
	}
	printf("pid=%d\n", getpid());
	fflush(stdout);
	printf("children=");
	for (e = 0; e < execs; e++) {
		long n = calls / execs + (e < calls % execs);
		pid_t c;

		for (i = 0; i < n; i++, done++)
			syscall(SYS_getsid, 0);
		c = fork();
		if (c < 0) {
			perror("fork");
			return 1;
		}
		if (c == 0) {
			execv("/bin/true", targv);
			_exit(127);
		}
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "storm_load: child %d failed\n", c);
			return 1;
		}
		printf("%s%d", e ? "," : "", c);
	}
	printf("\ncalls=%ld\n", done);
	return 0;
}
