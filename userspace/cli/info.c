// SPDX-License-Identifier: Apache-2.0
/*
 * kcap info: what a capture file holds: header, machine, time range,
 * events by type, drops, compression, and whether it was closed cleanly.
 * Reads (and so checks) every batch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define INFO_TYPES 4096

static const char info_usage[] =
	"Usage: kcap info FILE\n"
	"Describe a capture file: format, writer, machine (host, kernel, CPUs),\n"
	"capture start and stop, event time range, events by type, drops by CPU\n"
	"and cause, compression ratio, process snapshot size, and whether the file\n"
	"was closed cleanly. Every batch is read and checked; a corrupt file ends\n"
	"the report with a one-line error and exit status 1. FILE - reads standard\n"
	"input. Bytes after the capture's end (captures concatenated) are reported\n"
	"with the offset where it ends; they are not read.\n";

static const char *const cause_names[KCAP_DROP_NR_SLOTS] = { "full", "full_protected", "fault",
							     "other" };

/* "2024-05-01 12:00:00.123456789 UTC" from a monotonic time. */
static void wall(const struct kcap_file_info *fi, unsigned long long mono, char *buf, size_t len)
{
	long long ns = (long long)mono + fi->boot_wall_ns;
	time_t secs = (time_t)(ns / 1000000000LL);
	struct tm tm;

	if (!mono || ns < 0 || !gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%09lld UTC (%llu.%09llu)",
		 ns % 1000000000LL, mono / 1000000000ULL, mono % 1000000000ULL);
}

static void print_header(const char *path, const struct kcap_file_info *fi)
{
	char a[96], b[96];

	printf("file:        %s, %llu bytes, format %u.%u, written by %s\n", path,
	       (unsigned long long)fi->file_bytes, fi->format_major, fi->format_minor,
	       fi->writer[0] ? fi->writer : "?");
	printf("machine:     %s, Linux %s (%s), %s, %u CPUs\n", fi->hostname, fi->kernel_release,
	       fi->kernel_version, fi->arch, fi->nr_cpus);
	printf("driver:      ABI %u.%u, snaplen %u\n", fi->abi_major, fi->abi_minor, fi->snaplen);
	wall(fi, fi->start_ns, a, sizeof(a));
	wall(fi, fi->stop_ns, b, sizeof(b));
	printf("capture:     %s .. %s\n", a, b);
	printf("snapshot:    %llu threads, %llu open descriptors\n",
	       (unsigned long long)fi->nr_threads, (unsigned long long)fi->nr_fds);
	if (fi->flags & KCAP_FILE_NAMES)
		printf("names:       %u users, %u groups (the recording machine's)\n", fi->nr_users,
		       fi->nr_groups);
	else
		printf("names:       none recorded (only uid 0 is named: root)\n");
	if (fi->flags & KCAP_FILE_CONTAINERS)
		printf("containers:  %u (the recording machine's runtimes' metadata)\n",
		       fi->nr_containers);
	else
		printf("containers:  none recorded (container.* and k8s.* from cgroups only)\n");
}

static void print_counts(struct kcap *h, const struct kcap_file_info *fi, const __u64 *counts,
			 const __u64 *marker)
{
	char a[96], b[96];
	unsigned int t;

	wall(fi, fi->first_ts, a, sizeof(a));
	wall(fi, fi->last_ts, b, sizeof(b));
	printf("events:      %llu in %llu batches, %s .. %s\n", (unsigned long long)fi->nr_events,
	       (unsigned long long)fi->nr_batches, a, b);
	for (t = 0; t < INFO_TYPES; t++) {
		const struct kcap_event_desc *d;

		if (!counts[t])
			continue;
		d = kcap_handle_event_desc(h, t);
		if (d)
			printf("  %-20s %12llu\n", d->name, (unsigned long long)counts[t]);
		else
			printf("  type_%-15u %12llu\n", t, (unsigned long long)counts[t]);
	}
	printf("compression: %llu event bytes -> %llu stored, ratio %.2fx, %.1f file bytes/event\n",
	       (unsigned long long)fi->raw_bytes, (unsigned long long)fi->stored_bytes,
	       fi->stored_bytes ? (double)fi->raw_bytes / (double)fi->stored_bytes : 0.0,
	       fi->nr_events ? (double)fi->file_bytes / (double)fi->nr_events : 0.0);
	printf("drop markers: lost_bulk=%llu lost_protected=%llu\n", (unsigned long long)marker[0],
	       (unsigned long long)marker[1]);
}

