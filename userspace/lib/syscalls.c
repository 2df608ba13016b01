// SPDX-License-Identifier: Apache-2.0
/*
 * Syscall name <-> number, for the x86_64 and ia32 numberings. The tables
 * are generated at build time from the kernel's asm/unistd_*.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kcap_internal.h"

#include "kcap_syscalls_64.h"
#include "kcap_syscalls_32.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const *table(enum kcap_syscall_abi abi, unsigned int *n)
{
	if (abi == KCAP_SC_IA32) {
		*n = ARRAY_SIZE(kcap_syscalls_32);
		return kcap_syscalls_32;
	}
	if (abi == KCAP_SC_X86_64) {
		*n = ARRAY_SIZE(kcap_syscalls_64);
		return kcap_syscalls_64;
	}
	*n = 0;
	return NULL;
}

const char *kcap_syscall_name(unsigned int nr, enum kcap_syscall_abi abi)
{
	unsigned int n;
	const char *const *t = table(abi, &n);

	return nr < n ? t[nr] : NULL;
}

unsigned int kcap_syscall_max(enum kcap_syscall_abi abi)
{
	unsigned int n;

	table(abi, &n);
	return n;
}

int kcap_syscall_nr(const char *name, enum kcap_syscall_abi abi)
{
	unsigned int n, i;
	const char *const *t = table(abi, &n);
	char *end;
	unsigned long v;

	if (!name || !t)
		return -ENOENT;
	for (i = 0; i < n; i++)
		if (t[i] && !strcmp(t[i], name))
			return (int)i;
	if (!strncmp(name, "syscall_", 8) && name[8] >= '0' && name[8] <= '9') {
		errno = 0;
		v = strtoul(name + 8, &end, 10);
		if (!errno && !*end && v < KCAP_SYSCALL_MAX)
			return (int)v;
	}
	return -ENOENT;
}
