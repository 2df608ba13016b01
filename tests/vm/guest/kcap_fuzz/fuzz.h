// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_fuzz: shared declarations. The supervisor (kcap_fuzz.c) forks reader,
 * workload and hotplug processes; every process counts into one shared
 * anonymous mapping (struct fuzz_shared), so the counts of a reader killed
 * with SIGKILL still reach the summary.
 */
#ifndef KCAP_FUZZ_H
#define KCAP_FUZZ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <kcap/kcap_abi.h>

/* Operation classes, one counter each in the summary. */
enum fuzz_op {
	OP_IOCTL_RANDOM, OP_SET_BAD, OP_MMAP_RANDOM, OP_MPROTECT, OP_MADVISE,
	OP_MUNMAP, OP_FORK_MAPPED, OP_POLL, OP_REOPEN, OP_START_STOP,
	OP_STATS, OP_TAIL_WRITE, OP_UFFD_RACE, OP_FLIP_BURST, OP_READ_PASS,
	OP_READER_START, OP_READER_KILL, OP_READER_CLOSE, OP_HOTPLUG,
	OP_WORKLOAD, OP_NR
};

#define FUZZ_ERRNO_SLOTS 134	/* errno values counted one by one */
#define FUZZ_MAX_VIOL 16	/* violation messages kept for the summary */
#define FUZZ_MAX_RINGS 64

struct fuzz_shared {
	uint64_t ops[OP_NR];
	uint64_t errs[FUZZ_ERRNO_SLOTS + 1];	/* last slot: any larger errno */
	uint64_t events;		/* records checked by sane readers */
	uint64_t markers;		/* drop markers among them */
	uint64_t skimmed;		/* records walked by chaotic readers */
	uint64_t flips;			/* tail stores by flipper threads */
	uint64_t traps;			/* SIGBUS/SIGSEGV caught while touching */
	uint64_t uffd_skipped;		/* userfaultfd unavailable */
	uint64_t uffd_blocked;		/* mmap found waiting on a faulting ioctl */
	uint64_t uffd_ok;		/* mmap returned while the ioctl faulted */
	int32_t racing;			/* reader in the uffd race: not killed */
	uint64_t race_mmap_ms;		/* when its mmap started; 0 when done */
	uint32_t nviol;
	char viol[FUZZ_MAX_VIOL][240];
};

extern struct fuzz_shared *fz;
extern const char *const fuzz_op_names[OP_NR];

/* xorshift64* state; every random choice of a thread comes from one. */
struct rng {
	uint64_t s;
};

uint64_t seed_derive(uint64_t seed, uint64_t a, uint64_t b);
void rng_init(struct rng *r, uint64_t seed);
uint64_t rnd(struct rng *r);
uint64_t rnd_below(struct rng *r, uint64_t n);	/* 0 .. n - 1 */
bool chance(struct rng *r, unsigned int one_in);

void count_op(enum fuzz_op op);
void count_err(int err);
void count_add(uint64_t *counter, uint64_t n);
/* A broken invariant: kept for the summary and printed at once. */
void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One diagnostic line, written in one write() (several processes print). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_ms(void);
void sleep_ms(unsigned int ms);

/*
 * Read (and with @write, rewrite) every page of a range, surviving the
 * SIGBUS/SIGSEGV that zapped or unmapped pieces give. Returns 0 or the
 * signal number caught.
 */
int touch_range(volatile uint8_t *p, size_t len, bool write);
void touch_setup(void);

/* One ring as a reader maps it. */
struct ring_map {
	volatile struct kcap_ring_cons *cons;
	volatile struct kcap_ring_prod *prod;
	const volatile uint8_t *data;
	uint64_t tail;			/* sane readers: the tail we own */
	volatile int present;		/* mapped (a CPU offline at START may
					 * have no ring until it comes online) */
};

/*
 * A mapping made by a chaos operation (never one the consumer uses). A
 * piece "munmapped" from it is replaced by an inaccessible anonymous
 * mapping in the same step (MAP_FIXED), so that no other mapping can land
 * in the hole and be mistaken for ours; @gone marks those pages.
 */
#define XMAP_MAX_PAGES 1024
struct xmap {
	uint8_t *addr;
	size_t len;
	uint64_t within;		/* offset inside the ring's window */
	bool used;
	uint64_t gone[XMAP_MAX_PAGES / 64];
};
#define FUZZ_MAX_XMAPS 12

struct reader {
	int fd;
	bool chaotic;			/* may corrupt tails: no record checks */
	volatile int stop;
	uint64_t seed;
	struct kcap_config cfg;
	unsigned int nr;		/* rings mapped */
	struct ring_map rings[FUZZ_MAX_RINGS];
	pthread_mutex_t cfg_lock;	/* SET_* of ring size, snaplen, watermark */
	pthread_mutex_t maps_lock;	/* xmaps */
	struct xmap xmaps[FUZZ_MAX_XMAPS];
	uint8_t *ro_page;		/* read-only page for ioctl arguments */
	uint8_t *edge;			/* last page before a PROT_NONE page */
	uint8_t *hole;			/* an inaccessible (PROT_NONE) page */
};

/* reader.c */
bool ring_present(struct reader *rd, unsigned int c);
void reader_main(uint64_t seed) __attribute__((noreturn));
/* After the fuzz: an unattacked reader, default configuration, reads for
 * at most @secs seconds until it has checked a record (exit 0) or not (1). */
void reader_final_main(unsigned int secs) __attribute__((noreturn));
/* chaos.c, chaos_mm.c: one random operation */
void chaos_op(struct reader *rd, struct rng *r);
void chaos_mm_op(struct reader *rd, struct rng *r);
void xmaps_unmap_all(struct reader *rd);
/* uffd.c */
void op_uffd_race(struct reader *rd, struct rng *r);
/* load.c */
void workload_main(uint64_t seed) __attribute__((noreturn));
void hotplug_main(uint64_t seed) __attribute__((noreturn));
int cpu1_set_online(int on);

#endif /* KCAP_FUZZ_H */
