// SPDX-License-Identifier: Apache-2.0
/*
 * mkcapture IN OUT ROUNDS: a big capture file for the CLI tests, the events
 * of IN written ROUNDS times (each round later in time than the one
 * before) through libkcap's writer, with IN's machine, snapshot and table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcap.h"

int main(int argc, char **argv)
{
	const struct kcap_event_hdr *ev;
	struct kcap_writer *w;
	struct kcap *h;
	char *buf = NULL, errbuf[256] = "";
	size_t len = 0, off;
	unsigned long long span, first = 0, last = 0;
	long rounds, r;
	KCAP_OPTS(kcap_file_opts, fo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

	if (argc != 4 || (rounds = strtol(argv[3], NULL, 10)) < 1) {
		fprintf(stderr, "usage: mkcapture IN OUT ROUNDS\n");
		return 2;
	}
	h = kcap_open_file(argv[1], &fo);
	if (!h) {
		fprintf(stderr, "mkcapture: %s\n", errbuf);
		return 1;
	}
	/* the events, as they are in the file, one after the other */
	while (!kcap_next(h, &ev)) {
		char *p = realloc(buf, len + ev->len);

		if (!p)
			return 1;
		buf = p;
		memcpy(buf + len, ev, ev->len);
		len += ev->len;
		if (!first)
			first = ev->ts_ns;
		last = ev->ts_ns;
	}
	span = last - first + 1000;
	{
		KCAP_OPTS(kcap_writer_opts, wo, .source = h, .errbuf = errbuf,
			  .errbuf_sz = sizeof(errbuf));

		w = kcap_writer_open(argv[2], &wo);
	}
	if (!w) {
		fprintf(stderr, "mkcapture: %s\n", errbuf);
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		for (off = 0; off < len;) {
			struct kcap_event_hdr *e = (struct kcap_event_hdr *)(buf + off);
			__u64 ts = e->ts_ns;

			e->ts_ns = ts + (unsigned long long)r * span;
			if (kcap_writer_write(w, e)) {
				fprintf(stderr, "mkcapture: %s\n", kcap_writer_errmsg(w));
				return 1;
			}
			e->ts_ns = ts;
			off += e->len;
		}
	}
	if (kcap_writer_finish(w)) {
		fprintf(stderr, "mkcapture: %s\n", kcap_writer_errmsg(w));
		return 1;
	}
	kcap_writer_close(w);
	kcap_close(h);
	free(buf);
	return 0;
}
