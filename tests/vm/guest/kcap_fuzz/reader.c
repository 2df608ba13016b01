// SPDX-License-Identifier: Apache-2.0
/*
 * A reader process: opens /dev/kcap, configures a random capture, maps every
 * ring and reads it while chaos threads hit the same file. A sane reader
 * owns its tails and checks every record it reads; a chaotic one lets a
 * flipper thread throw the tails between "empty" and "full" (and garbage)
 * while the producers write, and checks nothing in the records.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kcap/kcap_events.h>

#include "fuzz.h"

/* Open the device, waiting out the previous reader's release. */
static int reader_open(void)
{
	uint64_t until = now_ms() + 3000;
	int fd;

	for (;;) {
		fd = open("/dev/kcap", O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != EBUSY || now_ms() > until)
			return fd;
		count_err(EBUSY);
		sleep_ms(5);
	}
}

/* A random configuration; small rings most of the time, so they fill. */
static void reader_configure(struct reader *rd, struct rng *r)
{
	static const uint64_t sizes[] = { 64 << 10, 64 << 10, 64 << 10,
					  128 << 10, 256 << 10, 1 << 20 };
	uint64_t size = sizes[rnd_below(r, 6)];
	uint64_t wm = 1 + rnd_below(r, size);
	uint32_t snap = rnd_below(r, KCAP_SNAPLEN_MAX + 1);
	struct kcap_interest in;
	unsigned int i;

	if (ioctl(rd->fd, KCAP_IOC_SET_RING_SIZE, &size))
		count_err(errno);
	if (chance(r, 2) && ioctl(rd->fd, KCAP_IOC_SET_SNAPLEN, &snap))
		count_err(errno);
	if (chance(r, 2) && ioctl(rd->fd, KCAP_IOC_SET_WATERMARK, &wm))
		count_err(errno);
	if (chance(r, 3)) {
		/* Random bits, but always the workload's syscalls. */
		memset(&in, 0, sizeof(in));
		for (i = 0; i < KCAP_SYSCALL_WORDS; i++) {
			in.exit_bits[i] = rnd(r);
			in.enter_bits[i] = chance(r, 4) ? rnd(r) : 0;
			in.ia32_bits[i] = rnd(r);
		}
		in.exit_bits[0] |= ~0ULL;	/* read, write, open, close... */
		in.exit_bits[1] |= ~0ULL;	/* getppid (110) and fork, exec */
		in.exit_bits[4] |= ~0ULL;	/* openat (257) */
		in.flags = chance(r, 4) ? 0 : KCAP_INTEREST_LIFECYCLE;
		if (ioctl(rd->fd, KCAP_IOC_SET_INTEREST, &in))
			count_err(errno);
	}
}

/* Map ring @c; also checks that its read-only part stays read-only. */
static int reader_map_ring(struct reader *rd, unsigned int c)
{
	size_t pg = rd->cfg.page_size, len = pg + 2 * rd->cfg.ring_size;
	off_t off = (off_t)KCAP_MMAP_OFFSET(c);
	struct ring_map *m = &rd->rings[c];
	void *cons, *prod, *w;

	cons = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, rd->fd, off);
	if (cons == MAP_FAILED)
		return -errno;
	prod = mmap(NULL, len, PROT_READ, MAP_SHARED, rd->fd, off + pg);
	if (prod == MAP_FAILED) {
		munmap(cons, pg);
		return -errno;
	}
	if (mprotect(prod, len, PROT_READ | PROT_WRITE) == 0)
		violation("ring %u: mprotect(PROT_WRITE) of the producer/data mapping succeeded", c);
	w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, rd->fd, off + pg);
	if (w != MAP_FAILED) {
		violation("ring %u: a PROT_WRITE mapping of the producer/data area succeeded", c);
		munmap(w, len);
	}
	m->cons = cons;
	m->prod = prod;
	m->data = (const volatile uint8_t *)prod + pg;
	m->tail = m->cons->tail;
	__atomic_store_n(&m->present, 1, __ATOMIC_RELEASE);
	return 0;
}

bool ring_present(struct reader *rd, unsigned int c)
{
	return __atomic_load_n(&rd->rings[c].present, __ATOMIC_ACQUIRE);
}

