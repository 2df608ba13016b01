// SPDX-License-Identifier: Apache-2.0
/*
 * falco-attack: the system calls of tests/falco/attack.sh that busybox
 * cannot make, one step per argument (static, for the guest). What it does
 * depends on the name it runs under (argv[0]'s basename), so that rules on
 * proc.name see the program they expect:
 *   nginx          a "server" older than 5 s reading /etc/shadow and
 *                  spawning a shell (Read sensitive file trusted after
 *                  startup, Run shell untrusted)
 *   httpd          a new "server" reading /etc/shadow at once (what Read
 *                  sensitive file trusted after startup must not see)
 *   sshd           a shell run as the user nobody below it (System user
 *                  interactive)
 *   ssh            a TCP connection to 1.2.3.4:443, an address on lo
 *                  (Disallowed SSH Connection Non Standard Port)
 *   falco-attack STEP...  traverse, ptrace, dup, packet, finit_module,
 *                  memfd, setns, udp (below); end does nothing (the
 *                  workload's last exec, which each recording must have)
 * Any other name (a link named nc, shred, debugfs...) just exits 0: the
 * exec is the step. Exit status: 0, or 1 with a message when a step could
 * not even be attempted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "falco-attack: %s: %s\n", what, strerror(errno));
	return 1;
}

static int wait_child(pid_t pid)
{
	int st;

	if (pid < 0)
		return fail("fork");
	if (waitpid(pid, &st, 0) < 0)
		return fail("waitpid");
	return 0;
}

/* Directory traversal monitored file read: a child (parent not a shell)
 * opens /etc/passwd through "../" twice, and a missing key the same way. */
static int step_traverse(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/etc/../etc/../etc/passwd", O_RDONLY);

		if (fd >= 0)
			close(fd);
		fd = open("/etc/../root/../etc/ssh/id_rsa", O_RDONLY);
		if (fd >= 0)
			close(fd);
		_exit(0);
	}
	return wait_child(pid);
}

/* PTRACE anti-debug attempt (a child asks to be traced) and PTRACE attached
 * to process (the parent attaches to another child). */
static int step_ptrace(void)
{
	pid_t pid = fork(), victim;
	int st;

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		_exit(0);
	}
	if (wait_child(pid))
		return 1;
	victim = fork();
	if (victim == 0) {
		pause();
		_exit(0);
	}
	if (victim < 0)
		return fail("fork");
	if (ptrace(PTRACE_ATTACH, victim, NULL, NULL) == 0) {
		waitpid(victim, &st, 0);
		ptrace(PTRACE_DETACH, victim, NULL, NULL);
	}
	kill(victim, SIGKILL);
	return wait_child(victim);
}

/* A TCP connection to @ip:@port from a new socket; the fd or -1. */
static int tcp_connect(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fail("connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A listening TCP socket on @ip:@port; the fd or -1. */
static int tcp_listen(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		fail("listen");
		close(fd);
		return -1;
	}
	return fd;
}

/* Redirect STDOUT/STDIN to Network Connection: a connected TCP socket
 * dup2()ed onto stdin and stdout of a child. */
static int step_dup(void)
{
	int l = tcp_listen("127.0.0.1", 4444);
	pid_t pid;

	if (l < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		int s = tcp_connect("127.0.0.1", 4444);

		if (s < 0)
			_exit(1);
		dup2(s, 0);
		dup2(s, 1);
		_exit(0);
	}
	wait_child(pid);
	close(l);
	return 0;
}

/* Packet socket created: an AF_PACKET socket. */
static int step_packet(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		return fail("socket(AF_PACKET)");
	close(fd);
	return 0;
}

/* Linux Kernel Module Injection: finit_module on a file that is no module
 * (refused, but the system call is made). */
static int step_finit_module(void)
{
	int fd = open("/proc/version", O_RDONLY);

	syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return 0;
}

/* Fileless execution via memfd_create: busybox copied into a memfd and
 * executed from it (execveat with AT_EMPTY_PATH), in a child. */
static int step_memfd(void)
{
	int in = open("/bin/busybox", O_RDONLY), fd = memfd_create("fileless", 0);
	struct stat sb;
	pid_t pid;

	if (in < 0 || fd < 0 || fstat(in, &sb) < 0)
		return fail("memfd");
	if (sendfile(fd, in, NULL, (size_t)sb.st_size) != sb.st_size)
		return fail("sendfile");
	close(in);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "true", NULL }, *envp[] = { NULL };

		syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		_exit(127);
	}
	close(fd);
	return wait_child(pid);
}

