// SPDX-License-Identifier: Apache-2.0
/*
 * The connection the publisher, the source and kcap_fleet_init() share:
 * the URL list, credentials as NATS names them, timeouts, reconnection,
 * and NATS statuses as errno values with one sentence each.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"

int fleet_status_errno(natsStatus s)
{
	switch (s) {
	case NATS_OK:
		return 0;
	case NATS_NO_SERVER:
	case NATS_CONNECTION_CLOSED:
	case NATS_CONNECTION_DISCONNECTED:
	case NATS_STALE_CONNECTION:
		return -EHOSTUNREACH;
	case NATS_NOT_PERMITTED:
	case NATS_CONNECTION_AUTH_FAILED:
		return -EACCES;
	case NATS_TIMEOUT:
		return -ETIMEDOUT;
	case NATS_NOT_FOUND:
		return -ENOENT;
	case NATS_NO_MEMORY:
		return -ENOMEM;
	case NATS_MAX_PAYLOAD:
		return -EMSGSIZE;
	case NATS_INVALID_ARG:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* The public key (a line "U..." of 56 characters) in an nkey file that also
 * holds the seed, as `nk -gen user -pubout` writes them. */
static int nkey_public(const char *path, char *pub, size_t len)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int err = -ENOKEY;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == 'U' && strlen(line) == 56 && len > 56) {
			strcpy(pub, line);
			err = 0;
			break;
		}
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return err;
}

static int set_credentials(natsOptions *o, const struct kcap_fleet_opts *opts, char *err,
			   size_t errlen)
{
	char pub[64];
	natsStatus s = NATS_OK;
	int e;

	if (!!OPTS_GET(opts, creds, NULL) + !!OPTS_GET(opts, nkey, NULL) +
		!!OPTS_GET(opts, user, NULL) >
	    1) {
		snprintf(err, errlen, "--creds, --nkey and --user exclude each other");
		return -EINVAL;
	}
	if (OPTS_GET(opts, creds, NULL)) {
		s = natsOptions_SetUserCredentialsFromFiles(o, opts->creds, NULL);
		if (s != NATS_OK) {
			snprintf(err, errlen, "%s: %s", opts->creds, nats_GetLastError(NULL));
			return -EINVAL;
		}
	}
	if (OPTS_GET(opts, nkey, NULL)) {
		e = nkey_public(opts->nkey, pub, sizeof(pub));
		if (e) {
			snprintf(err, errlen, "%s: %s", opts->nkey,
				 e == -ENOKEY ? "no public key (U...) next to the seed"
					      : strerror(-e));
			return -EINVAL;
		}
		s = natsOptions_SetNKeyFromSeed(o, pub, opts->nkey);
	}
	if (s == NATS_OK && OPTS_GET(opts, user, NULL))
		s = natsOptions_SetUserInfo(o, opts->user, OPTS_GET(opts, password, NULL));
	if (s == NATS_OK && OPTS_GET(opts, tls_ca, NULL)) {
		s = natsOptions_LoadCATrustedCertificates(o, opts->tls_ca);
		if (s != NATS_OK) {
			snprintf(err, errlen, "%s: %s", opts->tls_ca, nats_GetLastError(NULL));
			return -EINVAL;
		}
		s = natsOptions_SetSecure(o, true);
	}
	if (s != NATS_OK) {
		snprintf(err, errlen, "credentials: %s", nats_GetLastError(NULL));
		return -EINVAL;
	}
	return 0;
}

/* One sentence for a failed connect. */
static void connect_error(natsStatus s, const struct fleet_conn *c, char *err, size_t errlen)
{
	const char *first = c->servers.url[0];

	if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED)
		snprintf(err, errlen, "%s: authorization refused (check --creds, --nkey, --user)",
			 first);
	else if (s == NATS_NO_SERVER || s == NATS_TIMEOUT)
		snprintf(err, errlen, "%s%s: no server reachable", first,
			 c->servers.n > 1 ? " and the others" : "");
	else
		snprintf(err, errlen, "%s: %s", first, natsStatus_GetText(s));
}

int fleet_connect(struct fleet_conn *c, const struct kcap_fleet_opts *opts, bool reconnect,
		  jsOptions *js_opts, char *err, size_t errlen)
{
	int timeout = OPTS_GET(opts, timeout_ms, 0) > 0 ? opts->timeout_ms : 5000;
	const char *why;
	natsStatus s;
	bool tls;
	int e;

	memset(c, 0, sizeof(*c));
	c->timeout_ms = timeout;
	c->stream = OPTS_GET(opts, stream, NULL) ? opts->stream : KCAP_FLEET_STREAM;
	c->prefix = OPTS_GET(opts, subject, NULL) ? opts->subject : KCAP_FLEET_SUBJECT;
	if (!fleet_token_ok(c->stream)) {
		snprintf(err, errlen, "stream %s: a name of letters, digits, _ and -", c->stream);
		return -EINVAL;
	}
	if (!fleet_prefix_ok(c->prefix)) {
		snprintf(err, errlen,
			 "subject prefix %s: dot-separated tokens of letters, "
			 "digits, _ and -",
			 c->prefix);
		return -EINVAL;
	}
	e = fleet_parse_url(OPTS_GET(opts, url, NULL), &c->servers, &tls, &why);
	if (e) {
		snprintf(err, errlen, "%s: %s", OPTS_GET(opts, url, NULL) ?: "(no URL)", why);
		return e;
	}
	if (nats_Open(-1) != NATS_OK || natsOptions_Create(&c->o) != NATS_OK) {
		snprintf(err, errlen, "NATS library: %s", nats_GetLastError(NULL));
		fleet_disconnect(c);
		return -ENOMEM;
	}
	s = natsOptions_SetServers(c->o, (const char **)c->servers.url, c->servers.n);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(c->o, timeout);
	if (s == NATS_OK)
		s = natsOptions_SetName(c->o, "kcap");
	if (s == NATS_OK)
		s = natsOptions_SetNoRandomize(c->o, true);
	if (s == NATS_OK && tls)
		s = natsOptions_SetSecure(c->o, true);
	/* the publisher rides out outages (it waits); a consumer gives up
	 * after a while rather than hang */
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(c->o, reconnect ? -1 : 60);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(c->o, 250);
	if (s != NATS_OK) {
		snprintf(err, errlen, "NATS options: %s", nats_GetLastError(NULL));
		fleet_disconnect(c);
		return -EINVAL;
	}
	e = set_credentials(c->o, opts, err, errlen);
	if (e) {
		fleet_disconnect(c);
		return e;
	}
	s = natsConnection_Connect(&c->nc, c->o);
	if (s != NATS_OK) {
		connect_error(s, c, err, errlen);
		e = fleet_status_errno(s);
		fleet_disconnect(c);
		return e == -ETIMEDOUT ? -EHOSTUNREACH : e;
	}
	s = natsConnection_JetStream(&c->js, c->nc, js_opts);
	if (s != NATS_OK) {
		snprintf(err, errlen, "JetStream: %s", nats_GetLastError(NULL));
		fleet_disconnect(c);
		return -EIO;
	}
	return 0;
}

void fleet_disconnect(struct fleet_conn *c)
{
	if (c->js)
		jsCtx_Destroy(c->js);
	if (c->nc) {
		natsConnection_Close(c->nc);
		natsConnection_Destroy(c->nc);
	}
	if (c->o)
		natsOptions_Destroy(c->o);
	fleet_servers_free(&c->servers);
	c->js = NULL;
	c->nc = NULL;
	c->o = NULL;
}