/*
 * Map every ring not mapped yet. ENXIO: no ring for that CPU (ABI 2.1: a
 * CPU offline at START gets its ring when it comes online); anything else
 * for a started capture is a violation.
 */
static void reader_map_rings(struct reader *rd)
{
	unsigned int c;
	int err;

	for (c = 0; c < rd->nr; c++) {
		if (ring_present(rd, c))
			continue;
		err = reader_map_ring(rd, c);
		if (err && err != -ENXIO)
			violation("mapping ring %u of a started capture failed: %s",
				  c, strerror(-err));
	}
}

/* Check one record of a sane ring; false (and a violation) if broken. */
static bool record_sane(struct reader *rd, unsigned int c, uint64_t t,
			uint64_t h)
{
	const volatile uint8_t *p = rd->rings[c].data + (t & (rd->cfg.ring_size - 1));
	struct kcap_event_hdr hd;
	uint32_t sum = 0, fixed;
	uint16_t lens[64];
	unsigned int i;

	memcpy(&hd, (const void *)p, sizeof(hd));
	fixed = sizeof(hd) + hd.nparams * 2;
	if (hd.nparams > 64 || hd.len < fixed || hd.len > KCAP_EVENT_MAX_LEN ||
	    KCAP_ALIGN(hd.len) > h - t || hd.type == KCAP_EVT_INVALID ||
	    hd.type >= KCAP_EVT_NR || hd.cpu != c || hd.reserved) {
		violation("ring %u at tail %llu (head %llu): bad header len %u type %u nparams %u cpu %u reserved %u",
			  c, (unsigned long long)t, (unsigned long long)h, hd.len,
			  hd.type, hd.nparams, hd.cpu, hd.reserved);
		return false;
	}
	memcpy(lens, (const void *)(p + sizeof(hd)), hd.nparams * 2);
	for (i = 0; i < hd.nparams; i++)
		sum += lens[i];
	if (fixed + sum != hd.len) {
		violation("ring %u at tail %llu: type %u params add up to %u, len %u",
			  c, (unsigned long long)t, hd.type, fixed + sum, hd.len);
		return false;
	}
	/* ABI 3 generic records: nr, 0..6 arguments, res at exit; numbers of
	 * at most 8 bytes */
	if (hd.type == KCAP_EVT_SYSCALL || hd.type == KCAP_EVT_SYSCALL_ENTER) {
		unsigned int min = hd.type == KCAP_EVT_SYSCALL ? 2 : 1;

		for (i = 0; i < hd.nparams && lens[i] <= 8; i++)
			;
		if (hd.nparams < min || hd.nparams > min + 6 || i < hd.nparams) {
			violation("ring %u at tail %llu: generic record of %u params (a length over 8: %s)",
				  c, (unsigned long long)t, hd.nparams,
				  i < hd.nparams ? "yes" : "no");
			return false;
		}
	}
	return true;
}

/* Sane reader: read [tail, head) of ring @c, check it, release the space. */
static void read_sane(struct reader *rd, unsigned int c)
{
	struct ring_map *m = &rd->rings[c];
	uint64_t h = __atomic_load_n(&m->prod->head, __ATOMIC_ACQUIRE);
	uint64_t t = m->tail, n = 0;

	if (h - t > rd->cfg.ring_size) {
		violation("ring %u: head %llu is more than the ring size ahead of sane tail %llu",
			  c, (unsigned long long)h, (unsigned long long)t);
		t = h;
	}
	while (t < h) {
		const volatile struct kcap_event_hdr *hd = (const void *)
			(m->data + (t & (rd->cfg.ring_size - 1)));

		if (!record_sane(rd, c, t, h)) {
			t = h;
			break;
		}
		if (hd->type == KCAP_EVT_DROP)
			count_add(&fz->markers, 1);
		t += KCAP_ALIGN(hd->len);
		n++;
	}
	__atomic_store_n(&m->cons->tail, t, __ATOMIC_RELEASE);
	m->tail = t;
	count_add(&fz->events, n);
}

