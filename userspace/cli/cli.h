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
int cmd_list_events(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_driver(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_list_fields(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* kcap record -w: where and how to write (record_file.c). */
struct record_file_opts {
	const char *path;
	int level; /* zstd level, 0: default */
	unsigned long long rotate_bytes; /* -C, 0: no rotation by size */
	unsigned int rotate_secs; /* -G */
	unsigned int keep; /* -W */
};

/* Writes @h's events to a capture file until -n, a signal or an error;
 * prints errors and a summary on stderr; returns the exit status. */
int record_to_file(struct kcap *h, const struct record_file_opts *ro, unsigned long long count,
		   volatile int *stop);

/* Parses -z, -C, -G, -W (record and read -w); EXIT_USAGE after a message. */
int parse_file_opt(const char *cmd, int c, const char *arg, struct record_file_opts *ro);

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
