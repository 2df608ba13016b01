// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Ring allocation, mapping support and wake-ups. The producer's hot path
 * lives in ring.h.
 *
 * Each ring is one vmap area: the consumer page, the producer page, then the
 * data pages twice in a row. Both the probes (through the vmap) and the
 * reader (through mmap) see a record that crosses the end of the data area
 * as contiguous memory, so nobody handles wrap-around.
 */
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/cpumask.h>
#include <linux/topology.h>

#include "kcap.h"
#include "ring.h"

#define KCAP_META_PAGES 2

static void kcap_ring_wakeup(struct irq_work *work)
{
	struct kcap_ring *r = container_of(work, struct kcap_ring, wakeup_work);

	wake_up_interruptible(&r->session->wq);
}

static void kcap_ring_free(struct kcap_ring *r)
{
	unsigned int i;

	if (!r)
		return;
	/* The probes are unregistered; wait for a wake-up still queued. */
	irq_work_sync(&r->wakeup_work);
	if (r->area)
		vunmap(r->area);
	kvfree(r->scratch);
	for (i = 0; i < r->nr_pages; i++)
		if (r->pages[i])
			__free_page(r->pages[i]);
	kvfree(r->pages);
	kfree(r);
}

static struct kcap_ring *kcap_ring_alloc(struct kcap_session *s,
					 unsigned int cpu)
{
	unsigned int nr_data = s->ring_size >> PAGE_SHIFT;
	unsigned int nr_pages = KCAP_META_PAGES + nr_data;
	int node = cpu_to_node(cpu);
	struct page **map;
	struct kcap_ring *r;
	unsigned int i;

	r = kzalloc_node(sizeof(*r), GFP_KERNEL, node);
	if (!r)
		return NULL;
	r->cpu = cpu;
	r->session = s;
	init_irq_work(&r->wakeup_work, kcap_ring_wakeup);

	r->scratch = kvmalloc_node(KCAP_EVENT_MAX_LEN, GFP_KERNEL, node);
	if (!r->scratch)
		goto err;
	r->pages = kvcalloc(nr_pages, sizeof(*r->pages), GFP_KERNEL);
	if (!r->pages)
		goto err;
	r->nr_pages = nr_pages;
	for (i = 0; i < nr_pages; i++) {
		r->pages[i] = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		if (!r->pages[i])
			goto err;
	}

	/* The vmap lists the data pages twice: that is the double mapping. */
	map = kvcalloc(nr_pages + nr_data, sizeof(*map), GFP_KERNEL);
	if (!map)
		goto err;
	memcpy(map, r->pages, nr_pages * sizeof(*map));
	memcpy(map + nr_pages, r->pages + KCAP_META_PAGES,
	       nr_data * sizeof(*map));
	/* VM_USERMAP: remap_vmalloc_range() maps this area to user space. */
	r->area = vmap(map, nr_pages + nr_data, VM_MAP | VM_USERMAP,
		       PAGE_KERNEL);
	kvfree(map);
	if (!r->area)
		goto err;

	r->cons = r->area;
	r->prod = r->area + PAGE_SIZE;
	r->data = r->area + KCAP_META_PAGES * PAGE_SIZE;
	r->mask = s->ring_size - 1;
	/* Bulk events leave the last eighth of the ring to protected ones. */
	r->bulk_limit = s->ring_size - s->ring_size / 8;
	r->prod->data_size = s->ring_size;
	r->prod->cpu = cpu;
	return r;
err:
	kcap_ring_free(r);
	return NULL;
}

/* Allocate one ring per possible CPU; rings survive CPU hotplug. */
int kcap_rings_alloc(struct kcap_session *s)
{
	unsigned int cpu;

	s->rings = kcalloc(nr_cpu_ids, sizeof(*s->rings), GFP_KERNEL);
	if (!s->rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		s->rings[cpu] = kcap_ring_alloc(s, cpu);
		if (!s->rings[cpu]) {
			kcap_rings_free(s);
			return -ENOMEM;
		}
	}
	return 0;
}

void kcap_rings_free(struct kcap_session *s)
{
	unsigned int cpu;

	if (!s->rings)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		kcap_ring_free(s->rings[cpu]);
	kfree(s->rings);
	s->rings = NULL;
}

/*
 * Arm every ring's wake-up, then report whether one is already past its
 * watermark. Called by poll() before it sleeps.
 */
bool kcap_rings_readable(struct kcap_session *s)
{
	bool readable = false;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		WRITE_ONCE(s->rings[cpu]->wakeup_armed, true);
	/* Pairs with smp_mb() in kcap_ring_commit(): the producer sees the
	 * armed flag or we see its head.
	 */
	smp_mb();
	for_each_possible_cpu(cpu) {
		struct kcap_ring *r = s->rings[cpu];
		/* Pairs with smp_store_release() in kcap_ring_commit(). */
		u64 head = smp_load_acquire(&r->prod->head);

		if (kcap_ring_used(r, head) >= r->watermark)
			readable = true;
	}
	return readable;
}

void kcap_ring_stats(struct kcap_ring *r, struct kcap_cpu_stats *st)
{
	unsigned int i;

	st->head = READ_ONCE(r->prod->head);
	st->tail = READ_ONCE(r->cons->tail);
	st->events = READ_ONCE(r->prod->events);
	st->bytes = READ_ONCE(r->prod->bytes);
	for (i = 0; i < KCAP_DROP_NR_SLOTS; i++)
		st->drops[i] = READ_ONCE(r->prod->drops[i]);
}
