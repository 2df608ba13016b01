// SPDX-License-Identifier: Apache-2.0
/*
 * The built-in event table (include/kcap/kcap_event_table.h): what the
 * driver this libkcap was built with writes. Capture files carry their own
 * table (file_read.c).
 */
#include <kcap/kcap_event_table.h>

#include "capture.h"

const struct kcap_event_desc *const kcap__builtin_rows = kcap_event_table;

const struct kcap_event_desc *kcap_event_desc(unsigned int type)
{
	if (type == KCAP_EVT_INVALID || type >= KCAP_EVT_NR)
		return NULL;
	return &kcap_event_table[type];
}
