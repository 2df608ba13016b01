// SPDX-License-Identifier: Apache-2.0
/*
 * TAP output for the guest test programs: "ok N - what" or
 * "not ok N - what # detail", a plan at the end, exit status 1 on failure.
 */
#ifndef KCAP_GUEST_TAP_H
#define KCAP_GUEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tap_n, tap_failed;

/* One result; @fmt describes the check, @detail (may be NULL) why it failed. */
static inline bool __attribute__((format(printf, 3, 4)))
tap(bool ok, const char *detail, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok && detail && *detail)
		printf(" # %s", detail);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed++;
	return ok;
}

static inline void __attribute__((format(printf, 1, 2))) tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void tap_skip(const char *what, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_n, what, why);
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif /* KCAP_GUEST_TAP_H */