/* Change thread namespace (incubating): setns() into its own network
 * namespace. */
static int step_setns(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY);

	if (fd < 0)
		return fail("/proc/self/ns/net");
	setns(fd, 0);
	close(fd);
	return 0;
}

/* Unexpected UDP Traffic (incubating): a datagram to 1.2.3.4:9999 (on lo). */
static int step_udp(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9999) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return fail("socket(udp)");
	inet_pton(AF_INET, "1.2.3.4", &sa.sin_addr);
	sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return 0;
}

/* nginx: waits until it is older than proc_is_new's 5 s, then reads
 * /etc/shadow and runs a shell. */
static int as_nginx(void)
{
	pid_t pid;
	int fd;

	sleep(6);
	fd = open("/etc/shadow", O_RDONLY);
	if (fd < 0)
		return fail("/etc/shadow");
	close(fd);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "echo spawned-by-nginx >/dev/null", (char *)NULL);
		_exit(127);
	}
	return wait_child(pid);
}

/* httpd: reads /etc/shadow while younger than proc_is_new's 5 s. */
static int as_httpd(void)
{
	int fd = open("/etc/shadow", O_RDONLY);

	if (fd < 0)
		return fail("/etc/shadow");
	close(fd);
	return 0;
}

/* sshd: a child becomes nobody (65534) and runs a shell. */
static int as_sshd(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(126);
		execl("/bin/sh", "sh", "-c", "id >/dev/null", (char *)NULL);
		_exit(127);
	}
	return wait_child(pid);
}

/* ssh: connects to 1.2.3.4:443 (on lo, its own listener), HTTPS's port. */
static int as_ssh(void)
{
	int l = tcp_listen("1.2.3.4", 443), s, a;

	if (l < 0)
		return 1;
	s = tcp_connect("1.2.3.4", 443);
	if (s < 0)
		return 1;
	a = accept(l, NULL, NULL);
	if (a >= 0)
		close(a);
	close(s);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = basename(argv[0]);
	int i, ret = 0;

	if (!strcmp(name, "nginx"))
		return as_nginx();
	if (!strcmp(name, "httpd"))
		return as_httpd();
	if (!strcmp(name, "sshd"))
		return as_sshd();
	if (!strcmp(name, "ssh"))
		return as_ssh();
	if (strcmp(name, "falco-attack"))
		return 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "traverse"))
			ret |= step_traverse();
		else if (!strcmp(argv[i], "ptrace"))
			ret |= step_ptrace();
		else if (!strcmp(argv[i], "dup"))
			ret |= step_dup();
		else if (!strcmp(argv[i], "packet"))
			ret |= step_packet();
		else if (!strcmp(argv[i], "finit_module"))
			ret |= step_finit_module();
		else if (!strcmp(argv[i], "memfd"))
			ret |= step_memfd();
		else if (!strcmp(argv[i], "setns"))
			ret |= step_setns();
		else if (!strcmp(argv[i], "udp"))
			ret |= step_udp();
		else if (!strcmp(argv[i], "end"))
			; /* the workload's last exec: the recording has it all */
		else {
			fprintf(stderr, "falco-attack: unknown step %s\n", argv[i]);
			ret = 1;
		}
	}
	return ret;
}
