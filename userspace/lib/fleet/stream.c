// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_fleet_init(): the stream the fleet publishes into, created or
 * checked: subjects PREFIX.>, limits retention, file storage, replicas,
 * maximum age and bytes, duplicate window.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"

/* The first difference between the stream's configuration and ours. */
static const char *differs(const jsStreamConfig *have, const jsStreamConfig *want, char *buf,
			   size_t len)
{
	if (have->SubjectsLen != 1 || strcmp(have->Subjects[0], want->Subjects[0])) {
		snprintf(buf, len, "subjects are %s%s, not %s",
			 have->SubjectsLen ? have->Subjects[0] : "(none)",
			 have->SubjectsLen > 1 ? ",..." : "", want->Subjects[0]);
		return buf;
	}
	if (have->Retention != want->Retention)
		return "retention is not limits";
	if (have->Storage != want->Storage)
		return "storage is not file";
	if (have->Replicas != want->Replicas) {
		snprintf(buf, len, "replicas are %lld, not %lld", (long long)have->Replicas,
			 (long long)want->Replicas);
		return buf;
	}
	if (have->MaxAge != want->MaxAge) {
		snprintf(buf, len, "max age is %llds, not %llds",
			 (long long)(have->MaxAge / 1000000000),
			 (long long)(want->MaxAge / 1000000000));
		return buf;
	}
	if (have->MaxBytes != want->MaxBytes) {
		snprintf(buf, len, "max bytes are %lld, not %lld", (long long)have->MaxBytes,
			 (long long)want->MaxBytes);
		return buf;
	}
	if (have->Duplicates != want->Duplicates) {
		snprintf(buf, len, "duplicate window is %llds, not %llds",
			 (long long)(have->Duplicates / 1000000000),
			 (long long)(want->Duplicates / 1000000000));
		return buf;
	}
	return NULL;
}

int kcap_fleet_init(const struct kcap_fleet_opts *opts)
{
	char *errbuf = OPTS_GET(opts, errbuf, NULL), local[KCAP_ERRMSG_LEN], why[160];
	size_t errlen = errbuf ? OPTS_GET(opts, errbuf_sz, 0) : sizeof(local);
	char subj[FLEET_SUBJECT_MAX];
	const char *subjects[1] = {subj};
	struct fleet_conn c;
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode jerr = 0;
	const char *d;
	natsStatus s;
	int err;

	if (!errbuf || !errlen) {
		errbuf = local;
		errlen = sizeof(local);
	}
	if (!opts || !kcap__opts_valid(opts, sizeof(*opts), opts->sz)) {
		snprintf(errbuf, errlen, "bad options");
		return -EINVAL;
	}
	if (OPTS_GET(opts, replicas, 0) > 5) {
		snprintf(errbuf, errlen, "replicas: 1 to 5");
		return -EINVAL;
	}
	err = fleet_connect(&c, opts, false, NULL, errbuf, errlen);
	if (err)
		return err;
	snprintf(subj, sizeof(subj), "%s.>", c.prefix);
	jsStreamConfig_Init(&sc);
	sc.Name = c.stream;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Retention = js_LimitsPolicy;
	sc.Storage = js_FileStorage;
	sc.Replicas = OPTS_GET(opts, replicas, 0) ?: 1;
	sc.MaxAge = (int64_t)OPTS_GET(opts, max_age_secs, 0) * 1000000000LL;
	sc.MaxBytes = OPTS_GET(opts, max_bytes, 0) ? (int64_t)opts->max_bytes : -1;
	sc.Duplicates = (int64_t)(OPTS_GET(opts, dup_window_secs, 0) ?: 120) * 1000000000LL;
	s = js_GetStreamInfo(&si, c.js, c.stream, NULL, &jerr);
	if (s == NATS_NOT_FOUND) {
		s = js_AddStream(&si, c.js, &sc, NULL, &jerr);
		if (s != NATS_OK) {
			snprintf(errbuf, errlen, "creating stream %s: %s", c.stream,
				 nats_GetLastError(NULL));
			err = fleet_status_errno(s);
		}
	} else if (s != NATS_OK) {
		snprintf(errbuf, errlen, "stream %s: %s", c.stream, nats_GetLastError(NULL));
		err = fleet_status_errno(s);
	} else {
		d = differs(si->Config, &sc, why, sizeof(why));
		if (d) {
			snprintf(errbuf, errlen, "stream %s exists with another configuration: %s",
				 c.stream, d);
			err = -EEXIST;
		}
	}
	if (si)
		jsStreamInfo_Destroy(si);
	fleet_disconnect(&c);
	return err;
}
