// SPDX-License-Identifier: Apache-2.0
/*
 * Socket address parameters (KCAP_PT_SOCKADDR) as struct kcap_sockaddr:
 * AF_INET, AF_INET6 and AF_UNIX (abstract names included).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "event.h"

int kcap__parse_sockaddr(const unsigned char *p, __u16 len, struct kcap_sockaddr *sa)
{
	__u16 port;
	size_t n;

	memset(sa, 0, sizeof(*sa));
	if (!len)
		return -ENODATA;
	if (len < 2)
		return -EBADMSG;
	memcpy(&sa->family, p, 2);
	switch (sa->family) {
	case AF_INET_:
		if (len < 8)
			return -EBADMSG;
		memcpy(&port, p + 2, 2);
		sa->port = ntohs(port);
		memcpy(sa->addr, p + 4, 4);
		return 0;
	case AF_INET6_:
		if (len < 24)
			return -EBADMSG;
		memcpy(&port, p + 2, 2);
		sa->port = ntohs(port);
		memcpy(sa->addr, p + 8, 16);
		if (len >= 28)
			memcpy(&sa->scope_id, p + 24, 4);
		return 0;
	case AF_UNIX_:
		n = len - 2u;
		if (n > SUN_PATH_MAX)
			return -EBADMSG;
		p += 2;
		if (n && p[0] == '\0') {
			sa->abstract = 1;
			p++;
			n--;
		} else {
			n = strnlen((const char *)p, n);
		}
		memcpy(sa->path, p, n);
		sa->path[n] = '\0';
		sa->path_len = (__u32)n;
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

int kcap_event_sockaddr(const struct kcap_event_hdr *ev, unsigned int i, struct kcap_sockaddr *sa)
{
	const void *p;
	__u16 len;
	int err;

	if (!sa)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	err = kcap_event_param(ev, i, &p, &len);
	if (err)
		return err;
	return kcap__parse_sockaddr(p, len, sa);
}
