// SPDX-License-Identifier: Apache-2.0
/*
 * ctpublish ROOT FILE URL NODE: publishes capture FILE (one without a
 * container table: tests/cli/mkctcapture ROOT OUT none) to the fleet as
 * a live exporter does (kcap export --to without -r, cli/fleet.c): a
 * thread table with container lookups is kept current with the events
 * and handed to the publisher (kcap_fleet_opts.state), whose snapshots and
 * containers messages carry the metadata it learns. The lookups read the
 * runtimes' files under ROOT (the unit tests' fixtures); a first pass over
 * the file lets them finish (a live exporter's first events of a new
 * container may precede its metadata), then the events are published.
 * For tests/fleet/run.sh: detect --from then prints the container fields.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kcap.h"
#include "kcap_detect.h"
#include "kcap_fleet.h"
#include "ctwait.h"

static int die(const char *what, const char *why)
{
	fprintf(stderr, "ctpublish: %s: %s\n", what, why);
	return 1;
}

/* The events of @path (@max, 0: all) through @st; @p: published too. */
static int pass(const char *path, struct kcap_state *st, struct kcap_publisher *p, unsigned int max)
{
	const struct kcap_event_hdr *ev;
	struct kcap *h = kcap_open_file(path, NULL);
	unsigned int n = 0;
	int err;

	if (!h)
		return die(path, strerror(errno));
	while ((!max || n++ < max) && !(err = kcap_next(h, &ev))) {
		/* NULL: looked up as live events are (a file's never are) */
		kcap_state_update(st, NULL, ev);
		if (p && kcap_publisher_event(p, h, ev)) {
			kcap_close(h);
			return die("publish", kcap_publisher_errmsg(p));
		}
	}
	kcap_close(h);
	return max || err == -ENODATA ? 0 : die(path, strerror(-err));
}

/* An event of a container thread takes in the lookups that finished (the
 * file's first: an exec, the same again). */
static int first_event(struct kcap_state *st, void *path)
{
	return pass(path, st, NULL, 1);
}

int main(int argc, char **argv)
{
	char errbuf[256] = "";
	struct kcap_state *st;
	struct kcap_publisher *p;
	struct kcap *h;

	if (argc != 5) {
		fprintf(stderr, "usage: ctpublish ROOT FILE URL NODE\n");
		return 2;
	}
	{
		struct kcap_state_opts so = {.sz = sizeof(so),
					     .container_lookup = KCAP_CT_LOOKUP_ALWAYS,
					     .container_root = argv[1]};

		st = kcap_state_new(&so);
		if (!st)
			return die("kcap_state_new", strerror(errno));
	}
	if (pass(argv[2], st, NULL, 0))
		return 1;
	if (ct_fixtures_wait("ctpublish", st, first_event, argv[2]))
		return 1;
	h = kcap_open_file(argv[2], NULL);
	if (!h)
		return die(argv[2], strerror(errno));
	{
		KCAP_OPTS(kcap_fleet_opts, fo, .url = argv[3], .node = argv[4], .state = st,
			  .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

		p = kcap_publisher_open(h, &fo);
	}
	kcap_close(h);
	if (!p)
		return die("kcap_publisher_open", errbuf);
	if (pass(argv[2], st, p, 0))
		return 1;
	if (kcap_publisher_flush(p, 10000))
		return die("flush", kcap_publisher_errmsg(p));
	{
		struct kcap_publisher_stats ps;

		kcap_publisher_stats(p, &ps, sizeof(ps));
		printf("%llu container records, %llu containers messages\n",
		       (unsigned long long)ps.ct_records, (unsigned long long)ps.ct_messages);
	}
	kcap_publisher_close(p);
	kcap_state_free(st);
	return 0;
}
