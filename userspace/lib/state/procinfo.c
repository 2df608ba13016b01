// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_procs_foreach(): the process snapshot as structs, from a capture
 * file's PROCS blocks or from /proc now. Both go through the same PROCS
 * encoding (procs.c writes it), so there is one parser.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/file_format.h"
#include "kcap_detect.h"

struct walk {
	kcap_proc_fn fn;
	void *ctx;
	struct kcap_proc_fd *fds;
	size_t cap_fds;
	char *strs; /* NUL-terminated copies of the current record's strings */
	size_t cap_strs;
};

/* Copies the next string of @k into w->strs at *pos; returns its offset. */
static size_t take_str(struct walk *w, struct kparse *k, size_t *pos, size_t *len)
{
	__u16 l = 0;
	const char *s = kp_strp(k, &l);
	size_t at = *pos;

	if (!s)
		l = 0;
	memcpy(w->strs + at, s ? s : "", l);
	w->strs[at + l] = '\0';
	*pos += (size_t)l + 1;
	if (len)
		*len = l;
	return at;
}

static int walk_payload(void *ctx, const void *p, size_t len)
{
	struct walk *w = ctx;
	struct kparse k = { .p = p, .len = len };
	__u32 n = kp_u32(&k), i, j;
	int err;

	/* Every string of a payload fits in len bytes plus one NUL per string. */
	if (w->cap_strs < 2 * len + 16) {
		char *s = realloc(w->strs, 2 * len + 16);

		if (!s)
			return -ENOMEM;
		w->strs = s;
		w->cap_strs = 2 * len + 16;
	}
	for (i = 0; i < n && !k.bad; i++) {
		struct kcap_proc_entry e;
		size_t pos = 0, off[5];

		memset(&e, 0, sizeof(e));
		e.tid = kp_u32(&k);
		e.pid = kp_u32(&k);
		e.ppid = kp_u32(&k);
		for (j = 0; j < 4; j++)
			e.uid[j] = kp_u32(&k);
		for (j = 0; j < 4; j++)
			e.gid[j] = kp_u32(&k);
		off[0] = take_str(w, &k, &pos, NULL);
		off[1] = take_str(w, &k, &pos, NULL);
		off[2] = take_str(w, &k, &pos, &e.argv_len);
		off[3] = take_str(w, &k, &pos, NULL);
		off[4] = take_str(w, &k, &pos, NULL);
		e.nr_fds = kp_u32(&k);
		if (k.bad || e.nr_fds > (len - k.pos) / 6)
			return -EBADMSG;
		if (e.nr_fds > w->cap_fds) {
			void *f = realloc(w->fds, e.nr_fds * sizeof(*w->fds));

			if (!f)
				return -ENOMEM;
			w->fds = f;
			w->cap_fds = e.nr_fds;
		}
		for (j = 0; j < e.nr_fds && !k.bad; j++) {
			w->fds[j].fd = (__s32)kp_u32(&k);
			w->fds[j].target = (const char *)(uintptr_t)take_str(w, &k, &pos, NULL);
		}
		if (k.bad)
			return -EBADMSG;
		for (j = 0; j < e.nr_fds; j++)
			w->fds[j].target = w->strs + (size_t)(uintptr_t)w->fds[j].target;
		e.comm = w->strs + off[0];
		e.exe = w->strs + off[1];
		e.argv = w->strs + off[2];
		e.cwd = w->strs + off[3];
		e.cgroup = w->strs + off[4];
		e.fds = w->fds;
		err = w->fn(w->ctx, &e);
		if (err)
			return err;
	}
	return k.bad ? -EBADMSG : 0;
}

int kcap_procs_foreach(struct kcap *h, kcap_proc_fn fn, void *ctx)
{
	struct walk w = { .fn = fn, .ctx = ctx };
	const unsigned char *p;
	size_t len, off = 0;
	const void *all = NULL;
	int err;

	if (!fn)
		return -EINVAL;
	err = kcap__procs(h, &all, &len);
	if (err != -EOPNOTSUPP) {
		if (!err && !len)
			err = -ENODATA;
		p = all;
		while (!err && off + 4 <= len) {
			__u32 n;

			memcpy(&n, p + off, 4);
			if (n > len - off - 4) {
				err = -EBADMSG;
				break;
			}
			err = walk_payload(&w, p + off + 4, n);
			off += 4 + (size_t)n;
		}
	} else {
		err = kcapf_procs_snapshot("/proc", walk_payload, &w);
	}
	free(w.fds);
	free(w.strs);
	return err;
}
