// SPDX-License-Identifier: Apache-2.0
/*
 * ia32_workload PATH: a 32-bit static program (gcc -m32 -static) for
 * decode_test ia32: openat(AT_FDCWD, PATH, O_WRONLY|O_CREAT|O_TRUNC, 0600),
 * write(fd, "ia32-data", 9), close(fd), getpid(), then exits 0. Raw
 * syscalls so that the ia32 numbers used are exactly these.
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long fd;

	if (argc != 2)
		return 2;
	fd = syscall(SYS_openat, AT_FDCWD, argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 3;
	if (syscall(SYS_write, fd, "ia32-data", 9) != 9)
		return 4;
	syscall(SYS_close, fd);
	syscall(SYS_getpid);
	return 0;
}
