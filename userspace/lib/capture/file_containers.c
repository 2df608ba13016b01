// SPDX-License-Identifier: Apache-2.0
/*
 * The CONTAINERS block (format 1.2): the metadata container runtimes gave
 * the recording machine (container/container.h, docs/containers.md), so
 * that a reader of the file on any machine fills container.* and k8s.* as
 * the recorder knew them, without looking anything up.
 *
 *   u32 nr_records
 *   nr_records x record:
 *     u32 len                  bytes of the record after this field
 *     str id, runtime, name, image, image_repository, image_tag,
 *         image_digest, image_id, pod_name, pod_namespace, pod_uid,
 *         sandbox_id, container_type
 *     u64 start_ts             ns since the epoch, 0 unknown
 *     u32 flags                0x1 privileged; other bits 0, ignored
 *     u32 nr_mounts_total
 *     u32 nr_mounts            at most KCAP_CT_MAX_MOUNTS and nr_mounts_total
 *     nr_mounts x { str source, str dest, str propagation, u32 flags (0x1 rw) }
 *     (a later minor version may append fields: bytes after these are skipped)
 *
 * Every string must fit its field of struct kcap_ct_meta with its NUL and
 * hold no NUL byte; the id is what runc accepts. docs/capture-format.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"
#include "file_format.h"

#define CT_PRIVILEGED 0x1u
#define CT_MOUNT_RW 0x1u
#define CT_HAS_POD_LABELS 0x1u

/* Bytes of @m's pod labels: nr_pod_labels "key\0value\0" pairs. */
static size_t labels_len(const struct kcap_ct_meta *m)
{
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < 2 * m->nr_pod_labels && off < sizeof(m->pod_labels); i++)
		off += strnlen(m->pod_labels + off, sizeof(m->pod_labels) - off) + 1;
	return off < sizeof(m->pod_labels) ? off : sizeof(m->pod_labels);
}

void kcapf_ct_encode(struct kbuf *b, const struct kcap_ct_meta *m)
{
	size_t at = b->len;
	unsigned int i, n = m->nr_mounts < KCAP_CT_MAX_MOUNTS ? m->nr_mounts : KCAP_CT_MAX_MOUNTS;
	__u32 len;

	kbuf_u32(b, 0);
	kbuf_str(b, m->id);
	kbuf_str(b, m->runtime);
	kbuf_str(b, m->name);
	kbuf_str(b, m->image);
	kbuf_str(b, m->image_repository);
	kbuf_str(b, m->image_tag);
	kbuf_str(b, m->image_digest);
	kbuf_str(b, m->image_id);
	kbuf_str(b, m->pod_name);
	kbuf_str(b, m->pod_namespace);
	kbuf_str(b, m->pod_uid);
	kbuf_str(b, m->sandbox_id);
	kbuf_str(b, m->container_type);
	kbuf_u64(b, m->start_ts);
	kbuf_u32(b, m->privileged ? CT_PRIVILEGED : 0);
	kbuf_u32(b, m->nr_mounts_total > n ? m->nr_mounts_total : n);
	kbuf_u32(b, m->mounts ? n : 0);
	for (i = 0; m->mounts && i < n; i++) {
		kbuf_str(b, m->mounts[i].source);
		kbuf_str(b, m->mounts[i].dest);
		kbuf_str(b, m->mounts[i].propagation);
		kbuf_u32(b, m->mounts[i].rw ? CT_MOUNT_RW : 0);
	}
	/* the tail added with the podman and CRI-O readers; a record
	 * without it (an earlier 1.2 writer) reads with these empty */
	kbuf_str(b, m->ip);
	kbuf_str(b, m->cmdline);
	kbuf_str(b, m->healthcheck);
	kbuf_u32(b, m->has_pod_labels ? CT_HAS_POD_LABELS : 0);
	kbuf_u32(b, m->nr_pod_labels);
	kbuf_u32(b, m->nr_pod_labels_total > m->nr_pod_labels ? m->nr_pod_labels_total
							       : m->nr_pod_labels);
	kbuf_strn(b, m->pod_labels, labels_len(m));
	if (b->oom)
		return;
	len = (__u32)(b->len - at - 4);
	memcpy(b->p + at, &len, 4);
}

struct ctparse {
	struct kparse k;
	unsigned int rec;
	char *why;
	size_t whylen;
};

static bool bad(struct ctparse *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool bad(struct ctparse *c, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->why, c->whylen, "container table: record %u: %s", c->rec, what);
	return false;
}

