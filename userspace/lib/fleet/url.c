// SPDX-License-Identifier: Apache-2.0
/*
 * The pure parts of the fleet transport: NATS URL lists, subject tokens,
 * subjects and message ids. No connection; unit-tested on their own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"

static bool token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

bool fleet_token_ok(const char *t)
{
	size_t n = 0;

	if (!t || !*t)
		return false;
	for (; t[n]; n++)
		if (!token_char(t[n]) || n + 1 >= FLEET_TOKEN_MAX)
			return false;
	return true;
}

bool fleet_prefix_ok(const char *p)
{
	char tok[FLEET_TOKEN_MAX];
	const char *dot;

	if (!p || !*p || strlen(p) > 128)
		return false;
	for (;;) {
		dot = strchr(p, '.');
		if (!dot)
			return fleet_token_ok(p);
		if (dot == p || (size_t)(dot - p) >= sizeof(tok))
			return false;
		memcpy(tok, p, (size_t)(dot - p));
		tok[dot - p] = '\0';
		if (!fleet_token_ok(tok))
			return false;
		p = dot + 1;
	}
}

int fleet_subject(char *buf, size_t len, const char *prefix, const char *node, const char *family)
{
	int n = snprintf(buf, len, "%s.%s.%s", prefix, node, family);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

int fleet_msg_id(char *buf, size_t len, const char *node, __u64 run, __u64 seq)
{
	int n = snprintf(buf, len, "%s.%llx.%llu", node, (unsigned long long)run,
			 (unsigned long long)seq);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

int fleet_node_name(char *buf, size_t len, const char *node)
{
	char host[256];
	size_t i;

	if (node) {
		if (!fleet_token_ok(node) || strlen(node) >= len)
			return -EINVAL;
		strcpy(buf, node);
		return 0;
	}
	if (gethostname(host, sizeof(host)))
		return -errno;
	host[sizeof(host) - 1] = '\0';
	host[FLEET_TOKEN_MAX - 1 < len - 1 ? FLEET_TOKEN_MAX - 1 : len - 1] = '\0';
	for (i = 0; host[i]; i++)
		buf[i] = token_char(host[i]) ? host[i] : '_';
	buf[i] = '\0';
	return i ? 0 : -EINVAL;
}

void fleet_servers_free(struct fleet_servers *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->url[i]);
	s->n = 0;
}

/* One "HOST[:PORT]" item, the scheme already taken off. */
static int add_server(struct fleet_servers *s, const char *item, size_t n, const char **why)
{
	const char *colon = memchr(item, ':', n);
	unsigned long port = 4222;
	char hostport[300], *end;
	size_t hl = colon ? (size_t)(colon - item) : n;

	if (!hl || hl > 253) {
		*why = "a server needs a host name";
		return -EINVAL;
	}
	for (size_t i = 0; i < hl; i++)
		if (!token_char(item[i]) && item[i] != '.') {
			*why = "a host is a name or an IPv4 address";
			return -EINVAL;
		}
	if (colon) {
		char digits[8];
		size_t pl = n - hl - 1;

		if (!pl || pl >= sizeof(digits)) {
			*why = "a port is a number from 1 to 65535";
			return -EINVAL;
		}
		memcpy(digits, colon + 1, pl);
		digits[pl] = '\0';
		port = strtoul(digits, &end, 10);
		if (*end || digits[0] < '0' || digits[0] > '9' || port < 1 || port > 65535) {
			*why = "a port is a number from 1 to 65535";
			return -EINVAL;
		}
	}
	if (s->n >= FLEET_MAX_SERVERS) {
		*why = "at most 16 servers";
		return -EINVAL;
	}
	snprintf(hostport, sizeof(hostport), "nats://%.*s:%lu", (int)hl, item, port);
	s->url[s->n] = strdup(hostport);
	if (!s->url[s->n]) {
		*why = "out of memory";
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

int fleet_parse_url(const char *url, struct fleet_servers *s, bool *tls, const char **why)
{
	const char *p = url, *comma;
	int err;

	memset(s, 0, sizeof(*s));
	*tls = false;
	if (!url || (strncmp(url, "nats://", 7) && strncmp(url, "tls://", 6))) {
		*why = "need nats://HOST:PORT[,HOST:PORT...]";
		return -EINVAL;
	}
	for (;;) {
		size_t n;

		if (!strncmp(p, "nats://", 7)) {
			p += 7;
		} else if (!strncmp(p, "tls://", 6)) {
			p += 6;
			*tls = true;
		}
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n && p[n - 1] == '/')
			n--;
		err = add_server(s, p, n, why);
		if (err) {
			fleet_servers_free(s);
			return err;
		}
		if (!comma)
			return 0;
		p = comma + 1;
	}
}
