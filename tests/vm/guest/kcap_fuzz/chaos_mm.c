// SPDX-License-Identifier: Apache-2.0
/*
 * Chaos operations on memory: random mmap of the device, then mprotect,
 * madvise, munmap of pieces and fork of the mappings it made (xmaps). The
 * rings the consumer reads are never touched here, only more mappings of
 * the same pages, so the driver sees the same thing. Checked: nothing but
 * the consumer page is ever writable.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static const int advices[] = {
	MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
	MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK,
	MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
	MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK,
	MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
};
#define NR_ADVICES (sizeof(advices) / sizeof(advices[0]))

static const int prots[] = {
	PROT_NONE, PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE,
	PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC,
};

/* A random used xmap, or NULL. maps_lock held. */
static struct xmap *pick_xmap(struct reader *rd, struct rng *r)
{
	unsigned int i, start = rnd_below(r, FUZZ_MAX_XMAPS);

	for (i = 0; i < FUZZ_MAX_XMAPS; i++) {
		struct xmap *x = &rd->xmaps[(start + i) % FUZZ_MAX_XMAPS];

		if (x->used)
			return x;
	}
	return NULL;
}

/* Does [p, p + len) of @x still map the device everywhere? */
static bool piece_intact(struct reader *rd, struct xmap *x, uint8_t *p, size_t len)
{
	size_t pg = rd->cfg.page_size, i;

	for (i = (p - x->addr) / pg; i < (p + len - x->addr) / pg; i++)
		if (x->gone[i / 64] & (1ULL << (i % 64)))
			return false;
	return true;
}

/* A random page-aligned piece of @x: *len bytes at the return value. */
static uint8_t *pick_piece(struct reader *rd, struct rng *r, struct xmap *x,
			   size_t *len)
{
	size_t pg = rd->cfg.page_size, pages = x->len / pg;
	size_t first = chance(r, 3) ? 0 : rnd_below(r, pages);

	*len = chance(r, 3) ? (pages - first) * pg : (1 + rnd_below(r, pages - first)) * pg;
	return x->addr + first * pg;
}

static void xmap_drop(struct reader *rd, struct xmap *x)
{
	(void)rd;
	munmap(x->addr, x->len);
	x->used = false;
}

void xmaps_unmap_all(struct reader *rd)
{
	unsigned int i;

	pthread_mutex_lock(&rd->maps_lock);
	for (i = 0; i < FUZZ_MAX_XMAPS; i++)
		if (rd->xmaps[i].used)
			xmap_drop(rd, &rd->xmaps[i]);
	pthread_mutex_unlock(&rd->maps_lock);
}

/* Offsets and lengths near the valid ones, and some far from them. */
static void random_window(struct reader *rd, struct rng *r, uint64_t *within,
			  size_t *len)
{
	size_t pg = rd->cfg.page_size, full = pg + 2 * rd->cfg.ring_size;

	switch (rnd_below(r, 4)) {
	case 0:
		*within = 0;
		*len = chance(r, 4) ? pg * (1 + rnd_below(r, 3)) : pg;
		break;
	case 1:
	case 2:
		*within = pg;
		*len = chance(r, 4) ? full + pg * (rnd_below(r, 3) - 1) : full;
		break;
	default:
		*within = pg * rnd_below(r, 1 + full / pg);
		*len = pg * (1 + rnd_below(r, full / pg));
		break;
	}
}

/* mmap at a random place; a writable map past the consumer page must fail. */
static void op_mmap_random(struct reader *rd, struct rng *r)
{
	uint64_t cpu = chance(r, 8) ? rd->nr + rnd_below(r, 1 << 20) : rnd_below(r, rd->nr);
	int prot = prots[rnd_below(r, 6)];
	int flags = chance(r, 4) ? MAP_PRIVATE : MAP_SHARED;
	struct xmap *x = NULL;
	uint64_t within;
	unsigned int i;
	size_t len;
	uint8_t *p;

	random_window(rd, r, &within, &len);
	p = mmap(NULL, len, prot, flags, rd->fd, (off_t)(KCAP_MMAP_OFFSET(cpu) + within));
	count_op(OP_MMAP_RANDOM);
	if (p == MAP_FAILED) {
		count_err(errno);
		return;
	}
	if (within != 0 && (prot & PROT_WRITE))
		violation("mmap PROT_WRITE of ring %llu at +%llu (len %zu, %s) succeeded",
			  (unsigned long long)cpu, (unsigned long long)within, len,
			  flags == MAP_SHARED ? "shared" : "private");
	if (prot & PROT_READ)
		touch_range(p, len, false);
	pthread_mutex_lock(&rd->maps_lock);
	for (i = 0; i < FUZZ_MAX_XMAPS && !x; i++)
		if (!rd->xmaps[i].used)
			x = &rd->xmaps[i];
	if (!x) {
		x = &rd->xmaps[rnd_below(r, FUZZ_MAX_XMAPS)];
		xmap_drop(rd, x);
	}
	memset(x, 0, sizeof(*x));
	*x = (struct xmap){ .addr = p, .len = len, .within = within, .used = true };
	pthread_mutex_unlock(&rd->maps_lock);
}

