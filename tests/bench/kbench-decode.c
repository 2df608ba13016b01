// SPDX-License-Identifier: Apache-2.0
/*
 * kbench-decode MODE FILE: libkcap's decoding throughput from a capture
 * file, for the host part of `make bench` (run under callgrind).
 *   next     kcap_next() only: decompress and walk the records
 *   params   kcap_next() and every parameter's bytes (kcap_event_param)
 *   format   kcap_next() and kcap_event_format() of each event into a buffer
 * Prints "events=N".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kcap.h"

int main(int argc, char **argv)
{
	const struct kcap_event_hdr *ev;
	unsigned long long n = 0, sum = 0;
	char err[256] = "", line[8192];
	int mode, rc;
	struct kcap *h;

	if (argc != 3 || (strcmp(argv[1], "next") && strcmp(argv[1], "params") &&
			  strcmp(argv[1], "format"))) {
		fprintf(stderr, "usage: kbench-decode next|params|format FILE\n");
		return 2;
	}
	mode = argv[1][0];
	KCAP_OPTS(kcap_file_opts, o, .errbuf = err, .errbuf_sz = sizeof(err));
	h = kcap_open_file(argv[2], &o);
	if (!h) {
		fprintf(stderr, "kbench-decode: %s\n", err);
		return 1;
	}
	while ((rc = kcap_next(h, &ev)) == 0) {
		n++;
		if (mode == 'p') {
			for (unsigned int i = 0; i < ev->nparams; i++) {
				const void *p;
				__u16 len;

				if (kcap_event_param(ev, i, &p, &len) == 0)
					sum += len;
			}
		} else if (mode == 'f') {
			rc = kcap_event_format(h, ev, line, sizeof(line));
			if (rc > 0)
				sum += rc;
		}
	}
	if (rc != -ENODATA) {
		fprintf(stderr, "kbench-decode: %s\n", kcap_errmsg(h));
		return 1;
	}
	kcap_close(h);
	printf("events=%llu bytes=%llu\n", n, sum);
	return 0;
}
