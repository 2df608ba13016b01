// SPDX-License-Identifier: Apache-2.0
/*
 * Chaos operations on the open file: ioctls with random commands and
 * arguments, bad SET_* values, poll, a second open, stop/start, stats and
 * writes to the consumer page. Errors are the expected answers; what is
 * checked are the few things that are certain (see each function).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fuzz.h"

static const unsigned long valid_cmds[] = {
	KCAP_IOC_GET_VERSION, KCAP_IOC_GET_CONFIG, KCAP_IOC_SET_RING_SIZE,
	KCAP_IOC_SET_SNAPLEN, KCAP_IOC_SET_INTEREST, KCAP_IOC_SET_WATERMARK,
	KCAP_IOC_START, KCAP_IOC_STOP, KCAP_IOC_GET_STATS,
};
#define NR_VALID (sizeof(valid_cmds) / sizeof(valid_cmds[0]))

static bool cmd_is_valid(unsigned long cmd)
{
	unsigned int i;

	for (i = 0; i < NR_VALID; i++)
		if (valid_cmds[i] == cmd)
			return true;
	return false;
}

/* A command: valid, valid with a wrong size or direction, or random. */
static unsigned long random_cmd(struct rng *r)
{
	unsigned long cmd = valid_cmds[rnd_below(r, NR_VALID)];

	switch (rnd_below(r, 6)) {
	case 0:
		return _IOC(rnd_below(r, 4), KCAP_IOC_MAGIC, _IOC_NR(cmd),
			    rnd_below(r, 1 << _IOC_SIZEBITS));
	case 1:
		return _IOC(_IOC_DIR(cmd), KCAP_IOC_MAGIC,
			    NR_VALID + rnd_below(r, 256 - NR_VALID), _IOC_SIZE(cmd));
	case 2:
		return (uint32_t)rnd(r);
	default:
		return cmd;
	}
}

/* An argument: NULL, unmapped, read-only, misaligned, partial or fine. */
static void *random_arg(struct reader *rd, struct rng *r, uint8_t *buf, size_t n)
{
	size_t pg = rd->cfg.page_size;
	unsigned int i;

	switch (rnd_below(r, 8)) {
	case 0:
		return NULL;
	case 1:
		return rd->hole + rnd_below(r, pg);
	case 2:
		return rd->ro_page + rnd_below(r, 64);
	case 3:	/* runs off the end of a page into the hole */
		return rd->edge + pg - 1 - rnd_below(r, 16);
	case 4:
		return (void *)(uintptr_t)(0xffffffff81000000ULL + rnd_below(r, 1 << 20));
	case 5:
		return buf + 1 + rnd_below(r, 7);
	default:
		for (i = 0; i < n; i++)
			buf[i] = chance(r, 3) ? 0 : rnd(r);
		return buf;
	}
}

/* Anything with the kcap magic the driver does not know must be ENOTTY. */
static void op_ioctl_random(struct reader *rd, struct rng *r)
{
	uint8_t buf[sizeof(struct kcap_interest) + 16] __attribute__((aligned(8)));
	unsigned long cmd = random_cmd(r);
	void *arg = random_arg(rd, r, buf, sizeof(buf) - 8);
	bool locked = cmd == KCAP_IOC_SET_RING_SIZE || cmd == KCAP_IOC_SET_SNAPLEN ||
		      cmd == KCAP_IOC_SET_WATERMARK;
	int ret, err;

	if (locked)
		pthread_mutex_lock(&rd->cfg_lock);
	ret = ioctl(rd->fd, cmd, arg);
	err = errno;
	if (locked)
		pthread_mutex_unlock(&rd->cfg_lock);
	if (ret)
		count_err(err);
	if (_IOC_TYPE(cmd) == KCAP_IOC_MAGIC && !cmd_is_valid(cmd) &&
	    (ret == 0 || err != ENOTTY))
		violation("unknown ioctl %#lx answered %d (errno %d), not ENOTTY",
			  cmd, ret, ret ? err : 0);
	if (cmd == KCAP_IOC_GET_VERSION && ret == 0 &&
	    ((struct kcap_version *)arg)->major != KCAP_ABI_MAJOR)
		violation("GET_VERSION gave major %u", ((struct kcap_version *)arg)->major);
	count_op(OP_IOCTL_RANDOM);
}