/* Chaotic reader: walk what looks like records, then jump to head. */
static void read_chaotic(struct reader *rd, unsigned int c)
{
	struct ring_map *m = &rd->rings[c];
	uint64_t h = __atomic_load_n(&m->prod->head, __ATOMIC_ACQUIRE);
	uint64_t t = m->cons->tail, n = 0;

	while (h - t <= rd->cfg.ring_size && t < h && !(t & 7)) {
		uint32_t len = ((const volatile struct kcap_event_hdr *)
			(m->data + (t & (rd->cfg.ring_size - 1))))->len;

		if (len < sizeof(struct kcap_event_hdr) || len > KCAP_EVENT_MAX_LEN)
			break;
		t += KCAP_ALIGN(len);
		n++;
	}
	__atomic_store_n(&m->cons->tail, h, __ATOMIC_RELEASE);
	count_add(&fz->skimmed, n);
}

static void *consumer_thread(void *arg)
{
	struct reader *rd = arg;
	struct rng r;
	unsigned int c;

	rng_init(&r, seed_derive(rd->seed, 1, 0));
	while (!rd->stop) {
		if (chance(&r, 64))
			reader_map_rings(rd);
		for (c = 0; c < rd->nr; c++) {
			if (!ring_present(rd, c))
				continue;
			rd->chaotic ? read_chaotic(rd, c) : read_sane(rd, c);
		}
		count_op(OP_READ_PASS);
		/* Now and then let the rings fill up, so drops and markers happen. */
		sleep_ms(chance(&r, 20) ? rnd_below(&r, 200) : rnd_below(&r, 3));
	}
	return NULL;
}

/*
 * Throw every tail between head ("empty") and head - ring_size ("full") in
 * a tight loop, with some garbage; a producer on the other CPU sees the
 * tail change between two loads. Ends each burst with a sane tail.
 */
static void *flipper_thread(void *arg)
{
	struct reader *rd = arg;
	uint64_t size = rd->cfg.ring_size, k, burst, h;
	struct rng r;
	unsigned int c;

	rng_init(&r, seed_derive(rd->seed, 2, 0));
	while (!rd->stop) {
		burst = 1000 + rnd_below(&r, 200000);
		for (k = 0; k < burst && !rd->stop; k++) {
			for (c = 0; c < rd->nr; c++) {
				if (!ring_present(rd, c))
					continue;
				h = __atomic_load_n(&rd->rings[c].prod->head, __ATOMIC_ACQUIRE);
				rd->rings[c].cons->tail = (k & 1) ? h - size : h;
			}
			if ((k & 1023) == 0 && chance(&r, 8)) {
				c = rnd_below(&r, rd->nr);
				if (ring_present(rd, c))
					rd->rings[c].cons->tail = rnd(&r);
			}
		}
		for (c = 0; c < rd->nr; c++)
			if (ring_present(rd, c))
				rd->rings[c].cons->tail = rd->rings[c].prod->head;
		count_add(&fz->flips, k);
		count_op(OP_FLIP_BURST);
		sleep_ms(rnd_below(&r, 4));
	}
	return NULL;
}

static void *chaos_thread(void *arg)
{
	struct reader *rd = arg;
	static unsigned int next;
	struct rng r;

	rng_init(&r, seed_derive(rd->seed, 3, __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED)));
	/* Readers are often killed young: give the slow race its chance. */
	if (chance(&r, 4) && fz->uffd_blocked < 2)
		op_uffd_race(rd, &r);
	while (!rd->stop) {
		if (chance(&r, 2))
			chaos_op(rd, &r);
		else
			chaos_mm_op(rd, &r);
		if (chance(&r, 4))
			sleep_ms(rnd_below(&r, 5));
	}
	return NULL;
}

/* Scratch pages for bad ioctl arguments. */
static void reader_scratch(struct reader *rd)
{
	size_t pg = rd->cfg.page_size;
	uint8_t *a = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED)
		exit(3);
	memset(a, 0xa5, 3 * pg);
	rd->ro_page = a;
	rd->edge = a + pg;
	rd->hole = a + 2 * pg;
	mprotect(rd->ro_page, pg, PROT_READ);
	/*
	 * The guard after edge, and a hole: inaccessible but still reserved.
	 * An munmap()ed hole can be reused by a later mapping (a ring of a CPU
	 * that came online), and a random GET_STATS "into the hole" would
	 * then write the sane reader's tail: the likely cause of a false
	 * "head is more than the ring size ahead of sane tail" seen once on rt.
	 */
	mprotect(rd->hole, pg, PROT_NONE);
}

