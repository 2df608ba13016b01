// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * /dev/kcap: a misc device whose every open file is a session of its own
 * (at most max_sessions at once), the ioctls that configure and start a
 * capture, mmap of the rings, poll().
 */
#include <linux/miscdevice.h>
#include <linux/moduleparam.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/log2.h>
#include <linux/sched.h>
#include <linux/compat.h>
#include <linux/nospec.h>
#include <asm/unistd.h>
#ifdef CONFIG_IA32_EMULATION
#include <asm/unistd_32_ia32.h>
#endif

#include "kcap.h"
#include "compat.h"

/* Module parameters: the defaults a new session starts with. */
static unsigned long kcap_default_ring_size = KCAP_RING_SIZE_DEFAULT;
static unsigned int kcap_default_snaplen = KCAP_SNAPLEN_DEFAULT;

static int kcap_set_ring_size(const char *val, const struct kernel_param *kp)
{
	unsigned long v;
	int ret = kstrtoul(val, 0, &v);

	if (ret)
		return ret;
	if (!is_power_of_2(v) || v < KCAP_RING_SIZE_MIN ||
	    v > KCAP_RING_SIZE_MAX || v < PAGE_SIZE)
		return -EINVAL;
	*(unsigned long *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops kcap_ring_size_ops = {
	.set = kcap_set_ring_size,
	.get = param_get_ulong,
};
module_param_cb(ring_size, &kcap_ring_size_ops, &kcap_default_ring_size, 0644);
MODULE_PARM_DESC(ring_size,
		 "Default bytes of data per CPU ring (power of two, 64 KiB to 1 GiB)");

static int kcap_set_snaplen(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (v > KCAP_SNAPLEN_MAX)
		return -EINVAL;
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops kcap_snaplen_ops = {
	.set = kcap_set_snaplen,
	.get = param_get_uint,
};
module_param_cb(snaplen, &kcap_snaplen_ops, &kcap_default_snaplen, 0644);
MODULE_PARM_DESC(snaplen, "Default bytes of buffer data captured per parameter");

/*
 * At most this many sessions (open files of /dev/kcap) at once; each has
 * its own configuration, rings, probes and counters. 1 gives ABI 2.2's one
 * opener at a time.
 */
static unsigned int kcap_max_sessions = KCAP_SESSIONS_DEFAULT;

static int kcap_set_max_sessions(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (v < 1 || v > KCAP_SESSIONS_MAX)
		return -EINVAL;
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops kcap_max_sessions_ops = {
	.set = kcap_set_max_sessions,
	.get = param_get_uint,
};
module_param_cb(max_sessions, &kcap_max_sessions_ops, &kcap_max_sessions, 0644);
MODULE_PARM_DESC(max_sessions,
		 "Most open files of /dev/kcap at once (1 to " __stringify(KCAP_SESSIONS_MAX) ")");

/*
 * The open sessions, for the sysfs listing. Lock order: kcap_sessions_lock,
 * then a session's lock; nothing takes kcap_sessions_lock under a session's.
 */
static DEFINE_MUTEX(kcap_sessions_lock);
static LIST_HEAD(kcap_sessions);
static unsigned int kcap_nr_sessions;
static u32 kcap_session_seq;

/* Whether an exec syscall is selected, by either ABI (see exec_mark.c). */
static void kcap_set_exec_track(struct kcap_session *s)
{
	s->exec_track = test_bit(__NR_execve, s->exit_bits) ||
			test_bit(__NR_execveat, s->exit_bits);
#ifdef CONFIG_IA32_EMULATION
	s->exec_track |= test_bit(__NR_ia32_execve, s->ia32_bits) ||
			 test_bit(__NR_ia32_execveat, s->ia32_bits);
#endif
}

static int kcap_open(struct inode *inode, struct file *file)
{
	struct kcap_session *s;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	mutex_init(&s->map_lock);
	init_waitqueue_head(&s->wq);
	s->ring_size = READ_ONCE(kcap_default_ring_size);
	s->snaplen = READ_ONCE(kcap_default_snaplen);
	s->watermark = 64 << 10;
	s->reader_tgid = current->tgid;
	s->interest_flags = KCAP_INTEREST_LIFECYCLE;
	bitmap_fill(s->exit_bits, KCAP_SYSCALL_MAX);
	bitmap_fill(s->ia32_bits, KCAP_SYSCALL_MAX);
	kcap_set_exec_track(s);
	s->exec_marks = kvcalloc(KCAP_EXEC_MARKS, sizeof(*s->exec_marks),
				 GFP_KERNEL_ACCOUNT);
	if (!s->exec_marks) {
		kfree(s);
		return -ENOMEM;
	}

	memcpy(s->reader_comm, current->comm, TASK_COMM_LEN);
	s->reader_comm[TASK_COMM_LEN - 1] = '\0';

	mutex_lock(&kcap_sessions_lock);
	if (kcap_nr_sessions >= READ_ONCE(kcap_max_sessions)) {
		mutex_unlock(&kcap_sessions_lock);
		kvfree(s->exec_marks);
		kfree(s);
		return -EBUSY;
	}
	s->id = ++kcap_session_seq;
	list_add_tail(&s->node, &kcap_sessions);
	kcap_nr_sessions++;
	mutex_unlock(&kcap_sessions_lock);

	file->private_data = s;
	return 0;
}

static void kcap_session_stop(struct kcap_session *s)
{
	if (!s->capturing)
		return;
	kcap_probes_unregister(s);
	s->capturing = false;
	wake_up_interruptible(&s->wq);
}

/* Runs when the last reference goes: close and every munmap are done. */
static int kcap_release(struct inode *inode, struct file *file)
{
	struct kcap_session *s = file->private_data;

	/* Out of the listing first: it then never sees a dying session. */
	mutex_lock(&kcap_sessions_lock);
	list_del(&s->node);
	kcap_nr_sessions--;
	mutex_unlock(&kcap_sessions_lock);

	mutex_lock(&s->lock);
	kcap_session_stop(s);
	kcap_rings_free(s);
	mutex_unlock(&s->lock);
	kvfree(s->exec_marks);
	kfree(s);
	return 0;
}

static int kcap_session_start(struct kcap_session *s)
{
	unsigned int cpu;
	int ret;

	if (s->capturing)
		return -EBUSY;
	if (!s->rings) {
		ret = kcap_rings_alloc(s);
		if (ret)
			return ret;
		/* From now until release the rings stay: mmap may map them. */
		mutex_lock(&s->map_lock);
		s->rings_ready = true;
		mutex_unlock(&s->map_lock);
	}
	for_each_possible_cpu(cpu)
		if (s->rings[cpu])
			s->rings[cpu]->watermark = min(s->watermark,
						       s->ring_size / 2);
	/* No probe runs: notes of an earlier capture are void. */
	memset(s->exec_marks, 0, KCAP_EXEC_MARKS * sizeof(*s->exec_marks));
	ret = kcap_probes_register(s);
	if (ret)
		return ret;
	s->capturing = true;
	return 0;
}

static long kcap_set_interest(struct kcap_session *s,
			      const struct kcap_interest *in)
{
	unsigned int i;

	if (in->reserved ||
	    (in->flags & ~(KCAP_INTEREST_LIFECYCLE | KCAP_INTEREST_IA32_ENTER)))
		return -EINVAL;
	if (s->capturing)
		return -EBUSY;
	for (i = 0; i < KCAP_SYSCALL_WORDS; i++) {
		bitmap_from_u64(s->exit_bits + i * (64 / BITS_PER_LONG),
				in->exit_bits[i]);
		bitmap_from_u64(s->enter_bits + i * (64 / BITS_PER_LONG),
				in->enter_bits[i]);
		bitmap_from_u64(s->ia32_bits + i * (64 / BITS_PER_LONG),
				in->ia32_bits[i]);
	}
	s->interest_flags = in->flags;
	s->enter_any = !bitmap_empty(s->enter_bits, KCAP_SYSCALL_MAX) ||
		       (in->flags & KCAP_INTEREST_IA32_ENTER);
	kcap_set_exec_track(s);
	return 0;
}

static long kcap_get_stats(struct kcap_session *s, struct kcap_cpu_stats *st)
{
	u32 cpu = st->cpu;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return -EINVAL;
	/* The index came from user space: no speculation past the check. */
	cpu = array_index_nospec(cpu, nr_cpu_ids);
	memset(st, 0, sizeof(*st));
	st->cpu = cpu;
	st->online = cpu_online(cpu);
	if (s->rings && s->rings[cpu])
		kcap_ring_stats(s->rings[cpu], st);
	else if (s->lost_noring)
		st->drops[KCAP_DROP_OTHER] = READ_ONCE(s->lost_noring[cpu]);
	return 0;
}

/* Every ioctl argument, copied in before and out after the session lock. */
union kcap_ioc_arg {
	struct kcap_version ver;
	struct kcap_config cfg;
	struct kcap_interest in;
	struct kcap_cpu_stats st;
	u64 v64;
	u32 v32;
};

static long kcap_ioctl_locked(struct kcap_session *s, unsigned int cmd,
			      union kcap_ioc_arg *a)
{
	switch (cmd) {
	case KCAP_IOC_GET_VERSION:
		memset(&a->ver, 0, sizeof(a->ver));
		a->ver.major = KCAP_ABI_MAJOR;
		a->ver.minor = KCAP_ABI_MINOR;
		return 0;
	case KCAP_IOC_GET_CONFIG:
		memset(&a->cfg, 0, sizeof(a->cfg));
		a->cfg.ring_size = s->ring_size;
		a->cfg.watermark = s->watermark;
		a->cfg.snaplen = s->snaplen;
		a->cfg.nr_rings = nr_cpu_ids;
		a->cfg.flags = (s->capturing ? KCAP_CFG_CAPTURING : 0) |
			       (s->rings ? KCAP_CFG_RINGS : 0);
		a->cfg.page_size = PAGE_SIZE;
		return 0;
	case KCAP_IOC_SET_RING_SIZE:
		if (!is_power_of_2(a->v64) || a->v64 < KCAP_RING_SIZE_MIN ||
		    a->v64 > KCAP_RING_SIZE_MAX || a->v64 < PAGE_SIZE)
			return -EINVAL;
		/* Rings live until close once allocated. */
		if (s->capturing || s->rings)
			return -EBUSY;
		s->ring_size = a->v64;
		return 0;
	case KCAP_IOC_SET_SNAPLEN:
		if (a->v32 > KCAP_SNAPLEN_MAX)
			return -EINVAL;
		if (s->capturing)
			return -EBUSY;
		s->snaplen = a->v32;
		return 0;
	case KCAP_IOC_SET_WATERMARK:
		if (!a->v64 || a->v64 > KCAP_RING_SIZE_MAX)
			return -EINVAL;
		if (s->capturing)
			return -EBUSY;
		s->watermark = a->v64;
		return 0;
	case KCAP_IOC_SET_INTEREST:
		return kcap_set_interest(s, &a->in);
	case KCAP_IOC_START:
		return kcap_session_start(s);
	case KCAP_IOC_STOP:
		kcap_session_stop(s);
		return 0;
	case KCAP_IOC_GET_STATS:
		return kcap_get_stats(s, &a->st);
	default:
		return -ENOTTY;
	}
}

/*
 * User memory is touched only outside the session lock: kcap_mmap() takes
 * that lock with mmap_lock held, so a fault on an argument taken under it
 * (mmap_lock, then maybe userfaultfd) could deadlock against a concurrent
 * mmap of the device.
 */
static long kcap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kcap_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	union kcap_ioc_arg a;
	size_t size;
	long ret;

	switch (cmd) {
	case KCAP_IOC_GET_VERSION:
	case KCAP_IOC_GET_CONFIG:
	case KCAP_IOC_SET_RING_SIZE:
	case KCAP_IOC_SET_SNAPLEN:
	case KCAP_IOC_SET_WATERMARK:
	case KCAP_IOC_SET_INTEREST:
	case KCAP_IOC_START:
	case KCAP_IOC_STOP:
	case KCAP_IOC_GET_STATS:
		break;
	default:
		return -ENOTTY;
	}
	size = _IOC_SIZE(cmd);
	BUILD_BUG_ON(sizeof(a) < sizeof(struct kcap_interest));
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(&a, uarg, size))
		return -EFAULT;

	mutex_lock(&s->lock);
	ret = kcap_ioctl_locked(s, cmd, &a);
	mutex_unlock(&s->lock);

	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &a, size))
		return -EFAULT;
	return ret;
}