static bool get_config(struct reader *rd, struct kcap_config *c)
{
	if (ioctl(rd->fd, KCAP_IOC_GET_CONFIG, c) == 0)
		return true;
	violation("GET_CONFIG failed: errno %d", errno);
	return false;
}

/* A rejected SET_* leaves the configuration exactly as it was. */
static void op_set_bad(struct reader *rd, struct rng *r)
{
	static const uint64_t bad64[] = { 0, 1, 4096, 65535, (64 << 10) + 8,
		3 << 20, 2ULL << 30, ~0ULL };
	struct kcap_config before, after;
	struct kcap_interest in;
	uint64_t v64 = bad64[rnd_below(r, 8)];
	uint32_t v32 = KCAP_SNAPLEN_MAX + 1 + rnd_below(r, 1 << 20);
	const char *what;
	int ret = -1;

	pthread_mutex_lock(&rd->cfg_lock);
	if (!get_config(rd, &before))
		goto out;
	switch (rnd_below(r, 4)) {
	case 0:
		what = "SET_RING_SIZE";
		ret = ioctl(rd->fd, KCAP_IOC_SET_RING_SIZE, &v64);
		break;
	case 1:
		what = "SET_SNAPLEN";
		ret = ioctl(rd->fd, KCAP_IOC_SET_SNAPLEN, &v32);
		break;
	case 2:
		what = "SET_WATERMARK";
		v64 = chance(r, 2) ? 0 : KCAP_RING_SIZE_MAX + 1 + rnd_below(r, 1 << 30);
		ret = ioctl(rd->fd, KCAP_IOC_SET_WATERMARK, &v64);
		break;
	default:
		what = "SET_INTEREST";
		memset(&in, 0xff, sizeof(in));
		in.flags = chance(r, 2) ? ~0u : KCAP_INTEREST_LIFECYCLE;
		in.reserved = in.flags == ~0u ? 0 : 1 + rnd_below(r, 1000);
		ret = ioctl(rd->fd, KCAP_IOC_SET_INTEREST, &in);
		break;
	}
	if (ret == 0)
		violation("%s accepted a bad value", what);
	else
		count_err(errno);
	if (get_config(rd, &after) &&
	    (after.ring_size != before.ring_size || after.snaplen != before.snaplen ||
	     after.watermark != before.watermark))
		violation("rejected %s changed GET_CONFIG: ring %llu->%llu snaplen %u->%u watermark %llu->%llu",
			  what, (unsigned long long)before.ring_size,
			  (unsigned long long)after.ring_size, before.snaplen,
			  after.snaplen, (unsigned long long)before.watermark,
			  (unsigned long long)after.watermark);
out:
	pthread_mutex_unlock(&rd->cfg_lock);
	count_op(OP_SET_BAD);
}

static void op_poll(struct reader *rd, struct rng *r)
{
	struct pollfd p = { .fd = rd->fd, .events = POLLIN };

	if (poll(&p, 1, rnd_below(r, 50)) < 0)
		count_err(errno);
	count_op(OP_POLL);
}

/*
 * Another open while we hold a session: a session of its own (ABI 2.3),
 * or EBUSY when max_sessions are open. A new session starts from the
 * defaults, whatever ours was set to; sometimes it captures for a moment
 * beside ours, and it is closed (or left to exit) with its rings.
 */
