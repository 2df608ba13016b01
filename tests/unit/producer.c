// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "producer.h"

int tring_init(struct tring *r, __u64 size, unsigned int cpu)
{
	unsigned char *base;

	memset(r, 0, sizeof(*r));
	r->memfd = memfd_create("kcap-test-ring", MFD_CLOEXEC);
	if (r->memfd < 0)
		return -errno;
	if (ftruncate(r->memfd, (off_t)size))
		goto fail;
	/* Reserve twice the size, then map the same pages into both halves. */
	base = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		goto fail;
	if (mmap(base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, r->memfd, 0) ==
		    MAP_FAILED ||
	    mmap(base + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, r->memfd, 0) ==
		    MAP_FAILED) {
		munmap(base, 2 * size);
		goto fail;
	}
	r->data = base;
	r->size = size;
	r->prod.data_size = size;
	r->prod.cpu = cpu;
	return 0;
fail:
	close(r->memfd);
	return -errno;
}

void tring_fini(struct tring *r)
{
	if (r->data)
		munmap(r->data, 2 * r->size);
	close(r->memfd);
}

struct kcap_mem_ring tring_mem(struct tring *r)
{
	return (struct kcap_mem_ring){ .cons = &r->cons, .prod = &r->prod, .data = r->data,
				       .size = r->size };
}

__u64 tring_free(struct tring *r)
{
	return r->size - (r->prod.head - __atomic_load_n(&r->cons.tail, __ATOMIC_ACQUIRE));
}

int tring_write(struct tring *r, __u16 type, __u64 ts, __u32 tid, __u32 pid, __u16 flags,
		unsigned int nparams, const struct tparam *params)
{
	struct kcap_event_hdr hdr = { .ts_ns = ts, .tid = tid, .pid = pid, .type = type,
				      .nparams = (__u16)nparams, .cpu = (__u16)r->prod.cpu,
				      .flags = flags };
	unsigned char *p;
	size_t len = sizeof(hdr) + 2 * nparams;
	unsigned int i;

	for (i = 0; i < nparams; i++)
		len += params[i].len;
	hdr.len = (__u32)len;
	if (KCAP_ALIGN(len) > tring_free(r)) {
		r->prod.drops[KCAP_DROP_FULL]++;
		return -ENOSPC;
	}
	p = r->data + (r->prod.head & (r->size - 1));
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	for (i = 0; i < nparams; i++, p += 2)
		memcpy(p, &params[i].len, 2);
	for (i = 0; i < nparams; i++) {
		memcpy(p, params[i].p, params[i].len);
		p += params[i].len;
	}
	r->prod.events++;
	r->prod.bytes += KCAP_ALIGN(len);
	__atomic_store_n(&r->prod.head, r->prod.head + KCAP_ALIGN(len), __ATOMIC_RELEASE);
	return 0;
}

void tring_write_raw(struct tring *r, const void *rec, size_t len, __u64 advance)
{
	memcpy(r->data + (r->prod.head & (r->size - 1)), rec, len);
	__atomic_store_n(&r->prod.head, r->prod.head + advance, __ATOMIC_RELEASE);
}

int tring_syscall(struct tring *r, __u64 ts, __u32 tid, __u32 pid, __u32 nr,
		  const __u64 args[6], __s64 res)
{
	static const __u64 zero[6];
	struct tparam p[8];
	unsigned int i;

	if (!args)
		args = zero;
	p[0] = (struct tparam){ &nr, 4 };
	for (i = 0; i < 6; i++)
		p[1 + i] = (struct tparam){ &args[i], 8 };
	p[7] = (struct tparam){ &res, 8 };
	return tring_write(r, KCAP_EVT_SYSCALL, ts, tid, pid, 0, 8, p);
}

unsigned int tsint_len(__u64 v)
{
	unsigned int n;

	for (n = 0; n < 8; n++) {
		__u64 low = n ? v & (~0ULL >> (64 - 8 * n)) : 0;
		__u64 ext = n && (low >> (8 * n - 1)) ? low | (~0ULL << (8 * n)) : low;

		if (ext == v)
			return n;
	}
	return 8;
}

int tring_syscall3(struct tring *r, __u64 ts, __u32 tid, __u32 pid, bool exit, long nr,
		   unsigned int nargs, const __u64 *args, __s64 res)
{
	__u64 v[8];
	struct tparam p[8];
	unsigned int i, n = 0;

	v[n++] = (__u64)nr;
	for (i = 0; i < nargs && i < 6; i++)
		v[n++] = args[i];
	if (exit)
		v[n++] = (__u64)res;
	for (i = 0; i < n; i++)
		p[i] = (struct tparam){ &v[i], (__u16)tsint_len(v[i]) };
	return tring_write(r, exit ? KCAP_EVT_SYSCALL : KCAP_EVT_SYSCALL_ENTER, ts, tid, pid,
			   exit ? 0 : KCAP_EVF_ENTER, n, p);
}

int tring_drop(struct tring *r, __u64 ts, __u64 lost_bulk, __u64 lost_protected)
{
	struct tparam p[2] = { { &lost_bulk, 8 }, { &lost_protected, 8 } };

	return tring_write(r, KCAP_EVT_DROP, ts, 0, 0, 0, 2, p);
}