/*
 * mmap layout per CPU (docs/abi.md): the consumer page may be mapped
 * writable (shared); the producer page plus the doubled data only
 * read-only, and never upgradable with mprotect().
 */
static int kcap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kcap_session *s = file->private_data;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 cpu = off >> KCAP_MMAP_CPU_SHIFT;
	u64 within = off & ((1ULL << KCAP_MMAP_CPU_SHIFT) - 1);
	unsigned long size = vma->vm_end - vma->vm_start;
	struct kcap_ring *r;
	int ret = -EINVAL;

	/*
	 * Not the session lock (see map_lock in kcap.h). rings_ready is set
	 * once the array and every online CPU's ring exist, and neither is
	 * freed before release, which waits for every mapping; ring_size is
	 * fixed once rings exist; a CPU coming online publishes its ring with
	 * a release store, read below with READ_ONCE().
	 */
	mutex_lock(&s->map_lock);
	if (!s->rings_ready) {
		ret = -ENODEV;
		goto out;
	}
	if (cpu >= nr_cpu_ids) {
		ret = -ENXIO;
		goto out;
	}
	/* The index came from user space: no speculation past the check. */
	r = READ_ONCE(s->rings[array_index_nospec(cpu, nr_cpu_ids)]);
	if (!r) {
		ret = -ENXIO;
		goto out;
	}
	if (within == 0) {
		if (size != PAGE_SIZE)
			goto out;
		/* A private writable copy would hide the tail from us, and a
		 * private read-only one must not become writable later.
		 */
		if (!(vma->vm_flags & VM_SHARED)) {
			if (vma->vm_flags & VM_WRITE)
				goto out;
			kcap_vma_clear_maywrite(vma);
		}
	} else if (within == PAGE_SIZE) {
		if (size != PAGE_SIZE + 2 * s->ring_size)
			goto out;
		if (vma->vm_flags & VM_WRITE) {
			ret = -EPERM;
			goto out;
		}
		kcap_vma_clear_maywrite(vma);
	} else {
		goto out;
	}
	ret = remap_vmalloc_range(vma, r->area, within >> PAGE_SHIFT);
	if (!ret)
		kcap_vma_set_dontcopy(vma);
