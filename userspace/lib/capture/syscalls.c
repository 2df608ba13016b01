// SPDX-License-Identifier: Apache-2.0
/*
 * Syscall name <-> number, for the x86_64 and ia32 numberings. The tables
 * are generated at build time from the kernel's asm/unistd_*.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

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

/* ia32 names whose x86_64 call has another name (besides a "32"/"64" suffix). */
static const char *const ia32_alias[][2] = {
	{ "mmap2", "mmap" },
	{ "fstatat64", "newfstatat" },
	{ "ugetrlimit", "getrlimit" },
	{ "_llseek", "lseek" },
	{ "_newselect", "select" },
	{ "fadvise64_64", "fadvise64" },
};

/* The x86_64 number of the call ia32 @name stands for, or -ENOENT. */
static int ia32_to_x86_64(const char *name)
{
	char base[64];
	size_t n = strlen(name), i;
	int nr = kcap_syscall_nr(name, KCAP_SC_X86_64);

	if (nr >= 0)
		return nr;
	for (i = 0; i < ARRAY_SIZE(ia32_alias); i++)
		if (!strcmp(name, ia32_alias[i][0]))
			return kcap_syscall_nr(ia32_alias[i][1], KCAP_SC_X86_64);
	if (n > 2 && n < sizeof(base) &&
	    (!strcmp(name + n - 2, "32") || !strcmp(name + n - 2, "64"))) {
		memcpy(base, name, n - 2);
		base[n - 2] = '\0';
		return kcap_syscall_nr(base, KCAP_SC_X86_64);
	}
	return -ENOENT;
}

void kcap__ia32_interest(const __u64 *exit_bits, __u64 *ia32_bits)
{
	unsigned int nr;
	int nr64;

	for (nr = 0; nr < ARRAY_SIZE(kcap_syscalls_32) && nr < KCAP_SYSCALL_MAX; nr++) {
		if (!kcap_syscalls_32[nr])
			continue;
		nr64 = ia32_to_x86_64(kcap_syscalls_32[nr]);
		if (nr64 >= 0 && nr64 < KCAP_SYSCALL_MAX &&
		    (exit_bits[nr64 / 64] & (1ULL << (nr64 % 64))))
			ia32_bits[nr / 64] |= 1ULL << (nr % 64);
	}
}
