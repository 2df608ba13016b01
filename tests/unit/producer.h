// SPDX-License-Identifier: Apache-2.0
/*
 * A test producer: rings in memory laid out exactly like the driver's (the
 * data area is a memfd mapped twice back to back), written with the
 * driver's ordering (record, then store-release of head).
 */
#ifndef KCAP_TEST_PRODUCER_H
#define KCAP_TEST_PRODUCER_H

#include <stddef.h>

#include "capture/source.h"

struct tring {
	struct kcap_ring_cons cons;
	struct kcap_ring_prod prod;
	unsigned char *data; /* size bytes, mapped twice */
	__u64 size;
	int memfd;
};

struct tparam {
	const void *p;
	__u16 len;
};

/* Sets up ring @cpu with @size data bytes (a multiple of the page size). */
int tring_init(struct tring *r, __u64 size, unsigned int cpu);
void tring_fini(struct tring *r);

/* Fills a kcap_mem_ring for kcap__open_mem(). */
struct kcap_mem_ring tring_mem(struct tring *r);

/* Writes one record; -ENOSPC (and a counted drop) if it does not fit. */
int tring_write(struct tring *r, __u16 type, __u64 ts, __u32 tid, __u32 pid, __u16 flags,
		unsigned int nparams, const struct tparam *params);

/* Writes @len raw bytes at head and advances head by @advance. */
void tring_write_raw(struct tring *r, const void *rec, size_t len, __u64 advance);

/* A generic exit-side syscall event. */
int tring_syscall(struct tring *r, __u64 ts, __u32 tid, __u32 pid, __u32 nr,
		  const __u64 args[6], __s64 res);

/*
 * A generic syscall event as the ABI 3 driver writes it: nr, @nargs
 * arguments, res if @exit, each number in the fewest bytes that
 * sign-extend back to it (found here by trying every width).
 */
int tring_syscall3(struct tring *r, __u64 ts, __u32 tid, __u32 pid, bool exit, long nr,
		   unsigned int nargs, const __u64 *args, __s64 res);

/* Bytes tring_syscall3() gives @v. */
unsigned int tsint_len(__u64 v);

/* A drop marker. */
int tring_drop(struct tring *r, __u64 ts, __u64 lost_bulk, __u64 lost_protected);

/* Free bytes as the producer sees them. */
__u64 tring_free(struct tring *r);

#endif /* KCAP_TEST_PRODUCER_H */