out:
	mutex_unlock(&s->map_lock);
	return ret;
}

static __poll_t kcap_poll(struct file *file, struct poll_table_struct *pt)
{
	struct kcap_session *s = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &s->wq, pt);
	mutex_lock(&s->lock);
	if (!s->capturing)
		mask = EPOLLIN | EPOLLRDNORM | EPOLLHUP;
	else if (kcap_rings_readable(s))
		mask = EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&s->lock);
	return mask;
}

static const struct file_operations kcap_fops = {
	.owner = THIS_MODULE,
	.open = kcap_open,
	.release = kcap_release,
	.unlocked_ioctl = kcap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = kcap_mmap,
	.poll = kcap_poll,
	.llseek = noop_llseek,
};

/* "PID COMM" of every session's opener, one per line; "none" if none. */
static ssize_t holder_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct kcap_session *s;
	ssize_t n = 0;

	mutex_lock(&kcap_sessions_lock);
	list_for_each_entry(s, &kcap_sessions, node)
		n += sysfs_emit_at(buf, n, "%d %s\n", s->reader_tgid, s->reader_comm);
	if (!n)
		n = sysfs_emit(buf, "none\n");
	mutex_unlock(&kcap_sessions_lock);
	return n;
}
static DEVICE_ATTR_RO(holder);