static void reader_end(struct reader *rd, pthread_t *th, unsigned int n,
		       struct rng *r)
{
	struct timespec ts;
	unsigned int i, c;

	rd->stop = 1;
	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 20;
		if (pthread_timedjoin_np(th[i], NULL, &ts)) {
			violation("reader thread stuck for 20 s at its end (in the kernel?)");
			kill(getpid(), SIGKILL);
		}
	}
	/* Closing before unmapping: the session must live until the munmap. */
	if (chance(r, 2)) {
		close(rd->fd);
		rd->fd = -1;
	}
	xmaps_unmap_all(rd);
	for (c = 0; c < rd->nr; c++) {
		if (!ring_present(rd, c))
			continue;
		munmap((void *)rd->rings[c].cons, rd->cfg.page_size);
		munmap((void *)rd->rings[c].prod,
		       rd->cfg.page_size + 2 * rd->cfg.ring_size);
	}
	if (rd->fd >= 0)
		close(rd->fd);
	count_op(OP_READER_CLOSE);
	exit(0);
}

void reader_main(uint64_t seed)
{
	static struct reader rd;
	pthread_t th[4];
	unsigned int n = 0;
	struct rng r;

	rng_init(&r, seed);
	rd.seed = seed;
	rd.chaotic = chance(&r, 2);
	pthread_mutex_init(&rd.cfg_lock, NULL);
	pthread_mutex_init(&rd.maps_lock, NULL);
	touch_setup();
	count_op(OP_READER_START);
	rd.fd = reader_open();
	if (rd.fd < 0) {
		count_err(errno);
		exit(0);
	}
	reader_configure(&rd, &r);
	if (ioctl(rd.fd, KCAP_IOC_START) || ioctl(rd.fd, KCAP_IOC_GET_CONFIG, &rd.cfg)) {
		count_err(errno);
		exit(0);
	}
	rd.nr = rd.cfg.nr_rings < FUZZ_MAX_RINGS ? rd.cfg.nr_rings : FUZZ_MAX_RINGS;
	reader_map_rings(&rd);
	reader_scratch(&rd);
	pthread_create(&th[n++], NULL, consumer_thread, &rd);
	if (rd.chaotic)
		pthread_create(&th[n++], NULL, flipper_thread, &rd);
	pthread_create(&th[n++], NULL, chaos_thread, &rd);
	pthread_create(&th[n++], NULL, chaos_thread, &rd);
	/* Until the supervisor's SIGKILL, or a clean end of its own. */
	sleep_ms(300 + rnd_below(&r, 6000));
	reader_end(&rd, th, n, &r);
	exit(0);
}

void reader_final_main(unsigned int secs)
{
	static struct reader rd;
	uint64_t until = now_ms() + secs * 1000ULL, ev0 = fz->events;
	unsigned int c;

	rd.fd = reader_open();
	if (rd.fd < 0) {
		violation("after the fuzz, open(/dev/kcap) failed: %s", strerror(errno));
		exit(1);
	}
	if (ioctl(rd.fd, KCAP_IOC_START) || ioctl(rd.fd, KCAP_IOC_GET_CONFIG, &rd.cfg)) {
		violation("after the fuzz, a default capture does not start: %s", strerror(errno));
		exit(1);
	}
	rd.nr = rd.cfg.nr_rings < FUZZ_MAX_RINGS ? rd.cfg.nr_rings : FUZZ_MAX_RINGS;
	reader_map_rings(&rd);
	while (fz->events == ev0 && now_ms() < until) {
		for (c = 0; c < rd.nr; c++)
			if (ring_present(&rd, c))
				read_sane(&rd, c);
		sleep_ms(10);
	}
	exit(fz->events > ev0 ? 0 : 1);
}
