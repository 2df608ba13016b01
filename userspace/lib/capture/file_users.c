// SPDX-License-Identifier: Apache-2.0
/*
 * The USERS block (format 1.1): the recording machine's user and group
 * names, so that a reader names uids and gids as that machine did, not as
 * the machine that reads the file does (Falco's user.name and group.name
 * on a capture file).
 *
 *   u32 nr_users,  nr_users  x { u32 uid, str name }
 *   u32 nr_groups, nr_groups x { u32 gid, str name }
 *
 * The writer reads the passwd and group files (/etc/passwd, /etc/group by
 * default) rather than asking NSS: a recorder should not wait on a
 * directory server, and the files are what the node's processes see.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_format.h"

#define USERS_MAX_NAME 256 /* bytes of a name kept */

/* The "name:x:id:" records of @path (passwd or group format) into @b, after
 * their count; a missing file is an empty table. */
static int encode_file(struct kbuf *b, const char *path)
{
	size_t at = b->len, cap = 0;
	char *line = NULL;
	__u32 n = 0;
	FILE *f;

	kbuf_u32(b, 0);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &cap, f) >= 0 && n < KCAPF_MAX_NAMES) {
		char *c1 = strchr(line, ':'), *c2, *end;
		unsigned long id;

		if (line[0] == '#' || !c1 || c1 == line || !(c2 = strchr(c1 + 1, ':')))
			continue;
		errno = 0;
		id = strtoul(c2 + 1, &end, 10);
		if (errno || end == c2 + 1 || *end != ':' || id > 0xffffffffUL)
			continue;
		kbuf_u32(b, (__u32)id);
		kbuf_strn(b, line, (size_t)(c1 - line) < USERS_MAX_NAME ? (size_t)(c1 - line)
									: USERS_MAX_NAME);
		n++;
	}
	free(line);
	fclose(f);
	if (!b->oom)
		memcpy(b->p + at, &n, sizeof(n));
	return b->oom ? -ENOMEM : 0;
}

int kcapf_users_encode(struct kbuf *b, const char *passwd, const char *group)
{
	int err = encode_file(b, passwd ? passwd : "/etc/passwd");

	return err ? err : encode_file(b, group ? group : "/etc/group");
}

int kcapf_users_foreach(const void *p, size_t len,
			void (*fn)(void *ctx, bool group, __u32 id, const char *name, size_t n),
			void *ctx, __u32 *nr_users, __u32 *nr_groups)
{
	struct kparse k = { .p = p, .len = len };
	__u32 counts[2] = { 0, 0 }, i;
	int g;

	for (g = 0; g < 2; g++) {
		counts[g] = kp_u32(&k);
		if (counts[g] > KCAPF_MAX_NAMES)
			return -EBADMSG;
		for (i = 0; i < counts[g] && !k.bad; i++) {
			__u32 id = kp_u32(&k);
			__u16 n;
			const char *s = kp_strp(&k, &n);

			if (s && fn)
				fn(ctx, g == 1, id, s, n);
		}
		if (k.bad)
			return -EBADMSG;
	}
	if (nr_users)
		*nr_users = counts[0];
	if (nr_groups)
		*nr_groups = counts[1];
	return 0;
}

int kcap__users_from_files(const char *passwd, const char *group,
			   void (*fn)(void *ctx, bool group, __u32 id, const char *name, size_t n),
			   void *ctx)
{
	struct kbuf b = { 0 };
	int err = kcapf_users_encode(&b, passwd, group);

	if (!err)
		err = kcapf_users_foreach(b.p, b.len, fn, ctx, NULL, NULL);
	kbuf_free(&b);
	return err;
}
