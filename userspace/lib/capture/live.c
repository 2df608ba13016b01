// SPDX-License-Identifier: Apache-2.0
/*
 * The live handle: /dev/kcap, its ioctls and the ring mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "source.h"

struct kcap_live {
	struct kcap h;
	struct kcap_rings rs;
	int fd;
	char device[128];
	struct kcap_version version;
	__u32 rings_gen; /* producer pages' rings_gen when rings were last mapped */
	__u64 ring_size; /* data bytes per ring */
	unsigned int page_size;
	bool capturing;
};

static struct kcap_live *to_live(const struct kcap *h)
{
	return container_of(h, struct kcap_live, h);
}

static int live_map_new(struct kcap *h);


/*
 * EBUSY: every session is taken (ABI 2.3; before, the one session). Names
 * the openers from the driver's holder attribute, a "PID COMM" line each.
 */
static void describe_holder(const char *device, char *buf, size_t len)
{
	const char *base = strrchr(device, '/');
	char path[256], line[128], comm[64];
	unsigned int pid, n = 0;
	size_t used;
	FILE *f;

	used = (size_t)snprintf(buf, len, "every session is in use");
	snprintf(path, sizeof(path), "/sys/class/misc/%s/holder", base ? base + 1 : device);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && used < len) {
		if (sscanf(line, "%u %63s", &pid, comm) != 2)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s pid %u (%s)",
					 n++ ? "," : ": held by", pid, comm);
	}
	fclose(f);
	if (n == 1)
		snprintf(buf, len, "in use by pid %u (%s)", pid, comm);
}

static int open_device(struct kcap *h)
{
	struct kcap_live *l = to_live(h);
	char holder[512];
	int err;

	l->fd = open(l->device, O_RDWR | O_CLOEXEC);
	if (l->fd >= 0)
		return 0;
	err = errno;
	switch (err) {
	case ENOENT:
		return kcap__err(h, err,
				 "%s not found: the kcap driver is not loaded (try: insmod kcap.ko)",
				 l->device);
	case EACCES:
	case EPERM:
		return kcap__err(h, err, "%s: permission denied: kcap needs root (CAP_SYS_ADMIN)",
				 l->device);
	case EBUSY:
		describe_holder(l->device, holder, sizeof(holder));
		return kcap__err(h, err, "%s: %s", l->device, holder);
	default:
		return kcap__err(h, err, "%s: %s", l->device, strerror(err));
	}
}

static int check_version(struct kcap *h)
{
	struct kcap_live *l = to_live(h);
	if (ioctl(l->fd, KCAP_IOC_GET_VERSION, &l->version))
		return kcap__err(h, errno, "%s: reading the ABI version: %s", l->device,
				 strerror(errno));
	if (l->version.major != KCAP_ABI_MAJOR)
		return kcap__err(h, EPROTO,
				 "driver ABI %u.%u but libkcap speaks %u.x: load the kcap.ko shipped with this libkcap",
				 l->version.major, l->version.minor, KCAP_ABI_MAJOR);
	return 0;
}

static int build_interest(struct kcap *h, const struct kcap_open_opts *opts,
			  struct kcap_interest *in)
{
	const unsigned int *list = OPTS_GET(opts, syscalls, NULL);
	size_t n = OPTS_GET(opts, nr_syscalls, 0), i;
	__u32 flags = OPTS_GET(opts, flags, 0);

	memset(in, 0, sizeof(*in));
	if (!list) {
		memset(in->exit_bits, 0xff, sizeof(in->exit_bits));
		memset(in->ia32_bits, 0xff, sizeof(in->ia32_bits));
	} else {
		for (i = 0; i < n; i++) {
			if (list[i] >= KCAP_SYSCALL_MAX)
				return kcap__err(h, EINVAL, "syscall number %u is above %u",
						 list[i], KCAP_SYSCALL_MAX - 1);
			in->exit_bits[list[i] / 64] |= 1ULL << (list[i] % 64);
		}
		/* 32-bit callers: the same calls, selected by name. */
		kcap__ia32_interest(in->exit_bits, in->ia32_bits);
	}
	if (flags & KCAP_OPEN_ENTER) {
		memcpy(in->enter_bits, in->exit_bits, sizeof(in->enter_bits));
		/* every driver of this major has ia32 entry events (2.1 on) */
		in->flags |= KCAP_INTEREST_IA32_ENTER;
	}
	if (!(flags & KCAP_OPEN_NO_LIFECYCLE))
		in->flags |= KCAP_INTEREST_LIFECYCLE;
	return 0;
}

