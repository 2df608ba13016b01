// SPDX-License-Identifier: Apache-2.0
/*
 * merge_alerts RULES FILE...: read several capture files as one
 * time-ordered stream (kcap_open_merge()), keep thread state, evaluate
 * Falco-style rules and print "FILE_INDEX PRIORITY RULE: OUTPUT" per alert,
 * then "events N alerts M".
 *   cc merge_alerts.c $(pkg-config --cflags --libs libkcap)
 * example-run: merge_alerts RULES CAPTURE CAPTURE2
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kcap/kcap.h>
#include <kcap/kcap_detect.h>

struct ctx {
	struct kcap *h;
	unsigned long long alerts;
};

static int on_alert(void *arg, const struct kcap_alert *a)
{
	struct ctx *c = arg;

	printf("%d %s %s: %s\n", kcap_merge_last(c->h), kcap_priority_name(a->priority), a->rule,
	       a->output);
	c->alerts++;
	return 0;
}

int main(int argc, char **argv)
{
	struct kcap *srcs[KCAP_MERGE_MAX];
	const struct kcap_event_hdr *ev;
	unsigned long long n = 0;
	struct kcap_rules *rules;
	struct kcap_state *st;
	struct ctx c = { 0 };
	char errbuf[256] = "";
	int i, err, nsrc = argc - 2;

	if (argc < 3 || nsrc > KCAP_MERGE_MAX) {
		fprintf(stderr, "usage: merge_alerts RULES.yaml FILE.kcap...\n");
		return 2;
	}
	rules = kcap_rules_new();
	if (!rules || kcap_rules_load_file(rules, argv[1]) || kcap_rules_compile(rules)) {
		fprintf(stderr, "merge_alerts: %s\n", rules ? kcap_rules_errmsg(rules) : "out of memory");
		kcap_rules_free(rules);
		return 1;
	}
	for (i = 0; i < nsrc; i++) {
		struct kcap_file_opts fo = { .sz = sizeof(fo), .errbuf = errbuf,
					     .errbuf_sz = sizeof(errbuf) };

		srcs[i] = kcap_open_file(argv[i + 2], &fo);
		if (!srcs[i]) {
			fprintf(stderr, "merge_alerts: %s\n", errbuf);
			while (i--)
				kcap_close(srcs[i]);
			kcap_rules_free(rules);
			return 1;
		}
	}
	c.h = kcap_open_merge(srcs, (unsigned int)nsrc, NULL);
	st = kcap_state_new(NULL);
	if (!c.h || !st) {
		fprintf(stderr, "merge_alerts: %s\n", strerror(errno));
		return 1;
	}
	kcap_state_seed(st, c.h);
	while (!(err = kcap_next(c.h, &ev))) {
		n++;
		kcap_state_update(st, c.h, ev);
		err = kcap_rules_eval(rules, st, c.h, ev, on_alert, &c);
		if (err < 0)
			break;
	}
	if (err != -ENODATA) {
		fprintf(stderr, "merge_alerts: %s\n", kcap_errmsg(c.h));
		return 1;
	}
	printf("events %llu alerts %llu\n", n, c.alerts);
	kcap_state_free(st);
	kcap_close(c.h);
	kcap_rules_free(rules);
	return 0;
}
