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
#include <linux/cpuhotplug.h>
#include <linux/cpu.h>
#include <linux/sched/signal.h>
#include <linux/gfp.h>

#include "kcap.h"
#include "ring.h"

#define KCAP_META_PAGES 2

static void kcap_ring_wakeup(struct irq_work *work)
{
	struct kcap_ring *r = container_of(work, struct kcap_ring, wakeup_work);

	wake_up_interruptible(&r->session->wq);
}

/*
 * Ring memory is charged to the reader's memory cgroup and allocated
 * fail-fast, as kernel/bpf/ringbuf.c does: a request the machine cannot
 * serve ends in -ENOMEM for the reader, never in the OOM killer picking a
 * bystander, and without an allocation-failure splat.
 */
#define KCAP_RING_GFP (GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* The CPU-hotplug state whose prepare step allocates rings (main.c). */
static enum cpuhp_state kcap_cpuhp_state;

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

	r = kzalloc_node(sizeof(*r), KCAP_RING_GFP, node);
	if (!r)
		return NULL;
	r->cpu = cpu;
	r->session = s;
	init_irq_work(&r->wakeup_work, kcap_ring_wakeup);

	r->scratch = kvmalloc_node(KCAP_EVENT_MAX_LEN, KCAP_RING_GFP, node);
	if (!r->scratch)
		goto err;
	r->pages = kvcalloc(nr_pages, sizeof(*r->pages), KCAP_RING_GFP);
	if (!r->pages)
		goto err;
	r->nr_pages = nr_pages;
	for (i = 0; i < nr_pages; i++) {
		/* A reader killed while it waits for a big ring stops it. */
		if (fatal_signal_pending(current))
			goto err;
		r->pages[i] = alloc_pages_node(node, KCAP_RING_GFP | __GFP_ZERO, 0);
		if (!r->pages[i])
			goto err;
		cond_resched();
	}

	/* The vmap lists the data pages twice: that is the double mapping. */
	map = kvcalloc(nr_pages + nr_data, sizeof(*map), KCAP_RING_GFP);
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
	r->watermark = min(READ_ONCE(s->watermark), s->ring_size / 2);
	r->prod->data_size = s->ring_size;
	r->prod->cpu = cpu;
	r->prod->rings_gen = s->rings_gen;
	return r;
err:
	kcap_ring_free(r);
	return NULL;
}

/*
 * Publish a new ring and tell readers: every ring's producer page carries
 * the generation, so a reader notices without a system call.
 */
static void kcap_ring_publish(struct kcap_session *s, unsigned int cpu,
			      struct kcap_ring *r)
{
	unsigned int c;

	/* Pairs with READ_ONCE() in kcap_mmap(): the ring is complete. */
	smp_store_release(&s->rings[cpu], r);
	s->rings_gen++;
	for_each_possible_cpu(c)
		if (s->rings[c])
			WRITE_ONCE(s->rings[c]->prod->rings_gen, s->rings_gen);
}

/*
 * CPU-hotplug prepare step, before @cpu runs anything: give it a ring if
 * it has none. Never fails the CPU's bring-up: without a ring, its events
 * are counted as lost (kcap_rec_begin()). Runs with the hotplug lock held
 * for writing, so it never takes the session lock (ioctls take them in the
 * other order).
 */
static int kcap_cpu_prepare(unsigned int cpu, struct hlist_node *node)
{
	struct kcap_session *s = hlist_entry(node, struct kcap_session,
					     cpuhp_node);
	struct kcap_ring *r;

	if (s->rings[cpu])
		return 0;
	r = kcap_ring_alloc(s, cpu);
	if (r)
		kcap_ring_publish(s, cpu, r);
	return 0;
}

int kcap_rings_init(void)
{
	int ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "kcap:prepare",
					  kcap_cpu_prepare, NULL);

	if (ret < 0)
		return ret;
	kcap_cpuhp_state = ret;
	return 0;
}

void kcap_rings_exit(void)
{
	cpuhp_remove_multi_state(kcap_cpuhp_state);
}

/*
 * Allocate a ring for every online CPU; a CPU that comes online later gets
 * one from kcap_cpu_prepare(), which may also run while this one does. Rings survive CPU hotplug. The total must
 * leave half of the machine's memory to everything else.
 */
int kcap_rings_alloc(struct kcap_session *s)
{
	u64 per_ring = s->ring_size + (KCAP_META_PAGES + 1) * PAGE_SIZE;
	unsigned int cpu;
	int ret = 0;

	s->rings = kcalloc(nr_cpu_ids, sizeof(*s->rings), KCAP_RING_GFP);
	s->lost_noring = kcalloc(nr_cpu_ids, sizeof(*s->lost_noring),
				 KCAP_RING_GFP);
	if (!s->rings || !s->lost_noring)
		goto nomem;
	/* First the hotplug instance, so that no CPU coming online while
	 * the rings are allocated can be missed; the two never run at once
	 * (the prepare step holds the hotplug lock for writing).
	 */
	ret = cpuhp_state_add_instance_nocalls(kcap_cpuhp_state, &s->cpuhp_node);
	if (ret)
		goto err;
	s->cpuhp_added = true;
	cpus_read_lock();
	if (per_ring * num_online_cpus() >
	    ((u64)totalram_pages() << PAGE_SHIFT) / 2) {
		cpus_read_unlock();
		goto nomem;
	}
	for_each_online_cpu(cpu) {
		struct kcap_ring *r;

		if (s->rings[cpu])
			continue;
		r = kcap_ring_alloc(s, cpu);
		if (!r) {
			ret = fatal_signal_pending(current) ? -EINTR : -ENOMEM;
			break;
		}
		kcap_ring_publish(s, cpu, r);
	}
	cpus_read_unlock();
	if (ret)
		goto err;
	return 0;
nomem:
	ret = -ENOMEM;
err:
	kcap_rings_free(s);
	return ret;
}

void kcap_rings_free(struct kcap_session *s)
{
	unsigned int cpu;

	/* After this no prepare step can add a ring. */
	if (s->cpuhp_added)
		cpuhp_state_remove_instance_nocalls(kcap_cpuhp_state,
						    &s->cpuhp_node);
	s->cpuhp_added = false;
	if (s->rings)
		for (cpu = 0; cpu < nr_cpu_ids; cpu++)
			kcap_ring_free(s->rings[cpu]);
	kfree(s->rings);
	s->rings = NULL;
	kfree(s->lost_noring);
	s->lost_noring = NULL;
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
		if (s->rings[cpu])
			WRITE_ONCE(s->rings[cpu]->wakeup_armed, true);
	/* Pairs with smp_mb() in kcap_ring_commit(): the producer sees the
	 * armed flag or we see its head.
	 */
	smp_mb();
	for_each_possible_cpu(cpu) {
		struct kcap_ring *r = READ_ONCE(s->rings[cpu]);
		u64 head;

		if (!r)
			continue;
		/* Pairs with smp_store_release() in kcap_ring_commit(). */
		head = smp_load_acquire(&r->prod->head);
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
