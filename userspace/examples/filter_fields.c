// SPDX-License-Identifier: Apache-2.0
/*
 * filter_fields FILE EXPR FORMAT: the events of capture FILE that match the
 * filter expression EXPR (Falco's syntax), one line each in FORMAT (%field
 * references), with process and descriptor state kept from the events.
 *   cc filter_fields.c $(pkg-config --cflags --libs libkcap)
 * example-run: filter_fields CAPTURE 'proc.name = sh and evt.type in (openat, execve)' '%proc.name (%proc.pid) %evt.type %proc.cmdline'
 */
#include <errno.h>
#include <stdio.h>

#include <kcap/kcap.h>
#include <kcap/kcap_detect.h>

int main(int argc, char **argv)
{
	char err[256] = "", line[4096];
	struct kcap_file_opts fo = { .sz = sizeof(fo), .errbuf = err, .errbuf_sz = sizeof(err) };
	struct kcap_filter_opts xo = { .sz = sizeof(xo), .errbuf = err, .errbuf_sz = sizeof(err) };
	struct kcap_output_opts oo = { .sz = sizeof(oo), .errbuf = err, .errbuf_sz = sizeof(err) };
	const struct kcap_event_hdr *ev;
	struct kcap_output *out = NULL;
	struct kcap_filter *f = NULL;
	struct kcap_state *st = NULL;
	struct kcap *h = NULL;
	int ret = 1, r;

	if (argc != 4) {
		fprintf(stderr, "usage: filter_fields FILE EXPR FORMAT\n");
		return 2;
	}
	if (!(h = kcap_open_file(argv[1], &fo)) || !(f = kcap_filter_compile(argv[2], &xo)) ||
	    !(out = kcap_output_compile(argv[3], &oo)) || !(st = kcap_state_new(NULL))) {
		fprintf(stderr, "filter_fields: %s\n", err[0] ? err : "out of memory");
		goto out;
	}
	kcap_state_seed(st, h);
	while (!(r = kcap_next(h, &ev))) {
		kcap_state_update(st, h, ev);
		if (kcap_filter_match(f, st, h, ev) != 1)
			continue;
		kcap_output_render(out, st, h, ev, line, sizeof(line));
		puts(line);
	}
	if (r != -ENODATA)
		fprintf(stderr, "filter_fields: %s\n", kcap_errmsg(h));
	else
		ret = 0;
out:
	kcap_output_free(out);
	kcap_filter_free(f);
	kcap_state_free(st);
	kcap_close(h);
	return ret;
}