static void print_drops(struct kcap *h)
{
	const struct kcap_file_drop *d;
	struct kcap_cpu_stats st;
	__u64 sum[KCAP_DROP_NR_SLOTS] = { 0 };
	size_t n, i;
	unsigned int cpu, c;

	if (!kcap_file_drops(h, &d, &n)) {
		for (i = 0; i < n; i++)
			if (d[i].cause < KCAP_DROP_NR_SLOTS)
				sum[d[i].cause] += d[i].count;
		printf("drop records: %zu:", n);
		for (c = 0; c < 4; c++)
			printf(" %s=%llu", cause_names[c], (unsigned long long)sum[c]);
		printf("\n");
	}
	if (!kcap_nr_rings(h)) {
		printf("final counters: none (the file was not closed cleanly)\n");
		return;
	}
	printf("final counters per CPU (events, bytes, drops full/full_protected/fault/other):\n");
	for (cpu = 0; cpu < kcap_nr_rings(h); cpu++) {
		if (kcap_cpu_stats(h, cpu, &st))
			continue;
		printf("  cpu %-4u %12llu %14llu %10llu %10llu %10llu %10llu\n", st.cpu,
		       (unsigned long long)st.events, (unsigned long long)st.bytes,
		       (unsigned long long)st.drops[0], (unsigned long long)st.drops[1],
		       (unsigned long long)st.drops[2], (unsigned long long)st.drops[3]);
	}
}

int cmd_info(int argc, char **argv)
{
	static __u64 counts[INFO_TYPES];
	__u64 marker[2] = { 0, 0 }, v;
	const struct kcap_event_hdr *ev;
	struct kcap_file_info fi;
	const char *path;
	struct kcap *h;
	int err, status = 0;
	KCAP_OPTS(kcap_file_opts, o);

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(info_usage, stdout);
		return 0;
	}
	if (argc != 2)
		return usage_error("info", argc < 2 ? "no capture file given" : "one file at a time");
	path = argv[1];
	h = open_capture("info", path, &o);
	if (!h)
		return EXIT_RUNTIME;
	while (!(err = kcap_next(h, &ev))) {
		counts[ev->type < INFO_TYPES ? ev->type : 0]++;
		if (ev->type == KCAP_EVT_DROP) {
			if (!kcap_event_u64(ev, 0, &v))
				marker[0] += v;
			if (!kcap_event_u64(ev, 1, &v))
				marker[1] += v;
		}
	}
	kcap_file_info(h, &fi, sizeof(fi));
	print_header(path, &fi);
	print_counts(h, &fi, counts, marker);
	print_drops(h);
	if (fi.flags & KCAP_FILE_CLOSED)
		printf("closed:      cleanly (closing block and index present)\n");
	else
		printf("closed:      NOT cleanly: %s at offset %llu (recorder killed or disk full?)\n",
		       fi.flags & KCAP_FILE_TRUNCATED ? "a block cut short" : "no closing block",
		       (unsigned long long)fi.end_offset);
	if (fi.flags & KCAP_FILE_TRAILING)
		printf("trailing:    %llu bytes after the capture's end at offset %llu, not read "
		       "(captures concatenated?)\n",
		       (unsigned long long)(fi.file_bytes - fi.end_offset),
		       (unsigned long long)fi.end_offset);
	if (err != -ENODATA) {
		fprintf(stderr, "kcap info: %s\n", kcap_errmsg(h));
		status = EXIT_RUNTIME;
	}
	kcap_close(h);
	return status;
}
