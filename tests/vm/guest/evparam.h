// SPDX-License-Identifier: Apache-2.0
/*
 * Event parameters as C values for the guest test programs that read events
 * with libkcap (decode_test, exec_test). Include after "kcap.h".
 */
#ifndef KCAP_GUEST_EVPARAM_H
#define KCAP_GUEST_EVPARAM_H

/* Parameter @name as a string (a static buffer, one of four in turn). */
static const char *str(const struct kcap_event_hdr *ev, const char *name)
{
	static char bufs[4][4200];
	static int k;
	char *b = bufs[k++ % 4];
	int i = kcap_event_param_index(ev, name);

	b[0] = '\0';
	if (i >= 0)
		kcap_event_str(ev, (unsigned int)i, b, sizeof(bufs[0]));
	return b;
}

#endif /* KCAP_GUEST_EVPARAM_H */