static void op_reopen(struct reader *rd, struct rng *r)
{
	int fd = open("/dev/kcap", chance(r, 2) ? O_RDONLY : O_RDWR);
	struct kcap_config c;

	(void)rd;
	if (fd < 0) {
		if (errno != EBUSY)
			violation("another open of /dev/kcap failed with errno %d, not EBUSY", errno);
		count_err(errno);
	} else {
		if (ioctl(fd, KCAP_IOC_GET_CONFIG, &c))
			violation("GET_CONFIG of a new session failed: errno %d", errno);
		else if (c.flags & (KCAP_CFG_CAPTURING | KCAP_CFG_RINGS))
			violation("a new session says capturing or rings (flags %#x)", c.flags);
		if (chance(r, 4)) {
			if (ioctl(fd, KCAP_IOC_START))
				count_err(errno);
			sleep_ms(rnd_below(r, 20));
		}
		close(fd);
	}
	count_op(OP_REOPEN);
}

/* Unregister and register the probes while everything else runs. */
static void op_start_stop(struct reader *rd, struct rng *r)
{
	if (ioctl(rd->fd, KCAP_IOC_STOP))
		violation("STOP failed: errno %d", errno);
	sleep_ms(rnd_below(r, 20));
	if (ioctl(rd->fd, KCAP_IOC_START))
		count_err(errno);
	count_op(OP_START_STOP);
}

/* Every ring below nr_rings has stats; none above. */
static void op_stats(struct reader *rd, struct rng *r)
{
	struct kcap_cpu_stats st;
	uint32_t cpu = chance(r, 4) ? (uint32_t)rnd(r) : rnd_below(r, rd->cfg.nr_rings + 2);
	int ret;

	memset(&st, 0, sizeof(st));
	st.cpu = cpu;
	ret = ioctl(rd->fd, KCAP_IOC_GET_STATS, &st);
	if (cpu < rd->cfg.nr_rings && (ret || st.cpu != cpu || st.online > 1))
		violation("GET_STATS(%u): ret %d errno %d cpu %u online %u",
			  cpu, ret, ret ? errno : 0, st.cpu, st.online);
	if (cpu >= rd->cfg.nr_rings && (ret == 0 || errno != EINVAL))
		violation("GET_STATS(%u) of no ring: ret %d errno %d", cpu, ret,
			  ret ? errno : 0);
	if (ret)
		count_err(errno);
	count_op(OP_STATS);
}

/* Chaotic readers only: garbage, flips and stray bytes on a consumer page. */
static void op_tail_write(struct reader *rd, struct rng *r)
{
	unsigned int c = rnd_below(r, rd->nr);
	struct ring_map *m = &rd->rings[c];
	uint64_t h, size = rd->cfg.ring_size;
	volatile uint8_t *page = (volatile uint8_t *)m->cons;

	if (!ring_present(rd, c))
		return;
	h = m->prod->head;

	switch (rnd_below(r, 5)) {
	case 0:
		m->cons->tail = rnd(r);
		break;
	case 1:
		m->cons->tail = h - size;
		m->cons->tail = h;
		break;
	case 2:
		m->cons->tail = h + 8 * rnd_below(r, 1 << 20);
		break;
	case 3:
		m->cons->tail = h - rnd_below(r, size) ;
		break;
	default:
		page[8 + rnd_below(r, rd->cfg.page_size - 8)] = rnd(r);
		break;
	}
	count_op(OP_TAIL_WRITE);
}

void chaos_op(struct reader *rd, struct rng *r)
{
	unsigned int pick = rnd_below(r, 100);

	if (pick < 40)
		op_ioctl_random(rd, r);
	else if (pick < 55)
		op_set_bad(rd, r);
	else if (pick < 65)
		op_poll(rd, r);
	else if (pick < 72)
		op_reopen(rd, r);
	else if (pick < 75)
		op_start_stop(rd, r);
	else if (pick < 88)
		op_stats(rd, r);
	else if (pick < 98)
		rd->chaotic ? op_tail_write(rd, r) : op_poll(rd, r);
	else if (fz->uffd_blocked < 2)
		op_uffd_race(rd, r);
}
