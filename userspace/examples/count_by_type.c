// SPDX-License-Identifier: Apache-2.0
/*
 * count_by_type [-n N] [FILE]: count events per event type, from a capture
 * file or live from /dev/kcap (stops after N events; live default 1000),
 * and print "COUNT NAME" lines, then "total COUNT".
 *   cc count_by_type.c $(pkg-config --cflags --libs libkcap)
 * example-run: count_by_type CAPTURE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kcap/kcap.h>

static unsigned long long counts[65536]; /* indexed by the __u16 event type */

int main(int argc, char **argv)
{
	const struct kcap_event_hdr *ev;
	const struct kcap_event_desc *d;
	unsigned long long n = 0, max = 0;
	const char *file = NULL;
	char errbuf[256] = "";
	struct kcap *h;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			max = strtoull(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else {
			fprintf(stderr, "usage: count_by_type [-n N] [FILE]\n");
			return 2;
		}
	}
	if (file) {
		KCAP_OPTS(kcap_file_opts, fo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));
		h = kcap_open_file(file, &fo);
	} else {
		KCAP_OPTS(kcap_open_opts, lo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));
		if (!max)
			max = 1000;
		h = kcap_open_live(&lo);
		if (h && kcap_start(h)) {
			fprintf(stderr, "count_by_type: %s\n", kcap_errmsg(h));
			kcap_close(h);
			return 1;
		}
	}
	if (!h) {
		fprintf(stderr, "count_by_type: %s\n", errbuf);
		return 1;
	}
	while (!max || n < max) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN)
			continue;
		if (err)
			break;
		counts[ev->type]++;
		n++;
	}
	if (err && err != -ENODATA && !(max && n >= max)) {
		fprintf(stderr, "count_by_type: %s\n", kcap_errmsg(h));
		kcap_close(h);
		return 1;
	}
	for (i = 0; i < 65536; i++) {
		if (!counts[i])
			continue;
		d = kcap_handle_event_desc(h, (unsigned int)i);
		printf("%llu %s\n", counts[i], d && d->name ? d->name : "unknown");
	}
	printf("total %llu\n", n);
	kcap_close(h);
	return 0;
}
