/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kcap driver internals shared by the files of driver/. Nothing here is
 * ABI: the contract with user space is include/kcap/kcap_abi.h.
 */
#ifndef _KCAP_DRV_H
#define _KCAP_DRV_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/irq_work.h>
#include <linux/bitops.h>
#include <linux/sched.h>
#include <linux/atomic.h>
#include <linux/list.h>

#include <kcap/kcap_abi.h>
#include <kcap/kcap_events.h>

#define KCAP_MODNAME "kcap"

/* One ring per CPU that came online, written only by probes on that CPU. */
struct kcap_ring {
	struct kcap_ring_cons *cons;	/* page 0 of area: reader's tail */
	struct kcap_ring_prod *prod;	/* page 1 of area: head, counters */
	u8 *data;			/* page 2 of area: data, mapped twice */
	u64 mask;			/* data_size - 1 */
	u64 bulk_limit;			/* fill at which bulk events are dropped */
	u64 watermark;			/* fill at which a polling reader is woken */
	u64 fill;			/* bytes in use after the last reserve */
	u64 lost_bulk;			/* drops not yet reported by a marker */
	u64 lost_protected;
	bool wakeup_armed;		/* set by poll(), cleared by the producer */
	struct irq_work wakeup_work;
	struct kcap_session *session;
	u8 *scratch;			/* KCAP_EVENT_MAX_LEN, for staged records */
	void *area;			/* vmap of all pages, data twice */
	struct page **pages;		/* distinct pages: 2 + data pages */
	unsigned int nr_pages;
	unsigned int cpu;
};

/* An exec syscall in flight, noted at its entry (exec_mark.c). */
struct kcap_exec_mark {
	struct task_struct *task;	/* owner; NULL: free */
	u16 nr;				/* syscall number as called */
	bool compat;			/* an ia32 syscall */
	s32 dirfd;			/* execveat's arguments */
	u32 flags;
};

#define KCAP_EXEC_MARK_BITS 10
#define KCAP_EXEC_MARKS (1U << KCAP_EXEC_MARK_BITS)

/* Default and largest number of sessions (open files) at once. */
#define KCAP_SESSIONS_DEFAULT 8
#define KCAP_SESSIONS_MAX 16

/* State of one open file of /dev/kcap: its capture, rings and probes. */
struct kcap_session {
	struct list_head node;		/* in dev.c's list of sessions */
	u32 id;				/* 1, 2, ... in order of opening */
	char reader_comm[TASK_COMM_LEN];	/* the opener's, at open */
	struct mutex lock;		/* serialises ioctl, mmap and release */
	wait_queue_head_t wq;		/* poll() waiters */
	struct kcap_ring **rings;	/* nr_cpu_ids entries, NULL if none */
	u64 *lost_noring;		/* per CPU: events lost for want of a ring */
	u32 rings_gen;			/* rings added so far */
	struct hlist_node cpuhp_node;	/* the rings' CPU-hotplug instance */
	bool cpuhp_added;
	u64 ring_size;
	u64 watermark;
	u32 snaplen;
	bool capturing;
	/*
	 * mmap's own lock, never the session lock: mmap runs under
	 * mmap_lock, and the session lock is held across START, which
	 * takes cpu_hotplug_lock (cpuset orders cpu_hotplug_lock before
	 * mmap_lock: lockdep saw the cycle). Taken after the session lock,
	 * only to set rings_ready, and by mmap; nothing is taken under it.
	 */
	struct mutex map_lock;
	bool rings_ready;		/* rings allocated: mmap allowed */
	pid_t reader_tgid;		/* excluded from capture */
	u32 interest_flags;
	bool enter_any;			/* some bit of enter_bits is set */
	DECLARE_BITMAP(exit_bits, KCAP_SYSCALL_MAX);
	DECLARE_BITMAP(enter_bits, KCAP_SYSCALL_MAX);
	DECLARE_BITMAP(ia32_bits, KCAP_SYSCALL_MAX);
	unsigned long registered;	/* bit per enum kcap_tp: in its set */
	bool exec_track;		/* an exec syscall is selected */
	struct kcap_exec_mark *exec_marks;	/* KCAP_EXEC_MARKS entries */
	atomic_long_t exec_marks_full;	/* execs with no free mark */
};

/* The tracepoints kcap hooks, each with one probe for every session. */
enum kcap_tp {
	KCAP_TP_SYS_ENTER,
	KCAP_TP_SYS_EXIT,
	KCAP_TP_FORK,
	KCAP_TP_EXEC,
	KCAP_TP_EXIT,
	KCAP_TP_NR
};

/*
 * The sessions a tracepoint's probe writes for, in order of start. Never
 * changed while published: tracepoints.c builds the next one in a second
 * buffer and waits for every probe before reusing the first.
 */
struct kcap_tp_set {
	unsigned int n;
	struct kcap_session *s[KCAP_SESSIONS_MAX];
};

extern struct kcap_tp_set __rcu *kcap_tp_sets[KCAP_TP_NR];

/* ring.c */
int kcap_rings_init(void);
void kcap_rings_exit(void);
int kcap_rings_alloc(struct kcap_session *s);
void kcap_rings_free(struct kcap_session *s);
bool kcap_rings_readable(struct kcap_session *s);
void kcap_ring_stats(struct kcap_ring *r, struct kcap_cpu_stats *st);

/* tracepoints.c */
int kcap_tracepoints_init(void);
void kcap_tracepoints_exit(void);
int kcap_probes_register(struct kcap_session *s);
void kcap_probes_unregister(struct kcap_session *s);

/* dev.c */
int kcap_dev_init(void);
void kcap_dev_exit(void);

/* exec_mark.c */
void kcap_exec_enter(struct kcap_session *s, long nr, bool compat,
		     const unsigned long *args);
bool kcap_exec_take(struct kcap_session *s, struct kcap_exec_mark *out);
void kcap_exec_forget(struct kcap_session *s, struct task_struct *t);

/* probes.c: the probe functions, registered by tracepoints.c */
void kcap_probe_sys_enter(void *data, struct pt_regs *regs, long id);
void kcap_probe_sys_exit(void *data, struct pt_regs *regs, long ret);
void kcap_probe_fork(void *data, struct task_struct *parent,
		     struct task_struct *child);
struct linux_binprm;
void kcap_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
		     struct linux_binprm *bprm);
#ifdef KCAP_HAS_SCHED_EXIT_GROUP_DEAD
void kcap_probe_exit(void *data, struct task_struct *p, bool group_dead);
#else
void kcap_probe_exit(void *data, struct task_struct *p);
#endif

#endif /* _KCAP_DRV_H */