static int set_u64(struct kcap *h, unsigned long req, const char *what, __u64 v)
{
	struct kcap_live *l = to_live(h);
	if (ioctl(l->fd, req, &v))
		return kcap__err(h, errno, "%s: setting %s to %llu: %s", l->device, what,
				 (unsigned long long)v, strerror(errno));
	return 0;
}

static int check_opts(struct kcap *h, const struct kcap_open_opts *opts)
{
	__u64 rs = OPTS_GET(opts, ring_size, 0);
	__u32 snap = OPTS_GET(opts, snaplen, 0);
	__u32 flags = OPTS_GET(opts, flags, 0);

	if (opts && opts->sz < sizeof(size_t))
		return kcap__err(h, EINVAL, "kcap_open_opts: sz %zu is too small", opts->sz);
	if (opts && !kcap__opts_valid(opts, sizeof(*opts), opts->sz))
		return kcap__err(h, EINVAL,
				 "kcap_open_opts: unknown non-zero fields (built against a newer libkcap?)");
	if (rs && (rs & (rs - 1)))
		return kcap__err(h, EINVAL, "ring size %llu is not a power of two",
				 (unsigned long long)rs);
	if (rs && (rs < KCAP_RING_SIZE_MIN || rs > KCAP_RING_SIZE_MAX))
		return kcap__err(h, EINVAL, "ring size %llu is outside %llu..%llu",
				 (unsigned long long)rs, KCAP_RING_SIZE_MIN, KCAP_RING_SIZE_MAX);
	if (snap > KCAP_SNAPLEN_MAX)
		return kcap__err(h, EINVAL, "snaplen %u is above %u", snap, KCAP_SNAPLEN_MAX);
	if (flags & ~(__u32)(KCAP_OPEN_NO_LIFECYCLE | KCAP_OPEN_ENTER | KCAP_OPEN_QUERY_ONLY))
		return kcap__err(h, EINVAL, "unknown open flags 0x%x", flags);
	return kcap__rings_init(h, &to_live(h)->rs, opts);
}

static int configure(struct kcap *h, const struct kcap_open_opts *opts)
{
	struct kcap_live *l = to_live(h);
	const struct kcap_interest *user_in = OPTS_GET(opts, interest, NULL);
	struct kcap_interest in;
	__u64 v;
	__u32 snap;
	int err;

	v = OPTS_GET(opts, ring_size, 0);
	if (v && (err = set_u64(h, KCAP_IOC_SET_RING_SIZE, "the ring size", v)))
		return err;
	snap = OPTS_GET(opts, snaplen, 0);
	if (snap && ioctl(l->fd, KCAP_IOC_SET_SNAPLEN, &snap))
		return kcap__err(h, errno, "%s: setting the snaplen to %u: %s", l->device, snap,
				 strerror(errno));
	v = OPTS_GET(opts, watermark, 0);
	if (v && (err = set_u64(h, KCAP_IOC_SET_WATERMARK, "the watermark", v)))
		return err;
	if (user_in) {
		in = *user_in;
	} else {
		err = build_interest(h, opts, &in);
		if (err)
			return err;
	}
	if (ioctl(l->fd, KCAP_IOC_SET_INTEREST, &in))
		return kcap__err(h, errno, "%s: setting the interest set: %s", l->device,
				 strerror(errno));
	return 0;
}

