// SPDX-License-Identifier: Apache-2.0
/*
 * profile_target: the workload of case 45-profile, a program of its own
 * because AppArmor attaches a profile to an executable's path (a busybox
 * applet would confine all of busybox).
 *
 *   profile_target normal DIR PORT     the learnt workload
 *   profile_target deviate DIR PORT    the same, then five deviations
 *   profile_target scdeviate DIR PORT  the same, then one syscall (mkdir)
 *                                      the normal run never makes
 *   profile_target child               what normal runs as its helper
 *   profile_target cxnormal DIR        reads DIR/data.txt, then runs
 *                                      /bin/profile_helper (a copy of this
 *                                      program, run under Cx) as "helper DIR"
 *   profile_target cxdeviate DIR       the same, the helper as "hdeviate DIR"
 *   profile_target helper DIR          reads DIR/helper.txt, "helper ok"
 *   profile_target hdeviate DIR        the same, then reads DIR/data.txt
 *                                      (only the parent read it) and
 *                                      /etc/shadow: "hdata ok|errno=N",
 *                                      "hshadow ok|errno=N"
 *
 * The normal run reads DIR/data.txt, lists DIR, reads /proc/self/status,
 * writes a per-run file DIR/out-PID.tmp and a mkstemp file DIR/tmp.XXXXXX
 * and removes them, appends to the existing DIR/app.log, sends a UDP
 * datagram to 127.0.0.1:PORT, runs itself as a helper (fork, exec) and
 * prints "normal ok". Each deviation prints "NAME ok" when it succeeded or
 * "NAME errno=N" when it failed: reading /etc/shadow, creating a file
 * below /usr/bin, a TCP socket connecting to PORT+1, running /bin/sh,
 * making the directory DIR/newdir (the caller removes it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("normal failed: %s: %s\n", what, strerror(errno));
	return 1;
}

static int read_file(const char *path)
{
	char buf[512];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

static int run_child(const char *self, const char *arg)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		execl(self, self, arg, (char *)NULL);
		printf("exec %s: %s\n", self, strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static int normal(const char *self, const char *dir, int port)
{
	char path[512], tmpl[512];
	struct sockaddr_in sa = loopback(port);
	struct dirent *de;
	DIR *d;
	int fd, s;

	snprintf(path, sizeof(path), "%s/data.txt", dir);
	if (read_file(path))
		return fail(path);
	d = opendir(dir);
	if (!d)
		return fail("opendir");
	while ((de = readdir(d)))
		;
	closedir(d);
	if (read_file("/proc/self/status"))
		return fail("/proc/self/status");
	snprintf(path, sizeof(path), "%s/out-%d.tmp", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "x\n", 2) != 2)
		return fail(path);
	close(fd);
	unlink(path);
	snprintf(tmpl, sizeof(tmpl), "%s/tmp.XXXXXX", dir);
	fd = mkstemp(tmpl);
	if (fd < 0)
		return fail("mkstemp");
	close(fd);
	unlink(tmpl);
	snprintf(path, sizeof(path), "%s/app.log", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, "run\n", 4) != 4)
		return fail(path);
	close(fd);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(s, "ping", 4, 0) != 4)
		return fail("udp");
	close(s);
	if (run_child(self, "child"))
		return fail("helper");
	printf("normal ok\n");
	fflush(stdout);
	return 0;
}

static void report(const char *what, int rc)
{
	if (rc)
		printf("%s errno=%d\n", what, errno);
	else
		printf("%s ok\n", what);
	fflush(stdout);
}

static void deviate(const char *dir, int port)
{
	struct sockaddr_in sa = loopback(port + 1);
	char path[512];
	int fd, s, st;
	pid_t pid;

	report("shadow", read_file("/etc/shadow"));
	fd = open("/usr/bin/kcap-profile-planted", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	report("usrbin", fd < 0 ? -1 : 0);
	if (fd >= 0)
		close(fd);
	/* the socket is what AppArmor mediates (family, type); the port is
	 * new too, and nothing listens there: ECONNREFUSED counts as ok */
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) && errno != ECONNREFUSED)
		s = -1;
	report("tcp", s < 0 ? -1 : 0);
	if (s >= 0)
		close(s);
	pid = fork();
	if (!pid) {
		execl("/bin/sh", "sh", "-c", "exit 0", (char *)NULL);
		_exit(100 + errno);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) >= 100) {
		errno = WEXITSTATUS(st) - 100;
		report("shell", -1);
	} else {
		report("shell", pid > 0 ? 0 : -1);
	}
	/* not removed here: after a denied mkdir, an rmdir would fail with
	 * ENOENT before AppArmor looks, unlike in the unconfined recording */
	snprintf(path, sizeof(path), "%s/newdir", dir);
	report("mkdir", mkdir(path, 0755));
}

/* The helper of the Cx runs (its own program file: a Cx rule is by path). */
#define HELPER "/bin/profile_helper"

static int helper(const char *mode, const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/helper.txt", dir);
	if (read_file(path)) {
		printf("helper failed: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("helper ok\n");
	fflush(stdout);
	if (!strcmp(mode, "hdeviate")) {
		snprintf(path, sizeof(path), "%s/data.txt", dir);
		report("hdata", read_file(path));
		report("hshadow", read_file("/etc/shadow"));
	}
	return 0;
}

static int cx_parent(const char *mode, const char *dir)
{
	char path[512];
	int st;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/data.txt", dir);
	if (read_file(path))
		return fail(path);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (!pid) {
		execl(HELPER, HELPER, strcmp(mode, "cxdeviate") ? "helper" : "hdeviate", dir,
		      (char *)NULL);
		printf("exec %s: %s\n", HELPER, strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return fail("helper");
	printf("cx ok\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int port = argc > 3 ? atoi(argv[3]) : 0;

	if (argc == 3 && (!strcmp(argv[1], "helper") || !strcmp(argv[1], "hdeviate")))
		return helper(argv[1], argv[2]);
	if (argc == 3 && (!strcmp(argv[1], "cxnormal") || !strcmp(argv[1], "cxdeviate")))
		return cx_parent(argv[1], argv[2]);

	if (argc == 2 && !strcmp(argv[1], "child")) {
		printf("child ok\n");
		fflush(stdout);
		return 0;
	}
	if (argc != 4 || port <= 0 || port > 65534) {
		fprintf(stderr, "usage: profile_target normal|deviate|scdeviate DIR PORT\n");
		return 2;
	}
	if (normal(argv[0], argv[2], port))
		return 1;
	if (!strcmp(argv[1], "deviate")) {
		deviate(argv[2], port);
	} else if (!strcmp(argv[1], "scdeviate")) {
		char path[512];

		snprintf(path, sizeof(path), "%s/newdir", argv[2]);
		report("mkdir", mkdir(path, 0755));
	}
	return 0;
}
