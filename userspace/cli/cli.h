// SPDX-License-Identifier: Apache-2.0
/*
 * The kcap tool: its commands, and the helpers more than one command uses
 * (common.c). A command file depends on this header and libkcap only.
 */
#ifndef KCAP_CLI_H
#define KCAP_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "kcap.h"

/* Exit codes. */
#define EXIT_RUNTIME 1 /* the capture failed (driver missing, busy, ...) */
#define EXIT_USAGE 2 /* bad arguments */
/* A command's argument parser: go on (anything else is the exit status). */
#define CLI_CONTINUE (-1)

/* The commands, one file each (main.c dispatches). */
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

/* ---- Arguments ---------------------------------------------------------------- */

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

/* Live capture options (record, stats, export): getopt values of the long
 * ones; a command's own long-only options start at OPT_COMMAND. */
enum { OPT_BUFFER_SIZE = 256, OPT_NO_LIFECYCLE, OPT_ENTER, OPT_COMMAND };

/* Their entries in a command's getopt_long() table (with -e and -s). */
#define CAPTURE_LONG_OPTS                                                   \
	{ "syscalls", required_argument, NULL, 'e' },                       \
	{ "snaplen", required_argument, NULL, 's' },                        \
	{ "buffer-size", required_argument, NULL, OPT_BUFFER_SIZE },        \
	{ "no-lifecycle", no_argument, NULL, OPT_NO_LIFECYCLE },            \
	{ "enter", no_argument, NULL, OPT_ENTER }

/*
 * A capture option (-e, -s, --buffer-size, --no-lifecycle, --enter) into
 * @o; @nrs holds the -e list. Returns 0 or EXIT_USAGE after printing the
 * error.
 */
int parse_capture_opt(const char *cmd, int c, char *arg, struct kcap_open_opts *o,
		      unsigned int *nrs);

/* Writing a capture file (record -w, read -w): where and how. */
struct write_opts {
	const char *path;
	int level; /* zstd level, 0: default */
	unsigned long long rotate_bytes; /* -C, 0: no rotation by size */
	unsigned int rotate_secs; /* -G */
	unsigned int keep; /* -W */
};

/* Parses -w, -z, -C, -G, -W into @wo; EXIT_USAGE after a message. */
int parse_write_opt(const char *cmd, int c, const char *arg, struct write_opts *wo);

/* ---- Running ------------------------------------------------------------------ */

/* Installs SIGINT/SIGTERM handlers that set the flag returned here. */
volatile int *install_stop_signals(void);

/* Seconds on the monotonic clock, for rates and durations. */
double mono_seconds(void);

/* Prints @ev as one line (kcap_event_format()); false if stdout is gone. */
bool print_event(const struct kcap *h, const struct kcap_event_hdr *ev);

/* ---- record's own helper (record_file.c, used by record.c only) ----------------- */

/* Writes @h's events to a capture file until -n, a signal or an error;
 * prints errors and a summary on stderr; returns the exit status. */
int record_to_file(struct kcap *h, const struct write_opts *wo, unsigned long long count,
		   volatile int *stop);

#endif /* KCAP_CLI_H */
