// SPDX-License-Identifier: Apache-2.0
/*
 * export_workload: a known workload for the live export guest case
 * (cases/75-export.sh, checked by host/75-export.sh).
 *   export_workload PATH PORT
 * prints "pid=N", then, all from that pid:
 *   openat(PATH, O_WRONLY|O_CREAT|O_TRUNC) = fd, write, close
 *   openat(PATH ".missing", O_RDONLY) = -ENOENT
 *   connect(socket, 127.0.0.1:PORT) = 0 (to its own listener)
 *   execve("/bin/busybox", ["cat", PATH]), which opens PATH again
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char missing[4096];
	char *args[] = { "cat", NULL, NULL }, *env[] = { "PATH=/bin", NULL };
	int fd, l, s;

	if (argc != 3) {
		fprintf(stderr, "usage: export_workload PATH PORT\n");
		return 2;
	}
	printf("pid=%d\n", getpid());
	fflush(stdout);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 4)) {
		perror("export_workload: listener");
		return 1;
	}
	fd = openat(AT_FDCWD, argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "kcap\n", 5) != 5) {
		perror("export_workload: openat");
		return 1;
	}
	close(fd);
	snprintf(missing, sizeof(missing), "%s.missing", argv[1]);
	if (openat(AT_FDCWD, missing, O_RDONLY) >= 0)
		return 1;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("export_workload: connect");
		return 1;
	}
	close(s);
	close(l);
	args[1] = argv[1];
	execve("/bin/busybox", args, env);
	perror("export_workload: execve");
	return 1;
}
