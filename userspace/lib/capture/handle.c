// SPDX-License-Identifier: Apache-2.0
/*
 * The handle: the public capture calls dispatched to the source's ops table
 * (source.h), error text, record validation and the oldest-event choice
 * every merge makes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "source.h"
#include "file_format.h"

void kcap__init(struct kcap *h, const struct kcap_source_ops *ops)
{
	static __u64 serials;

	h->ops = ops;
	h->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	h->broken = 0;
	h->errmsg[0] = '\0';
}

bool kcap__is(const struct kcap *h, const struct kcap_source_ops *ops)
{
	return h && h->ops == ops;
}

int kcap__err(struct kcap *h, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

const char *kcap_errmsg(const struct kcap *h)
{
	return h ? h->errmsg : "no handle";
}

bool kcap__opts_valid(const void *opts, size_t known_sz, size_t user_sz)
{
	const unsigned char *p = opts;
	size_t i;

	if (!opts)
		return true;
	if (user_sz < sizeof(size_t))
		return false;
	for (i = known_sz; i < user_sz; i++)
		if (p[i])
			return false;
	return true;
}

int kcap_next(struct kcap *h, const struct kcap_event_hdr **ev)
{
	if (!h || !ev)
		return -EINVAL;
	*ev = NULL;
	if (h->broken)
		return h->broken;
	return h->ops->next(h, ev);
}

int kcap_start(struct kcap *h)
{
	if (!h)
		return -EINVAL;
	return h->ops->start ? h->ops->start(h) : 0;
}

int kcap_stop(struct kcap *h)
{
	if (!h)
		return -EINVAL;
	return h->ops->stop ? h->ops->stop(h) : 0;
}

void kcap_close(struct kcap *h)
{
	if (h)
		h->ops->close(h);
}

int kcap_fd(const struct kcap *h)
{
	if (!h || !h->ops->fd)
		return -EBADF;
	return h->ops->fd(h);
}

unsigned int kcap_nr_rings(const struct kcap *h)
{
	return h && h->ops->nr_cpus ? h->ops->nr_cpus(h) : 0;
}

int kcap_cpu_stats(struct kcap *h, unsigned int cpu, struct kcap_cpu_stats *st)
{
	if (!h || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->cpu = cpu;
	if (!h->ops->cpu_stats)
		return kcap__err(h, ENODATA, "a %s source has no CPU counters", h->ops->kind);
	return h->ops->cpu_stats(h, cpu, st);
}

const struct kcap_event_desc *kcap__desc(const struct kcap *h, unsigned int type)
{
	if (h && h->ops->desc)
		return h->ops->desc(h, type);
	return kcap_event_desc(type);
}

__u64 kcap__serial(const struct kcap *h)
{
	return h ? h->serial : 0;
}

struct kcap__row_aux *kcap__row_aux(const struct kcap *h, unsigned int type)
{
	if (h && h->ops->row_aux)
		return h->ops->row_aux(h, type);
	return NULL;
}

const struct kcap_event_desc *kcap_handle_event_desc(const struct kcap *h, unsigned int type)
{
	return kcap__desc(h, type);
}

int kcap_file_info(struct kcap *h, struct kcap_file_info *info, size_t sz)
{
	struct kcap_file_info all;
	int err;

	if (!h || !info)
		return -EINVAL;
	if (!h->ops->info)
		return kcap__err(h, EINVAL, "not a capture file handle");
	memset(&all, 0, sizeof(all));
	err = h->ops->info(h, &all);
	if (err)
		return err;
	memset(info, 0, sz);
	memcpy(info, &all, sz < sizeof(all) ? sz : sizeof(all));
	return 0;
}

int kcap__procs(const struct kcap *h, const void **p, size_t *len)
{
	if (!h || !h->ops->procs)
		return -EOPNOTSUPP;
	return h->ops->procs(h, p, len);
}

int kcap__users(const struct kcap *h, const void **p, size_t *len)
{
	if (!h || !h->ops->users)
		return -EOPNOTSUPP;
	return h->ops->users(h, p, len);
}

const struct kcap_ct_meta *kcap__container(struct kcap *h, const char *id)
{
	if (!h || !id || !h->ops->container)
		return NULL;
	return h->ops->container(h, id);
}

int kcap__users_foreach(const struct kcap *h,
			void (*fn)(void *ctx, bool group, __u32 id, const char *name, size_t n),
			void *ctx)
{
	const void *p;
	size_t len;
	int err;

	if (!h || !h->ops->users)
		return -EOPNOTSUPP;
	err = h->ops->users(h, &p, &len);
	return err ? err : kcapf_users_foreach(p, len, fn, ctx, NULL, NULL);
}

int kcap__record_check(const struct kcap_event_hdr *ev, __u64 avail, const char **why)
{
	const unsigned char *lens = (const unsigned char *)(ev + 1);
	__u64 sum;
	__u16 l;
	unsigned int i;

	if (avail < sizeof(*ev)) {
		*why = "truncated header";
		return -EBADMSG;
	}
	if (ev->len < sizeof(*ev)) {
		*why = "length smaller than the header";
		return -EBADMSG;
	}
	if (ev->len > KCAP_EVENT_MAX_LEN) {
		*why = "length above KCAP_EVENT_MAX_LEN";
		return -EBADMSG;
	}
	if (KCAP_ALIGN(ev->len) > avail) {
		*why = "record runs past the producer head";
		return -EBADMSG;
	}
	sum = sizeof(*ev) + 2ULL * ev->nparams;
	if (sum > ev->len) {
		*why = "parameter count does not fit the length";
		return -EBADMSG;
	}
	/* four lengths per 64-bit load (the reader checks every record) */
	for (i = 0; i + 4 <= ev->nparams; i += 4) {
		__u64 w;

		memcpy(&w, lens + 2 * i, sizeof(w));
		w = (w & 0x0000ffff0000ffffULL) + ((w >> 16) & 0x0000ffff0000ffffULL);
		sum += (w & 0xffffffffULL) + (w >> 32);
	}
	for (; i < ev->nparams; i++) {
		memcpy(&l, lens + 2 * i, sizeof(l));
		sum += l;
	}
	if (sum != ev->len) {
		*why = "parameter lengths do not add up to the length";
		return -EBADMSG;
	}
	return 0;
}
