// SPDX-License-Identifier: Apache-2.0
/*
 * What the probes see while the readers are attacked: workload processes
 * making syscalls (so rings fill and markers get written), and CPU 1 going
 * offline and online (rings must survive hotplug).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

/* One round of a random syscall mix; getppid bursts fill rings fastest. */
static void workload_round(struct rng *r)
{
	char buf[64];
	int i, fd, p[2];
	pid_t pid;

	switch (rnd_below(r, 8)) {
	case 0:
		fd = openat(AT_FDCWD, "/proc/self/stat", O_RDONLY);
		if (fd >= 0) {
			(void)!read(fd, buf, sizeof(buf));
			close(fd);
		}
		break;
	case 1:
		if (pipe(p) == 0) {
			(void)!write(p[1], buf, sizeof(buf));
			(void)!read(p[0], buf, sizeof(buf));
			close(p[0]);
			close(p[1]);
		}
		break;
	case 2:
		if (!chance(r, 16))
			break;
		/* fork + exec: lifecycle events, the protected kind. */
		pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		break;
	default:
		for (i = 0; i < 200; i++)
			syscall(SYS_getppid);
		break;
	}
}

void workload_main(uint64_t seed)
{
	struct rng r;
	unsigned int n = 0;

	rng_init(&r, seed);
	for (;;) {
		workload_round(&r);
		if (++n % 64 == 0)
			count_op(OP_WORKLOAD);
	}
}

/* Write "0" or "1" to CPU 1's online file; 0 or an errno. */
int cpu1_set_online(int on)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	int err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, on ? "1" : "0", 1) != 1)
		err = errno;
	close(fd);
	return err;
}

static volatile sig_atomic_t hotplug_stop;

static void hotplug_term(int sig)
{
	(void)sig;
	hotplug_stop = 1;
}

/* Toggle CPU 1 until SIGTERM, then leave it online. */
void hotplug_main(uint64_t seed)
{
	struct rng r;
	int err;

	rng_init(&r, seed);
	signal(SIGTERM, hotplug_term);
	if (access(CPU1_ONLINE, W_OK)) {
		note("no writable %s: no hotplug", CPU1_ONLINE);
		pause();
		exit(0);
	}
	while (!hotplug_stop) {
		sleep_ms(100 + rnd_below(&r, 1500));
		if (hotplug_stop)
			break;
		err = cpu1_set_online(0);
		if (err)
			count_err(err);
		sleep_ms(50 + rnd_below(&r, 800));
		err = cpu1_set_online(1);
		if (err)
			count_err(err);
		count_op(OP_HOTPLUG);
	}
	cpu1_set_online(1);
	exit(0);
}
