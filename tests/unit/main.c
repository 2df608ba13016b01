// SPDX-License-Identifier: Apache-2.0
/* The libkcap unit test runner: every group in one cmocka run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

int main(void)
{
	const struct CMUnitTest *(*const groups[])(size_t *) = { unit_reader, unit_event,
								   unit_open, unit_file, unit_decode,
								   unit_out, unit_export, unit_detect,
								   unit_rules, unit_eval, unit_container,
								   unit_ctstate, unit_flight, unit_ctfile,
								   unit_cols, unit_profile, unit_gvisor,
								   unit_fleet, unit_spool };
	struct CMUnitTest *all = NULL;
	size_t total = 0, n, i;
	int failed;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		const struct CMUnitTest *t = groups[i](&n);
		struct CMUnitTest *grown = realloc(all, (total + n) * sizeof(*all));

		if (!grown) {
			free(all);
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		all = grown;
		memcpy(all + total, t, n * sizeof(*t));
		total += n;
	}
	failed = _cmocka_run_group_tests("libkcap", all, total, NULL, NULL);
	free(all);
	return failed ? 1 : 0;
}
