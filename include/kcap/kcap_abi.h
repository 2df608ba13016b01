/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * kcap ABI: the contract between kcap.ko and every reader (libkcap, capture
 * files, tests). Fixed-width types only; the same header is compiled by the
 * kernel module and by user space. See docs/abi.md for the prose version,
 * including the memory-ordering contract of the rings.
 *
 * Any change to a struct layout, an ioctl number or the meaning of a field
 * bumps KCAP_ABI_MAJOR. Additions that old readers can ignore (a new event
 * type, a new drop cause slot being used, a new flag) bump KCAP_ABI_MINOR.
 */
#ifndef _KCAP_ABI_H
#define _KCAP_ABI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KCAP_ABI_MAJOR 3
#define KCAP_ABI_MINOR 0

#define KCAP_DEVICE_NAME "kcap"		/* /dev/kcap, a misc device, mode 0600 */

/* ---- Events --------------------------------------------------------------- */

/*
 * Every record in a ring starts with this header, at an 8-byte aligned
 * position. It is followed by nparams __u16 parameter lengths, then the
 * parameter bytes concatenated in table order (no alignment, read with
 * memcpy). A record occupies KCAP_ALIGN(len) bytes of the ring; the
 * padding's bytes are unspecified. Generic syscall records (ABI 3) carry
 * only the arguments their syscall takes, each number in 0 to 8 bytes,
 * sign-extended (docs/abi.md).
 */
struct kcap_event_hdr {
	__u64 ts_ns;		/* CLOCK_MONOTONIC, nanoseconds */
	__u32 tid;		/* thread id in the initial pid namespace */
	__u32 pid;		/* thread group id in the initial pid namespace */
	__u32 len;		/* header + lengths + data, unpadded */
	__u16 type;		/* enum kcap_event_type */
	__u16 nparams;		/* number of __u16 lengths after the header */
	__u16 cpu;		/* CPU whose ring holds the record */
	__u16 flags;		/* KCAP_EVF_* */
	__u32 reserved;		/* zero */
};

#define KCAP_EVENT_ALIGN	8
#define KCAP_ALIGN(x)		(((x) + (KCAP_EVENT_ALIGN - 1)) & ~(__u64)(KCAP_EVENT_ALIGN - 1))

/* Largest record the driver ever writes; readers reject larger lengths. */
#define KCAP_EVENT_MAX_LEN	32768

/* Event header flags. */
#define KCAP_EVF_COMPAT		0x0001	/* ia32 syscall: nr is an ia32 number */
#define KCAP_EVF_TRUNCATED	0x0002	/* a parameter was cut to the snaplen */
#define KCAP_EVF_FAULT		0x0004	/* a user-memory read faulted: empty param */
#define KCAP_EVF_ENTER		0x0008	/* taken at syscall entry */
/*
 * From a gVisor sandbox, not the kernel (2.4; set by libkcap's gVisor
 * sink, never by the driver): tid and pid are the sandbox's ids mapped
 * into a range host ids never reach (KCAP_GVISOR_TID()), cpu is 0.
 */
#define KCAP_EVF_GVISOR		0x0010

/* A gVisor event's tid/pid: sandbox number @sb (1..511) and the sandbox's
 * own id @id (below 2^22, as the kernel's PID_MAX_LIMIT). */
#define KCAP_GVISOR_TID(sb, id)	(0x80000000u | (((__u32)(sb) & 0x1ffu) << 22) | \
				 ((__u32)(id) & 0x3fffffu))
#define KCAP_GVISOR_SANDBOX(tid)	(((tid) >> 22) & 0x1ffu)
#define KCAP_GVISOR_ID(tid)		((tid) & 0x3fffffu)

/* ---- Rings ---------------------------------------------------------------- */

/*
 * One ring per CPU that has been online during the capture (index = CPU
 * number, 0 .. nr_rings - 1; rings_gen below tells readers when one is
 * added), all behind the single device /dev/kcap. A ring is three areas:
 *
 *   consumer page  (1 page, read-write)  struct kcap_ring_cons: the tail
 *   producer page  (1 page, read-only)   struct kcap_ring_prod: head, counters
 *   data           (data_size bytes, mapped twice back to back, read-only)
 *
 * mmap offsets: CPU c's consumer page is at KCAP_MMAP_OFFSET(c); its producer
 * page, followed by the double-mapped data, is at KCAP_MMAP_OFFSET(c) +
 * page size, length page size + 2 * data_size. A writable mapping of
 * anything other than the consumer page is refused (-EPERM).
 *
 * head and tail are free-running byte counters; a record starts at
 * (tail & (data_size - 1)) and, thanks to the double mapping, is always
 * contiguous in the reader's view. Ordering contract:
 *   producer: write record, then smp_store_release(&prod->head, new_head)
 *   reader:   h = load_acquire(&prod->head); read records in [tail, h);
 *             then store_release(&cons->tail, new_tail)
 *   producer: load_acquire(&cons->tail) before reusing space.
 */