/* A string into @buf of @size bytes: shorter than @size, no NUL byte. */
static bool get_str(struct ctparse *c, char *buf, size_t size, const char *name)
{
	__u16 n;
	const char *s = kp_strp(&c->k, &n);

	if (!s)
		return bad(c, "%s runs past the record", name);
	if (n >= size)
		return bad(c, "%s is %u bytes, at most %zu", name, n, size - 1);
	if (memchr(s, '\0', n))
		return bad(c, "%s holds a NUL byte", name);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

/* runc's rule for an id: letters, digits, "_+-.", never "." or "..". */
static bool id_ok(const char *id)
{
	const char *p;

	if (!id[0] || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_+-.", *p)))
			return false;
	return true;
}

/* The record's tail (ip, cmdline, healthcheck, pod labels), if it has one. */
static bool decode_tail(struct ctparse *c, struct kcap_ct_meta *m)
{
	__u32 flags, nr, total, nul = 0, i;
	const char *s;
	__u16 n;

	if (c->k.pos >= c->k.len)
		return true;
	if (!get_str(c, m->ip, sizeof(m->ip), "ip") ||
	    !get_str(c, m->cmdline, sizeof(m->cmdline), "cmdline") ||
	    !get_str(c, m->healthcheck, sizeof(m->healthcheck), "healthcheck"))
		return false;
	flags = kp_u32(&c->k);
	nr = kp_u32(&c->k);
	total = kp_u32(&c->k);
	s = kp_strp(&c->k, &n);
	if (c->k.bad || !s)
		return bad(c, "the pod labels run past the record");
	if (n > sizeof(m->pod_labels) || nr > total)
		return bad(c, "pod labels: %u bytes, %u of %u labels", n, nr, total);
	for (i = 0; i < n; i++)
		nul += s[i] == '\0';
	if (nul != 2 * nr || (n && s[n - 1] != '\0'))
		return bad(c, "pod labels: %u bytes are not %u key and value pairs", n, nr);
	memcpy(m->pod_labels, s, n);
	m->has_pod_labels = flags & CT_HAS_POD_LABELS;
	m->nr_pod_labels = nr;
	m->nr_pod_labels_total = total;
	return true;
}

/* One record's fields from c->k (the record alone) into @m, which owns
 * its mounts on success and nothing on failure. */
static bool decode(struct ctparse *c, struct kcap_ct_meta *m)
{
	__u32 flags, total, n, i;

	memset(m, 0, sizeof(*m));
	if (!get_str(c, m->id, sizeof(m->id), "id") ||
	    !get_str(c, m->runtime, sizeof(m->runtime), "runtime") ||
	    !get_str(c, m->name, sizeof(m->name), "name") ||
	    !get_str(c, m->image, sizeof(m->image), "image") ||
	    !get_str(c, m->image_repository, sizeof(m->image_repository), "image repository") ||
	    !get_str(c, m->image_tag, sizeof(m->image_tag), "image tag") ||
	    !get_str(c, m->image_digest, sizeof(m->image_digest), "image digest") ||
	    !get_str(c, m->image_id, sizeof(m->image_id), "image id") ||
	    !get_str(c, m->pod_name, sizeof(m->pod_name), "pod name") ||
	    !get_str(c, m->pod_namespace, sizeof(m->pod_namespace), "pod namespace") ||
	    !get_str(c, m->pod_uid, sizeof(m->pod_uid), "pod uid") ||
	    !get_str(c, m->sandbox_id, sizeof(m->sandbox_id), "sandbox id") ||
	    !get_str(c, m->container_type, sizeof(m->container_type), "container type"))
		return false;
	if (!id_ok(m->id))
		return bad(c, "id \"%.64s\" is not a container id", m->id);
	m->start_ts = kp_u64(&c->k);
	flags = kp_u32(&c->k);
	total = kp_u32(&c->k);
	n = kp_u32(&c->k);
	if (c->k.bad)
		return bad(c, "the numbers run past the record");
	m->privileged = flags & CT_PRIVILEGED;
	if (n > KCAP_CT_MAX_MOUNTS || n > total)
		return bad(c, "%u mounts of %u, at most %u kept", n, total, KCAP_CT_MAX_MOUNTS);
	m->nr_mounts_total = total;
	if (!n)
		return decode_tail(c, m);
	m->mounts = calloc(n, sizeof(*m->mounts));
	if (!m->mounts)
		return bad(c, "out of memory for %u mounts", n);
	for (i = 0; i < n; i++) {
		struct kcap_ct_mount *mt = &m->mounts[i];

		if (!get_str(c, mt->source, sizeof(mt->source), "mount source") ||
		    !get_str(c, mt->dest, sizeof(mt->dest), "mount destination") ||
		    !get_str(c, mt->propagation, sizeof(mt->propagation), "mount propagation"))
			break;
		flags = kp_u32(&c->k);
		if (c->k.bad) {
			bad(c, "mount %u runs past the record", i);
			break;
		}
		mt->rw = flags & CT_MOUNT_RW;
	}
	if (i < n) {
		free(m->mounts);
		m->mounts = NULL;
		return false;
	}
	m->nr_mounts = n;
	if (!decode_tail(c, m)) {
		free(m->mounts);
		m->mounts = NULL;
		m->nr_mounts = 0;
		return false;
	}
	return true;
}

int kcapf_ct_foreach(const void *p, size_t len,
		     int (*fn)(void *ctx, struct kcap_ct_meta *m, const void *rec, size_t reclen),
		     void *ctx, char *why, size_t whylen)
{
	struct kparse k = { .p = p, .len = len };
	struct kcap_ct_meta *m;
	struct ctparse c = { .why = why, .whylen = whylen };
	__u32 n = kp_u32(&k), i, rlen;
	int err = 0;

	if (k.bad) {
		snprintf(why, whylen, "container table: no record count");
		return -EBADMSG;
	}
	if (n > KCAPF_MAX_CT_RECORDS) {
		snprintf(why, whylen, "container table: %u records, at most %u", n,
			 KCAPF_MAX_CT_RECORDS);
		return -EBADMSG;
	}
	m = malloc(sizeof(*m));
	if (!m) {
		snprintf(why, whylen, "container table: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n && !err; i++) {
		const unsigned char *rec = p ? (const unsigned char *)p + k.pos : NULL;

		c.rec = i;
		rlen = kp_u32(&k);
		if (k.bad || rlen > len - k.pos) {
			bad(&c, "its length runs past the block");
			err = -EBADMSG;
			break;
		}
		c.k = (struct kparse){ .p = (const unsigned char *)p + k.pos, .len = rlen };
		kp_bytes(&k, rlen);
		if (!decode(&c, m)) {
			err = -EBADMSG;
			break;
		}
		if (fn)
			err = fn(ctx, m, rec, 4 + (size_t)rlen);
		kcap__ct_meta_release(m);
	}
	/* bytes after the records: a later minor version's, skipped */
	free(m);
	return err;
}

/* Record @rec (@len bytes, its u32 length first) of container @id. */
static int cts_put(struct kcapf_cts *t, const char *id, const void *rec, size_t len)
{
	struct kcapf_ct *e = NULL;
	unsigned int i, old = 0;

	if (!t->e) {
		t->e = calloc(KCAPF_MAX_CONTAINERS, sizeof(*t->e));
		if (!t->e)
			return -ENOMEM;
	}
	for (i = 0; i < t->n; i++) {
		if (!strcmp(t->e[i].id, id)) {
			e = &t->e[i];
			break;
		}
		if (t->e[i].seq < t->e[old].seq)
			old = i;
	}
	if (e && e->len == len && !memcmp(e->rec, rec, len))
		return 0; /* known as it is */
	if (!e)
		e = t->n < KCAPF_MAX_CONTAINERS ? &t->e[t->n++] : &t->e[old];
	free(e->rec);
	free(e->id);
	e->rec = malloc(len);
	e->id = strdup(id);
	if (!e->rec || !e->id) {
		/* the entry leaves: the last takes its place */
		free(e->rec);
		free(e->id);
		*e = t->e[--t->n];
		memset(&t->e[t->n], 0, sizeof(*e));
		return -ENOMEM;
	}
	memcpy(e->rec, rec, len);
	e->len = len;
	e->seq = ++t->seq;
	kbuf_put(&t->pending, rec, len);
	t->nr_pending++;
	return t->pending.oom ? -ENOMEM : 0;
}

int kcapf_cts_put(struct kcapf_cts *t, const struct kcap_ct_meta *m)
{
	struct kbuf b = { 0 };
	int err;

	kcapf_ct_encode(&b, m);
	err = b.oom ? -ENOMEM : cts_put(t, m->id, b.p, b.len);
	kbuf_free(&b);
	return err;
}

static int take_one(void *ctx, struct kcap_ct_meta *m, const void *rec, size_t len)
{
	return cts_put(ctx, m->id, rec, len);
}

int kcapf_cts_take(struct kcapf_cts *t, const void *log, size_t len, char *why, size_t whylen)
{
	const unsigned char *p = log;
	__u32 n;
	int err;

	while (t->log_off + 4 <= len) {
		memcpy(&n, p + t->log_off, 4);
		if (n > len - t->log_off - 4)
			break;
		err = kcapf_ct_foreach(p + t->log_off + 4, n, take_one, t, why, whylen);
		if (err == -ENOMEM)
			snprintf(why, whylen, "container table: out of memory");
		if (err)
			return err;
		t->log_off += 4 + (size_t)n;
	}
	return 0;
}

void kcapf_cts_free(struct kcapf_cts *t)
{
	for (unsigned int i = 0; i < t->n; i++) {
		free(t->e[i].rec);
		free(t->e[i].id);
	}
	free(t->e);
	kbuf_free(&t->pending);
	memset(t, 0, sizeof(*t));
}
