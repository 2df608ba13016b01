// SPDX-License-Identifier: Apache-2.0
/* The kcap tool: subcommands and the argument helpers they share. */
#ifndef KCAP_CLI_H
#define KCAP_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "kcap.h"

/* Exit codes. */
#define EXIT_RUNTIME 1 /* the capture failed (driver missing, busy, ...) */
#define EXIT_USAGE 2 /* bad arguments */

int cmd_record(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_list_syscalls(int argc, char **argv);

/* Prints "kcap CMD: MESSAGE" and a hint to --help; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whole decimal number in [min, max]; false if @s is not one. */
bool parse_u64(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out);

/* BYTES, NK, NM or NG; false on a malformed size. */
bool parse_size(const char *s, unsigned long long *out);

/*
 * Comma-separated syscall names (or numbers) into @nrs (room for
 * KCAP_SYSCALL_MAX). Returns the count, or -1 with the bad name in *bad.
 */
int parse_syscalls(char *list, unsigned int *nrs, const char **bad);

/*
 * A capture option shared by record and stats (-e, -s, --buffer-size,
 * --no-lifecycle, --enter) into @o; @nrs holds the -e list. Returns 0 or
 * EXIT_USAGE after printing the error.
 */
int parse_capture_opt(const char *cmd, int c, char *arg, struct kcap_open_opts *o,
		      unsigned int *nrs);

/* Sums every ring's drop counters into @drops; 0 or a negative errno. */
int sum_drops(struct kcap *h, __u64 drops[KCAP_DROP_NR_SLOTS]);

/* Installs SIGINT/SIGTERM handlers that set the flag returned here. */
volatile int *install_stop_signals(void);

#endif /* KCAP_CLI_H */
