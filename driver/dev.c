// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * /dev/kcap: a misc device with one opener at a time, the ioctls that
 * configure and start a capture, mmap of the rings, poll().
 */
#include <linux/miscdevice.h>
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

#include "kcap.h"
#include "compat.h"

/* The open session, and who holds it (for the sysfs "holder" file). */
static DEFINE_MUTEX(kcap_holder_lock);
static struct kcap_session *kcap_holder;
static pid_t kcap_holder_pid;
static char kcap_holder_comm[TASK_COMM_LEN];

static int kcap_open(struct inode *inode, struct file *file)
{
	struct kcap_session *s;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	init_waitqueue_head(&s->wq);
	s->ring_size = READ_ONCE(kcap_default_ring_size);
	s->snaplen = READ_ONCE(kcap_default_snaplen);
	s->watermark = 64 << 10;
	s->reader_tgid = current->tgid;
	s->interest_flags = KCAP_INTEREST_LIFECYCLE;
	bitmap_fill(s->exit_bits, KCAP_SYSCALL_MAX);
	bitmap_fill(s->ia32_bits, KCAP_SYSCALL_MAX);

	mutex_lock(&kcap_holder_lock);
	if (kcap_holder) {
		mutex_unlock(&kcap_holder_lock);
		kfree(s);
		return -EBUSY;
	}
	kcap_holder = s;
	kcap_holder_pid = current->tgid;
	memcpy(kcap_holder_comm, current->comm, TASK_COMM_LEN);
	kcap_holder_comm[TASK_COMM_LEN - 1] = '\0';
	mutex_unlock(&kcap_holder_lock);

	file->private_data = s;
	return 0;
}

static void kcap_stop(struct kcap_session *s)
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

	mutex_lock(&s->lock);
	kcap_stop(s);
	kcap_rings_free(s);
	mutex_unlock(&s->lock);

	mutex_lock(&kcap_holder_lock);
	kcap_holder = NULL;
	mutex_unlock(&kcap_holder_lock);
	kfree(s);
	return 0;
}

static int kcap_start(struct kcap_session *s)
{
	unsigned int cpu;
	int ret;

	if (s->capturing)
		return -EBUSY;
	if (!s->rings) {
		ret = kcap_rings_alloc(s);
		if (ret)
			return ret;
	}
	for_each_possible_cpu(cpu)
		s->rings[cpu]->watermark = min(s->watermark, s->ring_size / 2);
	ret = kcap_probes_register(s);
	if (ret)
		return ret;
	s->capturing = true;
	return 0;
}

static long kcap_set_interest(struct kcap_session *s, void __user *arg)
{
	struct kcap_interest in;
	unsigned int i;

	if (copy_from_user(&in, arg, sizeof(in)))
		return -EFAULT;
	if (in.reserved || (in.flags & ~KCAP_INTEREST_LIFECYCLE))
		return -EINVAL;
	if (s->capturing)
		return -EBUSY;
	for (i = 0; i < KCAP_SYSCALL_WORDS; i++) {
		bitmap_from_u64(s->exit_bits + i * (64 / BITS_PER_LONG),
				in.exit_bits[i]);
		bitmap_from_u64(s->enter_bits + i * (64 / BITS_PER_LONG),
				in.enter_bits[i]);
		bitmap_from_u64(s->ia32_bits + i * (64 / BITS_PER_LONG),
				in.ia32_bits[i]);
	}
	s->enter_any = !bitmap_empty(s->enter_bits, KCAP_SYSCALL_MAX);
	s->interest_flags = in.flags;
	return 0;
}

