// SPDX-License-Identifier: Apache-2.0
/*
 * print_events [-n N] [FILE]: print events one per line, from a capture
 * file (kcap record -w) or, without FILE, live from /dev/kcap (root, driver
 * loaded). The smallest complete libkcap program:
 *   cc print_events.c $(pkg-config --cflags --libs libkcap)
 * example-run: print_events -n 20 CAPTURE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kcap/kcap.h>

int main(int argc, char **argv)
{
	const struct kcap_event_hdr *ev;
	unsigned long long n = 0, max = 0;
	const char *file = NULL;
	char errbuf[256] = "", line[4096];
	struct kcap *h;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			max = strtoull(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else {
			fprintf(stderr, "usage: print_events [-n N] [FILE]\n");
			return 2;
		}
	}
	if (file) {
		KCAP_OPTS(kcap_file_opts, fo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));
		h = kcap_open_file(file, &fo);
	} else {
		KCAP_OPTS(kcap_open_opts, lo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));
		h = kcap_open_live(&lo);
		if (h && kcap_start(h)) {
			fprintf(stderr, "print_events: %s\n", kcap_errmsg(h));
			kcap_close(h);
			return 1;
		}
	}
	if (!h) {
		fprintf(stderr, "print_events: %s\n", errbuf);
		return 1;
	}
	while (!max || n < max) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN)
			continue; /* live: nothing within the poll timeout */
		if (err)
			break;
		kcap_event_format(h, ev, line, sizeof(line));
		printf("%s\n", line);
		n++;
	}
	if (err && err != -ENODATA && !(max && n >= max)) {
		fprintf(stderr, "print_events: %s\n", kcap_errmsg(h));
		kcap_close(h);
		return 1;
	}
	kcap_close(h);
	return 0;
}
