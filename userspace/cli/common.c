// SPDX-License-Identifier: Apache-2.0
/*
 * The helpers more than one kcap command uses: argument parsing and usage
 * errors, the live capture and capture file options, stop signals, the
 * monotonic clock and the one-line event print.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kcap%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see kcap%s%s --help)\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

bool parse_u64(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	else if (*end)
		return false;
	if (shift && end[1])
		return false;
	if (v > (~0ULL >> shift))
		return false;
	*out = v << shift;
	return true;
}

int parse_syscalls(char *list, unsigned int *nrs, const char **bad)
{
	char *save = NULL, *tok;
	unsigned long long v;
	int n = 0, nr, i;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_u64(tok, 0, KCAP_SYSCALL_MAX - 1, &v))
			nr = (int)v;
		else
			nr = kcap_syscall_nr(tok, KCAP_SC_X86_64);
		if (nr < 0) {
			*bad = tok;
			return -1;
		}
		for (i = 0; i < n && nrs[i] != (unsigned int)nr; i++)
			;
		if (i == n && n < KCAP_SYSCALL_MAX)
			nrs[n++] = (unsigned int)nr;
	}
	if (!n) {
		*bad = "";
		return -1;
	}
	return n;
}

int parse_capture_opt(const char *cmd, int c, char *arg, struct kcap_open_opts *o,
		      unsigned int *nrs)
{
	unsigned long long v;
	const char *bad;
	int n;

	switch (c) {
	case 'e':
		n = parse_syscalls(arg, nrs, &bad);
		if (n < 0)
			return *bad ? usage_error(cmd, "unknown syscall '%s' in -e", bad)
				    : usage_error(cmd, "-e needs at least one syscall");
		o->syscalls = nrs;
		o->nr_syscalls = (size_t)n;
		return 0;
	case 's':
		if (!parse_u64(arg, 1, KCAP_SNAPLEN_MAX, &v))
			return usage_error(cmd, "-s %s: snaplen must be 1..%u bytes", arg,
					   KCAP_SNAPLEN_MAX);
		o->snaplen = (__u32)v;
		return 0;
	case OPT_BUFFER_SIZE:
		if (!parse_size(arg, &v) || (v & (v - 1)) || v < KCAP_RING_SIZE_MIN ||
		    v > KCAP_RING_SIZE_MAX)
			return usage_error(cmd,
					   "--buffer-size %s: must be a power of two from 64K to 1G",
					   arg);
		o->ring_size = v;
		return 0;
	case OPT_NO_LIFECYCLE:
		o->flags |= KCAP_OPEN_NO_LIFECYCLE;
		return 0;
	case OPT_ENTER:
		o->flags |= KCAP_OPEN_ENTER;
		return 0;
	default:
		return usage_error(cmd, "bad option");
	}
}

int parse_write_opt(const char *cmd, int c, const char *arg, struct write_opts *wo)
{
	unsigned long long v;

	switch (c) {
	case 'w':
		if (!*arg)
			return usage_error(cmd, "-w needs a file name");
		wo->path = arg;
		return 0;
	case 'z':
		if (!parse_u64(arg, 1, 19, &v))
			return usage_error(cmd, "-z %s: the zstd level is 1..19", arg);
		wo->level = (int)v;
		return 0;
	case 'C':
		if (!parse_u64(arg, 1, 1000000, &v))
			return usage_error(cmd, "-C %s: need 1..1000000 (million bytes)", arg);
		wo->rotate_bytes = v * 1000000ULL;
		return 0;
	case 'G':
		if (!parse_u64(arg, 1, 86400 * 365, &v))
			return usage_error(cmd, "-G %s: need a number of seconds", arg);
		wo->rotate_secs = (unsigned int)v;
		return 0;
	case 'W':
		if (!parse_u64(arg, 1, 1000000, &v))
			return usage_error(cmd, "-W %s: need a positive number of files", arg);
		wo->keep = (unsigned int)v;
		return 0;
	default:
		return usage_error(cmd, "bad option");
	}
}

static volatile int stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

volatile int *install_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal ends the poll() wait at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return &stop_flag;
}

double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool print_event(const struct kcap *h, const struct kcap_event_hdr *ev)
{
	char line[4096];
	int n = kcap_event_format(h, ev, line, sizeof(line));

	if (n < 0)
		return true;
	return fputs(line, stdout) >= 0 && putchar('\n') != EOF;
}