#define KCAP_MMAP_CPU_SHIFT	32
#define KCAP_MMAP_OFFSET(cpu)	((__u64)(cpu) << KCAP_MMAP_CPU_SHIFT)

/* Drop and loss causes, indexes of kcap_ring_prod.drops[]. */
enum kcap_drop_cause {
	KCAP_DROP_FULL = 0,		/* bulk event: ring past the bulk limit */
	KCAP_DROP_FULL_PROTECTED = 1,	/* protected event: ring completely full */
	KCAP_DROP_FAULT = 2,		/* user memory faulted: a param was lost */
	KCAP_DROP_OTHER = 3,		/* anything else (oversized record) */
	KCAP_DROP_NR_SLOTS = 8		/* array size; unused slots stay zero */
};

struct kcap_ring_cons {
	__u64 tail;			/* written by the reader only */
};

struct kcap_ring_prod {
	__u64 head;			/* written by the producer only */
	__u64 data_size;		/* bytes, power of two */
	__u64 events;			/* records written (markers included) */
	__u64 bytes;			/* bytes written (padding included) */
	__u64 drops[KCAP_DROP_NR_SLOTS];	/* by enum kcap_drop_cause */
	__u32 cpu;
	__u32 rings_gen;		/* bumped in every ring when a ring is added (2.1) */
};

/* ---- Configuration and ioctls --------------------------------------------- */

#define KCAP_RING_SIZE_MIN	(64ULL << 10)
#define KCAP_RING_SIZE_MAX	(1ULL << 30)
#define KCAP_RING_SIZE_DEFAULT	(8ULL << 20)
#define KCAP_SNAPLEN_MAX	16384
#define KCAP_SNAPLEN_DEFAULT	256

/* Syscall numbers covered by the interest bitmaps. */
#define KCAP_SYSCALL_MAX	1024
#define KCAP_SYSCALL_WORDS	(KCAP_SYSCALL_MAX / 64)

/* kcap_interest.flags */
#define KCAP_INTEREST_LIFECYCLE	0x1	/* fork, exec and exit events */
#define KCAP_INTEREST_IA32_ENTER 0x2	/* entry events for the ia32_bits (2.1) */

struct kcap_interest {
	__u64 exit_bits[KCAP_SYSCALL_WORDS];	/* event at syscall exit */
	__u64 enter_bits[KCAP_SYSCALL_WORDS];	/* also an event at entry */
	__u64 ia32_bits[KCAP_SYSCALL_WORDS];	/* ia32 numbers, exit side */
	__u32 flags;				/* KCAP_INTEREST_* */
	__u32 reserved;				/* zero */
};

struct kcap_version {
	__u16 major;
	__u16 minor;
	__u32 reserved;
};

/* kcap_config.flags */
#define KCAP_CFG_CAPTURING	0x1	/* probes are registered */
#define KCAP_CFG_RINGS		0x2	/* rings are allocated (mmap allowed) */

struct kcap_config {
	__u64 ring_size;	/* data bytes per ring */
	__u64 watermark;	/* poll() reports readable at this fill */
	__u32 snaplen;
	__u32 nr_rings;		/* rings are indexed 0 .. nr_rings - 1 */
	__u32 flags;		/* KCAP_CFG_* */
	__u32 page_size;
};

struct kcap_cpu_stats {
	__u32 cpu;		/* in: the ring to describe */
	__u32 online;		/* out: 1 if the CPU is online now */
	__u64 head;
	__u64 tail;
	__u64 events;
	__u64 bytes;
	__u64 drops[KCAP_DROP_NR_SLOTS];
};

#define KCAP_IOC_MAGIC 0xc4

#define KCAP_IOC_GET_VERSION	_IOR(KCAP_IOC_MAGIC, 0x00, struct kcap_version)
#define KCAP_IOC_GET_CONFIG	_IOR(KCAP_IOC_MAGIC, 0x01, struct kcap_config)
#define KCAP_IOC_SET_RING_SIZE	_IOW(KCAP_IOC_MAGIC, 0x02, __u64)
#define KCAP_IOC_SET_SNAPLEN	_IOW(KCAP_IOC_MAGIC, 0x03, __u32)
#define KCAP_IOC_SET_INTEREST	_IOW(KCAP_IOC_MAGIC, 0x04, struct kcap_interest)
#define KCAP_IOC_SET_WATERMARK	_IOW(KCAP_IOC_MAGIC, 0x05, __u64)
#define KCAP_IOC_START		_IO(KCAP_IOC_MAGIC, 0x06)
#define KCAP_IOC_STOP		_IO(KCAP_IOC_MAGIC, 0x07)
#define KCAP_IOC_GET_STATS	_IOWR(KCAP_IOC_MAGIC, 0x08, struct kcap_cpu_stats)

#endif /* _KCAP_ABI_H */
