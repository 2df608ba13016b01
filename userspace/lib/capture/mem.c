// SPDX-License-Identifier: Apache-2.0
/*
 * Rings in memory, laid out like the driver's: the unit tests' source. The
 * same ring reader (rings.c) as the live session, without a device: waits
 * never block and kcap_stop() only marks the capture stopped.
 */
#include <errno.h>
#include <stdlib.h>

#include "source.h"

struct kcap_mem {
	struct kcap h;
	struct kcap_rings rs;
};

static struct kcap_mem *to_mem(const struct kcap *h)
{
	return container_of(h, struct kcap_mem, h);
}

static int mem_next(struct kcap *h, const struct kcap_event_hdr **ev)
{
	return kcap__rings_next(h, &to_mem(h)->rs, ev);
}

static int mem_start(struct kcap *h)
{
	to_mem(h)->rs.stopped = false;
	return 0;
}

static int mem_stop(struct kcap *h)
{
	to_mem(h)->rs.stopped = true;
	return 0;
}

static unsigned int mem_nr_cpus(const struct kcap *h)
{
	return to_mem(h)->rs.nr_rings;
}

static int mem_cpu_stats(struct kcap *h, unsigned int cpu, struct kcap_cpu_stats *st)
{
	return kcap__rings_cpu_stats(h, &to_mem(h)->rs, cpu, st);
}

static void mem_close(struct kcap *h)
{
	struct kcap_mem *m = to_mem(h);

	kcap__rings_fini(&m->rs);
	free(m->rs.rings);
	free(m);
}

static const struct kcap_source_ops mem_ops = {
	.kind = "memory",
	.next = mem_next,
	.close = mem_close,
	.start = mem_start,
	.stop = mem_stop,
	.nr_cpus = mem_nr_cpus,
	.cpu_stats = mem_cpu_stats,
};

struct kcap *kcap__open_mem(const struct kcap_mem_ring *rings, unsigned int nr,
			    const struct kcap_open_opts *opts)
{
	struct kcap_mem *m = calloc(1, sizeof(*m));
	unsigned int i;
	int err;

	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	kcap__init(&m->h, &mem_ops);
	m->rs.name = "memory";
	err = kcap__rings_init(&m->h, &m->rs, opts);
	if (err)
		goto fail;
	m->rs.rings = calloc(nr ? nr : 1, sizeof(*m->rs.rings));
	if (!m->rs.rings) {
		err = -ENOMEM;
		goto fail;
	}
	m->rs.nr_rings = nr;
	for (i = 0; i < nr; i++) {
		struct kcap_ring *r = &m->rs.rings[i];

		if (!rings[i].prod)
			continue;
		r->cons = rings[i].cons;
		r->prod = rings[i].prod;
		r->data = rings[i].data;
		r->size = rings[i].size;
		r->tail = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
		r->published = r->tail;
		r->peeked = NULL;
		r->head = r->tail;
		r->present = true;
	}
	return &m->h;
fail:
	kcap__rings_fini(&m->rs);
	free(m->rs.rings);
	free(m);
	errno = -err;
	return NULL;
}
