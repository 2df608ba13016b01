// SPDX-License-Identifier: Apache-2.0
/*
 * The benchmark's static /bin/true: no libc, one exit_group syscall, so an
 * execve workload measures the kernel's exec path and not a libc start-up.
 */
void _start(void)
{
	__asm__ volatile("mov $231, %eax\n\t" /* exit_group */
			 "xor %edi, %edi\n\t"
			 "syscall");
	__builtin_unreachable();
}
