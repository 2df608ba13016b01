// SPDX-License-Identifier: Apache-2.0
/*
 * ct_console SOCKET OUT: the receiving end of an OCI runtime's
 * --console-socket (runc, crun), as a container manager's shim is. Listens on
 * the Unix socket SOCKET, takes the pseudo-terminal master the runtime sends
 * (SCM_RIGHTS) for a container whose process has "terminal": true, and
 * copies what the container writes to its terminal into the file OUT until
 * the terminal closes (the container's process exited). Gives up after 90 s.
 * Exit status 0 once a terminal was received and read to its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

static int recv_fd(int conn)
{
	char data[256], ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(conn, &msg, 0) < 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, conn, master, out;
	char buf[4096];
	ssize_t n;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: ct_console SOCKET OUT\n");
		return 2;
	}
	alarm(90);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		perror("ct_console: socket");
		return 1;
	}
	conn = accept(lfd, NULL, NULL);
	if (conn < 0) {
		perror("ct_console: accept");
		return 1;
	}
	master = recv_fd(conn);
	if (master < 0) {
		fprintf(stderr, "ct_console: no terminal received\n");
		return 1;
	}
	close(conn);
	close(lfd);
	unlink(argv[1]);
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		perror("ct_console: output");
		return 1;
	}
	/* EIO once the last process holding the terminal's other side exits */
	while ((n = read(master, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && write(out, buf, (size_t)n) != n)
			return 1;
	close(out);
	return 0;
}