struct kcap *kcap_open_live(const struct kcap_open_opts *opts)
{
	const char *dev = OPTS_GET(opts, device, NULL);
	char *errbuf = NULL;
	size_t errbuf_sz = 0;
	struct kcap_live *l = calloc(1, sizeof(*l));
	struct kcap *h;
	int err;

	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	h = &l->h;
	kcap__init(h, &kcap__live_ops);
	l->fd = -1;
	l->rs.name = l->device;
	l->rs.refresh = live_map_new;
	if (OPTS_HAS(opts, errbuf_sz)) {
		errbuf = opts->errbuf;
		errbuf_sz = opts->errbuf_sz;
	}
	snprintf(l->device, sizeof(l->device), "%s", dev ? dev : KCAP_DEFAULT_DEVICE);
	err = check_opts(h, opts);
	if (!err)
		err = open_device(h);
	l->rs.poll_fd = l->fd;
	if (!err)
		err = check_version(h);
	if (!err && !(OPTS_GET(opts, flags, 0) & KCAP_OPEN_QUERY_ONLY))
		err = configure(h, opts);
	if (!err)
		return h;
	if (errbuf && errbuf_sz)
		snprintf(errbuf, errbuf_sz, "%s", h->errmsg);
	kcap_close(h);
	errno = -err;
	return NULL;
}

static int map_ring(struct kcap *h, unsigned int cpu, __u64 size)
{
	struct kcap_live *l = to_live(h);
	struct kcap_ring *r = &l->rs.rings[cpu];
	off_t off = (off_t)KCAP_MMAP_OFFSET(cpu);
	size_t len = l->page_size + 2 * size;
	void *c, *p;

	c = mmap(NULL, l->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, l->fd, off);
	if (c == MAP_FAILED) {
		if (errno == ENXIO)
			return 0; /* no ring (yet): see kcap__live_map_new() */
		return kcap__err(h, errno, "%s: mapping ring %u: %s", l->device, cpu,
				 strerror(errno));
	}
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, l->fd, off + l->page_size);
	if (p == MAP_FAILED) {
		int err = errno;

		munmap(c, l->page_size);
		return kcap__err(h, err, "%s: mapping ring %u data: %s", l->device, cpu,
				 strerror(err));
	}
	/* A child the reader forks neither needs the rings nor should copy
	 * their page tables (1 + 2 x ring size per CPU) at that fork and
	 * at each fork of its own: measured 14 M guest instructions per
	 * fork with a 64 MiB ring (docs/benchmarks.md). Best effort.
	 */
	(void)madvise(c, l->page_size, MADV_DONTFORK);
	(void)madvise(p, len, MADV_DONTFORK);
	r->cons_map = c;
	r->prod_map = p;
	r->prod_map_len = len;
	r->cons = c;
	r->prod = p;
	r->data = (const unsigned char *)p + l->page_size;
	r->size = size;
	r->tail = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
	r->published = r->tail;
	r->peeked = NULL;
	r->head = r->tail;
	r->present = true;
	if (r->prod->data_size != size)
		return kcap__err(h, EPROTO, "ring %u: data size %llu, driver config says %llu", cpu,
				 (unsigned long long)r->prod->data_size, (unsigned long long)size);
	return 0;
}

static int map_rings(struct kcap *h)
{
	struct kcap_live *l = to_live(h);
	struct kcap_config cfg;
	unsigned int i;
	int err;

	err = kcap_config(h, &cfg);
	if (err)
		return err;
	if (!cfg.nr_rings || !cfg.page_size || !cfg.ring_size ||
	    (cfg.ring_size & (cfg.ring_size - 1)))
		return kcap__err(h, EPROTO, "%s: unusable config: %u rings of %llu bytes", l->device,
				 cfg.nr_rings, (unsigned long long)cfg.ring_size);
	l->rs.rings = calloc(cfg.nr_rings, sizeof(*l->rs.rings));
	if (!l->rs.rings)
		return kcap__err(h, ENOMEM, "out of memory for %u rings", cfg.nr_rings);
	l->rs.nr_rings = cfg.nr_rings;
	l->page_size = cfg.page_size;
	l->ring_size = cfg.ring_size;
	for (i = 0; i < cfg.nr_rings; i++) {
		err = map_ring(h, i, cfg.ring_size);
		if (err)
			return err;
	}
	return 0;
}

/* The rings_gen the driver shows now (in every ring's producer page). */
static __u32 rings_gen_now(const struct kcap *h)
{
	struct kcap_live *l = to_live(h);
	unsigned int i;

	for (i = 0; i < l->rs.nr_rings; i++)
		if (l->rs.rings[i].present)
			return __atomic_load_n(&l->rs.rings[i].prod->rings_gen, __ATOMIC_ACQUIRE);
	return 0;
}