/*
 * One line per session: id, opener's pid, state, ring size, snaplen, the
 * sums over its rings of events, bytes and drops by cause (full,
 * full_protected, fault, other), and the opener's comm (docs/abi.md). A page holds
 * KCAP_SESSIONS_MAX such lines.
 */
static ssize_t sessions_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct kcap_cpu_stats st, sum;
	struct kcap_session *s;
	unsigned int cpu, i;
	ssize_t n = 0;

	mutex_lock(&kcap_sessions_lock);
	list_for_each_entry(s, &kcap_sessions, node) {
		memset(&sum, 0, sizeof(sum));
		mutex_lock(&s->lock);
		for_each_possible_cpu(cpu) {
			if (s->rings && s->rings[cpu]) {
				kcap_ring_stats(s->rings[cpu], &st);
				sum.events += st.events;
				sum.bytes += st.bytes;
				for (i = 0; i < KCAP_DROP_NR_SLOTS; i++)
					sum.drops[i] += st.drops[i];
			} else if (s->lost_noring) {
				sum.drops[KCAP_DROP_OTHER] += READ_ONCE(s->lost_noring[cpu]);
			}
		}
		n += sysfs_emit_at(buf, n, "%u %d %s %llu %u %llu %llu",
				   s->id, s->reader_tgid,
				   s->capturing ? "capturing" : (s->rings ? "stopped" : "idle"),
				   s->ring_size, s->snaplen, sum.events, sum.bytes);
		mutex_unlock(&s->lock);
		for (i = 0; i <= KCAP_DROP_OTHER; i++)
			n += sysfs_emit_at(buf, n, " %llu", sum.drops[i]);
		/* Last: a comm may hold spaces. */
		n += sysfs_emit_at(buf, n, " %s\n", s->reader_comm);
		/* A line is at most about 200 bytes: never past the page. */
		if (n > PAGE_SIZE - 256)
			break;
	}
	mutex_unlock(&kcap_sessions_lock);
	return n;
}
static DEVICE_ATTR_RO(sessions);

static struct attribute *kcap_attrs[] = {
	&dev_attr_holder.attr,
	&dev_attr_sessions.attr,
	NULL,
};
ATTRIBUTE_GROUPS(kcap);

static struct miscdevice kcap_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KCAP_DEVICE_NAME,
	.fops = &kcap_fops,
	.groups = kcap_groups,
	.mode = 0600,
};

int kcap_dev_init(void)
{
	return misc_register(&kcap_misc);
}

void kcap_dev_exit(void)
{
	misc_deregister(&kcap_misc);
}
