// SPDX-License-Identifier: Apache-2.0
/*
 * export_bench: messages per second kcap's exporter encodes and frames on
 * one core, to /dev/null. Two event mixes: the events of a capture file
 * (ARGV[1]) and synthetic decoded events (openat, execve with argv,
 * connect, write with 64 data bytes). Prints "MIX FORMAT MSGS_PER_S
 * BYTES_PER_MSG" lines.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kcap_export.h"

#define MAX_EVENTS 4096

struct mix {
	const char *name;
	struct kcap *h;
	unsigned char *ev[MAX_EVENTS];
	unsigned int n;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void add(struct mix *m, unsigned int type, const void *const *p, const unsigned int *l,
		unsigned int np)
{
	unsigned char *b = calloc(1, 8192), *d;
	struct kcap_event_hdr *h = (struct kcap_event_hdr *)b;
	unsigned int i;

	h->ts_ns = 1000000000ULL + m->n;
	h->tid = h->pid = 4242;
	h->type = (__u16)type;
	h->nparams = (__u16)np;
	d = b + sizeof(*h) + 2 * np;
	for (i = 0; i < np; i++) {
		__u16 len = (__u16)l[i];

		memcpy(b + sizeof(*h) + 2 * i, &len, 2);
		memcpy(d, p[i], len);
		d += len;
	}
	h->len = (__u32)(d - b);
	m->ev[m->n++] = b;
}

static void synthetic(struct mix *m)
{
	__s64 fd = 3, cwd = -100, zero = 0, n64 = 64;
	__u32 flags = 0x241, mode = 0644, id = 1000, tty = 0;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(443) };
	static const char argv[] = "/usr/bin/curl\0-s\0https://example.invalid/\0";
	static const char data[64] = "GET / HTTP/1.1\r\nHost: example.invalid\r\n";

	sin.sin_addr.s_addr = htonl(0x0a000001);
	{
		const void *p[] = { &fd, &cwd, "/etc/passwd", &flags, &mode, "/etc/passwd" };
		const unsigned int l[] = { 8, 8, 11, 4, 4, 11 };

		add(m, KCAP_EVT_OPENAT, p, l, 6);
	}
	{
		const void *p[] = { &zero, "/usr/bin/curl", argv, "/root", "/usr/bin/curl", "curl",
				    &id, &id, &id, &id, &tty, &id, &id,
				    "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789"
				    "abcdef0123456789abcdef.scope" };
		const unsigned int l[] = { 8, 13, sizeof(argv) - 1, 5, 13, 4, 4, 4, 4, 4, 4, 4, 4,
					   92 };

		add(m, KCAP_EVT_EXECVE, p, l, 14);
	}
	{
		const void *p[] = { &zero, &fd, &sin };
		const unsigned int l[] = { 8, 8, sizeof(sin) };

		add(m, KCAP_EVT_CONNECT, p, l, 3);
	}
	{
		const void *p[] = { &n64, &fd, &n64, data };
		const unsigned int l[] = { 8, 8, 8, 64 };

		add(m, KCAP_EVT_WRITE, p, l, 4);
	}
}

static void file_mix(struct mix *m, const char *path)
{
	KCAP_OPTS(kcap_file_opts, o);
	const struct kcap_event_hdr *ev;

	m->h = kcap_open_file(path, &o);
	if (!m->h) {
		fprintf(stderr, "export_bench: cannot open %s\n", path);
		exit(1);
	}
	while (m->n < MAX_EVENTS && kcap_next(m->h, &ev) == 0) {
		m->ev[m->n] = malloc(ev->len);
		memcpy(m->ev[m->n++], ev, ev->len);
	}
}

static void run(struct mix *m, enum kcap_export_format f, double secs)
{
	KCAP_OPTS(kcap_export_opts, o, .format = f, .path = "/dev/null", .source = m->h,
		  .flags = KCAP_EXPORT_BLOCK);
	struct kcap_exporter *x = kcap_exporter_open(&o);
	struct kcap_export_stats st;
	unsigned long long count = 0;
	double t0 = now(), t;
	unsigned int i;

	if (!x) {
		perror("kcap_exporter_open");
		exit(1);
	}
	do {
		for (i = 0; i < m->n; i++)
			kcap_exporter_event(x, m->h, (const struct kcap_event_hdr *)m->ev[i]);
		count += m->n;
		t = now() - t0;
	} while (t < secs);
	kcap_exporter_flush(x, -1);
	kcap_exporter_stats(x, &st, sizeof(st));
	printf("%s %s %.0f %.0f\n", m->name, f == KCAP_EXPORT_PB ? "pb" : "json", count / t,
	       (double)st.bytes / (double)count);
	kcap_exporter_close(x);
}

int main(int argc, char **argv)
{
	static struct mix file = { .name = "capture" }, syn = { .name = "decoded" };
	double secs = argc > 2 ? atof(argv[2]) : 2.0;

	if (argc < 2) {
		fprintf(stderr, "usage: export_bench CAPTURE.kcap [SECONDS]\n");
		return 2;
	}
	file_mix(&file, argv[1]);
	synthetic(&syn);
	run(&file, KCAP_EXPORT_PB, secs);
	run(&file, KCAP_EXPORT_JSON, secs);
	run(&syn, KCAP_EXPORT_PB, secs);
	run(&syn, KCAP_EXPORT_JSON, secs);
	return 0;
}