/*
 * A CPU came online after the start and the driver gave it a ring (ABI
 * 2.1): map the rings not mapped yet. The generation is read first, so a
 * ring added meanwhile makes the next call look again. Called by the ring
 * reader before each head snapshot.
 */
static int live_map_new(struct kcap *h)
{
	struct kcap_live *l = to_live(h);
	__u32 gen = rings_gen_now(h);
	unsigned int i;
	int err;

	if (gen == l->rings_gen)
		return 0;
	for (i = 0; i < l->rs.nr_rings; i++) {
		if (l->rs.rings[i].present)
			continue;
		err = map_ring(h, i, l->ring_size);
		if (err)
			return err;
	}
	l->rings_gen = gen;
	return 0;
}

static int live_next(struct kcap *h, const struct kcap_event_hdr **ev)
{
	return kcap__rings_next(h, &to_live(h)->rs, ev);
}

static int live_stop(struct kcap *h)
{
	struct kcap_live *l = to_live(h);

	if (l->capturing && ioctl(l->fd, KCAP_IOC_STOP))
		return kcap__err(h, errno, "%s: stopping the capture: %s", l->device,
				 strerror(errno));
	l->capturing = false;
	l->rs.stopped = true;
	return 0;
}

static int live_start(struct kcap *h)
{
	struct kcap_live *l = to_live(h);
	int err;

	if (l->capturing)
		return kcap__err(h, EALREADY, "capture is already running");
	if (ioctl(l->fd, KCAP_IOC_START))
		return kcap__err(h, errno, "%s: starting the capture: %s", l->device,
				 strerror(errno));
	l->capturing = true;
	l->rs.stopped = false;
	l->rs.draining = false;
	if (!l->rs.rings) {
		err = map_rings(h);
		if (err) {
			live_stop(h);
			return err;
		}
	}
	return 0;
}

static void live_close(struct kcap *h)
{
	struct kcap_live *l = to_live(h);
	unsigned int i;

	if (l->fd >= 0) {
		if (l->capturing)
			ioctl(l->fd, KCAP_IOC_STOP);
		for (i = 0; l->rs.rings && i < l->rs.nr_rings; i++) {
			struct kcap_ring *r = &l->rs.rings[i];

			if (r->cons_map)
				munmap(r->cons_map, l->page_size);
			if (r->prod_map)
				munmap(r->prod_map, r->prod_map_len);
		}
		close(l->fd);
	}
	kcap__rings_fini(&l->rs);
	free(l->rs.rings);
	free(l);
}

static int live_fd(const struct kcap *h)
{
	return to_live(h)->fd;
}

static unsigned int live_nr_cpus(const struct kcap *h)
{
	return to_live(h)->rs.nr_rings;
}

static int live_cpu_stats(struct kcap *h, unsigned int cpu, struct kcap_cpu_stats *st)
{
	struct kcap_live *l = to_live(h);

	if (ioctl(l->fd, KCAP_IOC_GET_STATS, st))
		return kcap__err(h, errno, "%s: statistics of CPU %u: %s", l->device, cpu,
				 strerror(errno));
	return 0;
}

const struct kcap_source_ops kcap__live_ops = {
	.kind = "live",
	.next = live_next,
	.close = live_close,
	.start = live_start,
	.stop = live_stop,
	.fd = live_fd,
	.nr_cpus = live_nr_cpus,
	.cpu_stats = live_cpu_stats,
};

int kcap_driver_version(const struct kcap *h, struct kcap_version *v)
{
	if (!v || !kcap__is(h, &kcap__live_ops))
		return -EINVAL;
	*v = to_live(h)->version;
	return 0;
}

int kcap_config(struct kcap *h, struct kcap_config *cfg)
{
	struct kcap_live *l;

	if (!h || !cfg)
		return -EINVAL;
	if (!kcap__is(h, &kcap__live_ops))
		return kcap__err(h, ENOTTY, "no device: a %s source", h->ops->kind);
	l = to_live(h);
	if (ioctl(l->fd, KCAP_IOC_GET_CONFIG, cfg))
		return kcap__err(h, errno, "%s: reading the config: %s", l->device,
				 strerror(errno));
	return 0;
}

unsigned int kcap_lib_version(void)
{
	return KCAP_LIB_MAJOR * 10000 + KCAP_LIB_MINOR * 100 + KCAP_LIB_PATCH;
}