static long kcap_get_stats(struct kcap_session *s, void __user *arg)
{
	struct kcap_cpu_stats st;
	u32 cpu;

	if (get_user(cpu, (u32 __user *)arg))
		return -EFAULT;
	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	st.cpu = cpu;
	st.online = cpu_online(cpu);
	if (s->rings)
		kcap_ring_stats(s->rings[cpu], &st);
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long kcap_ioctl_locked(struct kcap_session *s, unsigned int cmd,
			      void __user *arg)
{
	struct kcap_version ver = {
		.major = KCAP_ABI_MAJOR,
		.minor = KCAP_ABI_MINOR,
	};
	struct kcap_config cfg;
	u64 v64;
	u32 v32;

	switch (cmd) {
	case KCAP_IOC_GET_VERSION:
		return copy_to_user(arg, &ver, sizeof(ver)) ? -EFAULT : 0;
	case KCAP_IOC_GET_CONFIG:
		memset(&cfg, 0, sizeof(cfg));
		cfg.ring_size = s->ring_size;
		cfg.watermark = s->watermark;
		cfg.snaplen = s->snaplen;
		cfg.nr_rings = nr_cpu_ids;
		cfg.flags = (s->capturing ? KCAP_CFG_CAPTURING : 0) |
			    (s->rings ? KCAP_CFG_RINGS : 0);
		cfg.page_size = PAGE_SIZE;
		return copy_to_user(arg, &cfg, sizeof(cfg)) ? -EFAULT : 0;
	case KCAP_IOC_SET_RING_SIZE:
		if (get_user(v64, (u64 __user *)arg))
			return -EFAULT;
		if (!is_power_of_2(v64) || v64 < KCAP_RING_SIZE_MIN ||
		    v64 > KCAP_RING_SIZE_MAX || v64 < PAGE_SIZE)
			return -EINVAL;
		/* Rings live until close once allocated. */
		if (s->capturing || s->rings)
			return -EBUSY;
		s->ring_size = v64;
		return 0;
	case KCAP_IOC_SET_SNAPLEN:
		if (get_user(v32, (u32 __user *)arg))
			return -EFAULT;
		if (v32 > KCAP_SNAPLEN_MAX)
			return -EINVAL;
		if (s->capturing)
			return -EBUSY;
		s->snaplen = v32;
		return 0;
	case KCAP_IOC_SET_WATERMARK:
		if (get_user(v64, (u64 __user *)arg))
			return -EFAULT;
		if (!v64 || v64 > KCAP_RING_SIZE_MAX)
			return -EINVAL;
		if (s->capturing)
			return -EBUSY;
		s->watermark = v64;
		return 0;
	case KCAP_IOC_SET_INTEREST:
		return kcap_set_interest(s, arg);
	case KCAP_IOC_START:
		return kcap_start(s);
	case KCAP_IOC_STOP:
		kcap_stop(s);
		return 0;
	case KCAP_IOC_GET_STATS:
		return kcap_get_stats(s, arg);
	default:
		return -ENOTTY;
	}
}

static long kcap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kcap_session *s = file->private_data;
	long ret;

	mutex_lock(&s->lock);
	ret = kcap_ioctl_locked(s, cmd, (void __user *)arg);
	mutex_unlock(&s->lock);
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

	mutex_lock(&s->lock);
	if (!s->rings) {
		ret = -ENODEV;
		goto out;
	}
	if (cpu >= nr_cpu_ids || !s->rings[cpu]) {
		ret = -ENXIO;
		goto out;
	}
	r = s->rings[cpu];
	if (within == 0) {
		if (size != PAGE_SIZE)
			goto out;
		/* A private writable copy would hide the tail from us. */
		if ((vma->vm_flags & VM_WRITE) && !(vma->vm_flags & VM_SHARED))
			goto out;
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
	mutex_unlock(&s->lock);
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

static ssize_t holder_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	ssize_t n;

	mutex_lock(&kcap_holder_lock);
	if (kcap_holder)
		n = sysfs_emit(buf, "%d %s\n", kcap_holder_pid, kcap_holder_comm);
	else
		n = sysfs_emit(buf, "none\n");
	mutex_unlock(&kcap_holder_lock);
	return n;
}
static DEVICE_ATTR_RO(holder);

static struct attribute *kcap_attrs[] = {
	&dev_attr_holder.attr,
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