/* mprotect cannot make the producer page or the data writable. */
static void op_mprotect(struct reader *rd, struct rng *r)
{
	int prot = prots[rnd_below(r, 6)];
	struct xmap *x;
	uint8_t *p;
	size_t len;

	pthread_mutex_lock(&rd->maps_lock);
	x = pick_xmap(rd, r);
	if (x) {
		p = pick_piece(rd, r, x, &len);
		if (mprotect(p, len, prot) == 0) {
			if (x->within != 0 && (prot & PROT_WRITE) &&
			    piece_intact(rd, x, p, len))
				violation("mprotect(PROT_WRITE) of a mapping at ring offset +%llu succeeded",
					  (unsigned long long)x->within);
		} else {
			count_err(errno);
		}
	}
	pthread_mutex_unlock(&rd->maps_lock);
	count_op(OP_MPROTECT);
}

/* Any advice on any piece; then touch it (zapped pages give SIGBUS). */
static void op_madvise(struct reader *rd, struct rng *r)
{
	int adv = chance(r, 16) ? (int)rnd_below(r, 128) : advices[rnd_below(r, NR_ADVICES)];
	struct xmap *x;
	uint8_t *p;
	size_t len;

	pthread_mutex_lock(&rd->maps_lock);
	x = pick_xmap(rd, r);
	if (x) {
		p = pick_piece(rd, r, x, &len);
		if (madvise(p, len, adv))
			count_err(errno);
		touch_range(x->addr, x->len, false);
	}
	pthread_mutex_unlock(&rd->maps_lock);
	count_op(OP_MADVISE);
}

/*
 * Split a mapping by unmapping a piece of it (or all of it). The piece is
 * unmapped by mapping over it, which the driver sees as an munmap (its
 * VMA is split and the piece closed), but leaves no hole behind.
 */
static void op_munmap_piece(struct reader *rd, struct rng *r)
{
	size_t pg = rd->cfg.page_size, i;
	struct xmap *x;
	uint8_t *p;
	size_t len;

	pthread_mutex_lock(&rd->maps_lock);
	x = pick_xmap(rd, r);
	if (x) {
		p = pick_piece(rd, r, x, &len);
		if ((p == x->addr && len == x->len) || x->len / pg > XMAP_MAX_PAGES) {
			xmap_drop(rd, x);
		} else if (mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				-1, 0) == MAP_FAILED) {
			count_err(errno);
		} else {
			for (i = (p - x->addr) / pg; i < (p + len - x->addr) / pg; i++)
				x->gone[i / 64] |= 1ULL << (i % 64);
		}
	}
	pthread_mutex_unlock(&rd->maps_lock);
	count_op(OP_MUNMAP);
}

/* The child of a fork: touch what it inherited, use the fd, leave. */
static void __attribute__((noreturn)) fork_child(struct reader *rd, bool write)
{
	struct kcap_config cfg;
	unsigned int i;

	for (i = 0; i < FUZZ_MAX_XMAPS; i++)
		if (rd->xmaps[i].used)
			touch_range(rd->xmaps[i].addr, rd->xmaps[i].len,
				    write && rd->xmaps[i].within == 0);
	(void)!ioctl(rd->fd, KCAP_IOC_GET_CONFIG, &cfg);
	_exit(0);
}

/* fork with mappings (some made inheritable with MADV_DOFORK). */
static void op_fork_mapped(struct reader *rd, struct rng *r)
{
	struct xmap *x;
	uint64_t until;
	pid_t pid;
	int st;

	pthread_mutex_lock(&rd->maps_lock);
	x = pick_xmap(rd, r);
	if (x && chance(r, 2) && madvise(x->addr, x->len, MADV_DOFORK))
		count_err(errno);
	pid = fork();
	if (pid == 0)
		fork_child(rd, rd->chaotic);
	pthread_mutex_unlock(&rd->maps_lock);
	count_op(OP_FORK_MAPPED);
	if (pid < 0) {
		count_err(errno);
		return;
	}
	until = now_ms() + 10000;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ms() > until) {
			violation("fork child %d with ring mappings did not exit in 10 s", (int)pid);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return;
		}
		sleep_ms(2);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		violation("fork child with ring mappings ended with status %#x", st);
}

void chaos_mm_op(struct reader *rd, struct rng *r)
{
	unsigned int pick = rnd_below(r, 100);

	if (pick < 35)
		op_mmap_random(rd, r);
	else if (pick < 50)
		op_mprotect(rd, r);
	else if (pick < 70)
		op_madvise(rd, r);
	else if (pick < 85)
		op_munmap_piece(rd, r);
	else
		op_fork_mapped(rd, r);
}
