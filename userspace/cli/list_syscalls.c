// SPDX-License-Identifier: Apache-2.0
/* kcap list-syscalls: the syscall names kcap knows, with their numbers. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char list_usage[] = "Usage: kcap list-syscalls [--ia32]\n"
				 "Print \"NUMBER NAME\" for every syscall kcap can name, x86_64\n"
				 "numbering (or ia32 with --ia32). Use the names with record -e.\n";

int cmd_list_syscalls(int argc, char **argv)
{
	enum kcap_syscall_abi abi = KCAP_SC_X86_64;
	unsigned int nr, max;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ia32")) {
			abi = KCAP_SC_IA32;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(list_usage, stdout);
			return 0;
		} else {
			return usage_error("list-syscalls", "unexpected argument '%s'", argv[i]);
		}
	}
	max = kcap_syscall_max(abi);
	for (nr = 0; nr < max; nr++)
		if (kcap_syscall_name(nr, abi))
			printf("%u %s\n", nr, kcap_syscall_name(nr, abi));
	return check_output("list-syscalls");
}
