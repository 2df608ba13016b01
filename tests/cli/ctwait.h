// SPDX-License-Identifier: Apache-2.0
/*
 * The wait for a thread table's lookups of the four containers of the unit
 * tests' fixtures (tests/unit/fixtures/ct), shared by tests/cli/mkctcapture
 * and tests/fleet/ctpublish.
 */
#ifndef KCAP_TEST_CTWAIT_H
#define KCAP_TEST_CTWAIT_H

#include <stdio.h>
#include <unistd.h>

#include "kcap.h"
#include "kcap_detect.h"

#define CT_FIXTURES 4 /* containers the fixtures' runtimes know */

/*
 * Calls @step(@st, @ctx) (what takes in the lookups that finished) until
 * @st has found all CT_FIXTURES containers, a millisecond apart, 10 s at
 * most. 0; or @step's nonzero return (@step said why); or 1 after saying
 * on stderr, after "@prog: ", that they were not all found.
 */
static inline int ct_fixtures_wait(const char *prog, struct kcap_state *st,
				   int (*step)(struct kcap_state *st, void *ctx), void *ctx)
{
	struct kcap_state_stats s;
	unsigned int waited;
	int err;

	for (waited = 0;; waited++) {
		err = step(st, ctx);
		if (err)
			return err;
		kcap_state_stats(st, &s, sizeof(s));
		if (s.ct_found == CT_FIXTURES)
			return 0;
		if (waited == 10000)
			break;
		usleep(1000);
	}
	fprintf(stderr, "%s: lookups: the fixture containers were not all found\n", prog);
	return 1;
}

#endif /* KCAP_TEST_CTWAIT_H */
