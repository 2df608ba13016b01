// SPDX-License-Identifier: Apache-2.0
/*
 * A bounded cache of lookups: at most N containers' metadata, the least
 * recently used one evicted first. Entries live in one array; a hash table
 * of chains (indices, FNV-1a of the id) finds them and a doubly linked list
 * (indices) keeps them in order of use. Failed lookups are not cached: a
 * container whose state is not written yet is found by a later call.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"

#define NIL UINT32_MAX

struct ct_entry {
	struct kcap_ct_meta meta;
	uint32_t prev, next; /* use order: prev is more recent */
	uint32_t hnext;	     /* next entry in the same bucket */
};

struct kcap_ct_cache {
	struct kcap_ct_paths paths;
	uint32_t capacity, used;
	uint32_t head, tail; /* most and least recently used */
	uint32_t free;	     /* unused entries, chained through next */
	uint32_t nbuckets;   /* a power of two, at least twice the capacity */
	uint32_t *buckets;
	struct ct_entry *entries;
	struct kcap_ct_meta scratch; /* a lookup lands here before it has an entry */
};

static uint32_t hash_id(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h;
}

struct kcap_ct_cache *kcap__ct_cache_new(const struct kcap_ct_paths *paths, unsigned int capacity)
{
	struct kcap_ct_cache *c;
	uint32_t i;

	if (!capacity || capacity > KCAP_CT_CACHE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->paths = paths ? *paths : kcap__ct_default_paths;
	c->capacity = capacity;
	for (c->nbuckets = 16; c->nbuckets < 2 * capacity; c->nbuckets *= 2)
		;
	c->buckets = malloc(c->nbuckets * sizeof(*c->buckets));
	c->entries = calloc(capacity, sizeof(*c->entries));
	if (!c->buckets || !c->entries) {
		free(c->buckets);
		free(c->entries);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < c->nbuckets; i++)
		c->buckets[i] = NIL;
	for (i = 0; i < capacity; i++)
		c->entries[i].next = i + 1 < capacity ? i + 1 : NIL;
	c->free = 0;
	c->head = c->tail = NIL;
	return c;
}

void kcap__ct_cache_free(struct kcap_ct_cache *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = c->head; i != NIL; i = c->entries[i].next)
		kcap__ct_meta_release(&c->entries[i].meta);
	kcap__ct_meta_release(&c->scratch);
	free(c->buckets);
	free(c->entries);
	free(c);
}

static void list_unlink(struct kcap_ct_cache *c, uint32_t i)
{
	struct ct_entry *e = &c->entries[i];

	if (e->prev != NIL)
		c->entries[e->prev].next = e->next;
	else
		c->head = e->next;
	if (e->next != NIL)
		c->entries[e->next].prev = e->prev;
	else
		c->tail = e->prev;
}

static void list_push_front(struct kcap_ct_cache *c, uint32_t i)
{
	struct ct_entry *e = &c->entries[i];

	e->prev = NIL;
	e->next = c->head;
	if (c->head != NIL)
		c->entries[c->head].prev = i;
	c->head = i;
	if (c->tail == NIL)
		c->tail = i;
}

/* The entry of @id, NIL if none; *@link is what points at it in its chain. */
static uint32_t find(struct kcap_ct_cache *c, const char *id, uint32_t **link)
{
	uint32_t *l = &c->buckets[hash_id(id) & (c->nbuckets - 1)];

	for (; *l != NIL; l = &c->entries[*l].hnext)
		if (!strcmp(c->entries[*l].meta.id, id))
			break;
	*link = l;
	return *l;
}

/* Takes entry @i out of the table, the list and its metadata; it becomes free. */
static void drop(struct kcap_ct_cache *c, uint32_t i)
{
	struct ct_entry *e = &c->entries[i];
	uint32_t *link;

	find(c, e->meta.id, &link);
	*link = e->hnext;
	list_unlink(c, i);
	kcap__ct_meta_release(&e->meta);
	e->next = c->free;
	c->free = i;
	c->used--;
}

int kcap__ct_cache_get(struct kcap_ct_cache *c, const char *id, const struct kcap_ct_meta **meta)
{
	uint32_t i, *link;
	int err;

	*meta = NULL;
	if (!id)
		return -EINVAL;
	i = find(c, id, &link);
	if (i != NIL) {
		list_unlink(c, i);
		list_push_front(c, i);
		*meta = &c->entries[i].meta;
		return 0;
	}
	kcap__ct_meta_release(&c->scratch);
	err = kcap__ct_lookup(&c->paths, id, &c->scratch);
	if (err)
		return err;
	if (c->free == NIL)
		drop(c, c->tail);
	i = c->free;
	c->free = c->entries[i].next;
	/* the entry takes over the scratch result and its mounts */
	c->entries[i].meta = c->scratch;
	c->scratch.mounts = NULL;
	c->scratch.nr_mounts = c->scratch.nr_mounts_total = 0;
	find(c, id, &link);
	c->entries[i].hnext = NIL;
	*link = i;
	list_push_front(c, i);
	c->used++;
	*meta = &c->entries[i].meta;
	return 0;
}

const char *kcap__ct_cache_errmsg(const struct kcap_ct_cache *c)
{
	return c->scratch.err;
}

bool kcap__ct_cache_forget(struct kcap_ct_cache *c, const char *id)
{
	uint32_t i, *link;

	i = find(c, id, &link);
	if (i == NIL)
		return false;
	drop(c, i);
	return true;
}

unsigned int kcap__ct_cache_size(const struct kcap_ct_cache *c)
{
	return c->used;
}

const struct kcap_ct_meta *kcap__ct_cache_find(struct kcap_ct_cache *c, const char *id)
{
	uint32_t i, *link;

	i = find(c, id, &link);
	if (i == NIL)
		return NULL;
	if (c->head != i) {
		list_unlink(c, i);
		list_push_front(c, i);
	}
	return &c->entries[i].meta;
}

const struct kcap_ct_meta *kcap__ct_cache_insert(struct kcap_ct_cache *c, struct kcap_ct_meta *m)
{
	uint32_t i, *link;

	i = find(c, m->id, &link);
	if (i != NIL)
		drop(c, i);
	if (c->free == NIL)
		drop(c, c->tail);
	i = c->free;
	c->free = c->entries[i].next;
	c->entries[i].meta = *m;
	m->mounts = NULL;
	m->nr_mounts = m->nr_mounts_total = 0;
	find(c, c->entries[i].meta.id, &link);
	c->entries[i].hnext = NIL;
	*link = i;
	list_push_front(c, i);
	c->used++;
	return &c->entries[i].meta;
}
