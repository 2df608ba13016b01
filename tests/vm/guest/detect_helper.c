// SPDX-License-Identifier: Apache-2.0
/*
 * detect_helper: the behaviours kcap's default rules look for, one per
 * subcommand, for the detection guest case and the demo.
 *   pty CMD [ARG]...   run CMD in a new session with a pseudo-terminal as
 *                      its controlling tty (a "terminal shell"), copy its
 *                      output to stdout, exit with its status
 *   ptrace             attach to a child with PTRACE_ATTACH, then detach
 *   setuid             as uid 1000 with saved uid 0, setuid(0)
 *   memfd PROG         copy PROG into a memfd and execute it (with "true")
 *   module FILE        finit_module(FILE), then init_module() of FILE's
 *                      bytes with the ELF magic broken; prints each result
 *                      as "finit_module=ERRNO" / "init_module=ERRNO"
 *   runas UID CMD...   drop to UID (and gid UID, no groups), then exec CMD
 *                      (busybox's setpriv cannot change ids)
 */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int run_pty(char **argv)
{
	int master, slave, status = 0;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	mkdir("/dev/pts", 0755);
	mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666"); /* EBUSY if mounted */
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("detect_helper pty: /dev/ptmx");
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		setsid();
		slave = open(ptsname(master), O_RDWR);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0)) {
			perror("detect_helper pty: slave");
			_exit(127);
		}
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		if (slave > 2)
			close(slave);
		execvp(argv[0], argv);
		_exit(127);
	}
	/* EIO on the master once the child side is closed */
	while ((n = read(master, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int run_ptrace(void)
{
	pid_t child = fork();
	int status;

	if (child == 0) {
		pause();
		_exit(0);
	}
	usleep(10000);
	if (ptrace(PTRACE_ATTACH, child, NULL, NULL)) {
		perror("detect_helper ptrace");
		kill(child, SIGKILL);
		return 1;
	}
	waitpid(child, &status, 0);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return 0;
}

static int run_setuid(void)
{
	if (setresuid(1000, 1000, 0)) {
		perror("detect_helper setresuid");
		return 1;
	}
	if (setuid(0)) {
		perror("detect_helper setuid(0)");
		return 1;
	}
	return 0;
}

static int run_memfd(const char *prog)
{
	char buf[65536], *args[] = { "memfd-prog", "true", NULL }, *env[] = { NULL };
	int in = open(prog, O_RDONLY), fd = (int)syscall(SYS_memfd_create, "payload", 0);
	ssize_t n;

	if (in < 0 || fd < 0) {
		perror("detect_helper memfd");
		return 1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 1;
	close(in);
	fexecve(fd, args, env);
	/* The 5.10 guest refuses execveat(fd, "", AT_EMPTY_PATH) on a memfd
	 * with ENOENT; the /proc/self/fd path runs the same memory file.
	 */
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
	execve(buf, args, env);
	perror("detect_helper fexecve");
	return 1;
}

/* Attempts only: the guest case passes a module that cannot load. */
static int run_module(const char *path)
{
	static char image[8 << 20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	long r;

	if (fd < 0) {
		perror("detect_helper module");
		return 1;
	}
	r = syscall(SYS_finit_module, fd, "", 0);
	printf("finit_module=%s\n", r ? strerrorname_np(errno) : "0");
	n = pread(fd, image, sizeof(image), 0);
	close(fd);
	if (n < 4)
		return 1;
	image[1] = 'X'; /* "\177XLF": not an ELF image */
	r = syscall(SYS_init_module, image, (unsigned long)n, "");
	printf("init_module=%s\n", r ? strerrorname_np(errno) : "0");
	return 0;
}

static int run_as(const char *uid_s, char **cmd)
{
	uid_t id = (uid_t)strtoul(uid_s, NULL, 10);

	if (setgroups(0, NULL) || setgid(id) || setuid(id)) {
		perror("detect_helper runas");
		return 1;
	}
	execvp(cmd[0], cmd);
	perror("detect_helper runas: exec");
	return 127;
}

int main(int argc, char **argv)
{
	if (argc > 3 && !strcmp(argv[1], "runas"))
		return run_as(argv[2], argv + 3);
	if (argc > 2 && !strcmp(argv[1], "pty"))
		return run_pty(argv + 2);
	if (argc == 2 && !strcmp(argv[1], "ptrace"))
		return run_ptrace();
	if (argc == 2 && !strcmp(argv[1], "setuid"))
		return run_setuid();
	if (argc == 3 && !strcmp(argv[1], "memfd"))
		return run_memfd(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "module"))
		return run_module(argv[2]);
	fprintf(stderr, "usage: detect_helper pty CMD [ARG]... | ptrace | setuid | memfd PROG | "
			"module FILE | runas UID CMD...\n");
	return 2;
}
