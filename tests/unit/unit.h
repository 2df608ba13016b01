// SPDX-License-Identifier: Apache-2.0
/*
 * Each test_*.c file contributes one group of cmocka tests; main.c runs them
 * all as a single group so the last line of the output is the summary.
 */
#ifndef KCAP_TEST_UNIT_H
#define KCAP_TEST_UNIT_H

#define UNIT_GROUP(name, array)                                                \
	const struct CMUnitTest *unit_##name(size_t *n)                        \
	{                                                                      \
		*n = sizeof(array) / sizeof((array)[0]);                       \
		return array;                                                  \
	}

struct CMUnitTest;
const struct CMUnitTest *unit_reader(size_t *n);
const struct CMUnitTest *unit_event(size_t *n);
const struct CMUnitTest *unit_open(size_t *n);
const struct CMUnitTest *unit_file(size_t *n);
const struct CMUnitTest *unit_decode(size_t *n);
const struct CMUnitTest *unit_detect(size_t *n);
const struct CMUnitTest *unit_rules(size_t *n);
const struct CMUnitTest *unit_eval(size_t *n);
const struct CMUnitTest *unit_export(size_t *n);
const struct CMUnitTest *unit_out(size_t *n);
const struct CMUnitTest *unit_container(size_t *n);
const struct CMUnitTest *unit_ctstate(size_t *n);
const struct CMUnitTest *unit_flight(size_t *n);
const struct CMUnitTest *unit_ctfile(size_t *n);
const struct CMUnitTest *unit_cols(size_t *n);
const struct CMUnitTest *unit_profile(size_t *n);
const struct CMUnitTest *unit_gvisor(size_t *n);
const struct CMUnitTest *unit_fleet(size_t *n);
const struct CMUnitTest *unit_spool(size_t *n);

#endif /* KCAP_TEST_UNIT_H */
