// SPDX-License-Identifier: Apache-2.0
/*
 * Library-wide private helpers, included by every folder of libkcap: symbol
 * visibility, the options-struct convention and the per-handle error text.
 * Nothing here is exported from libkcap.so.
 */
#ifndef KCAP_LIB_INTERNAL_H
#define KCAP_LIB_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "kcap.h"

#define KCAP_HIDDEN __attribute__((visibility("hidden")))

#define KCAP_ERRMSG_LEN 256

#define OPTS_HAS(opts, field)                                                        \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + sizeof((opts)->field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

#ifndef container_of
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

/* Options: true if the caller's struct is usable (unknown tail bytes zero). */
KCAP_HIDDEN bool kcap__opts_valid(const void *opts, size_t known_sz, size_t user_sz);

/* Sets @h's error text (kcap_errmsg()) and returns -@err (or @err if < 0). */
KCAP_HIDDEN int kcap__err(struct kcap *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* KCAP_LIB_INTERNAL_H */
