/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Shims over kernel API differences. Each KCAP_HAS_* macro comes from a
 * compile-time feature probe in driver/features/ (see Kbuild), never from a
 * kernel version comparison, so distro backports are handled too.
 */
#ifndef _KCAP_COMPAT_H
#define _KCAP_COMPAT_H

#include <linux/mm.h>
#include <linux/thread_info.h>

/*
 * The current syscall is emulated by a ptrace tracer (PTRACE_SYSEMU:
 * gVisor's ptrace platform, User-Mode Linux): the kernel skipped it at
 * entry, sys_enter did not fire, but sys_exit does, with the tracee's
 * registers and the tracer's answer. The flag is read at exit: a tracer
 * that switches between PTRACE_SYSEMU and another request at a syscall's
 * entry stop makes that one syscall's answer wrong (documented in abi.md).
 */
static __always_inline bool kcap_syscall_emulated(void)
{
#if defined(KCAP_HAS_SYSCALL_WORK)
	return test_syscall_work(SYSCALL_EMU);
#elif defined(TIF_SYSCALL_EMU)
	return test_thread_flag(TIF_SYSCALL_EMU);
#else
	return false;
#endif
}

static inline void kcap_vma_clear_maywrite(struct vm_area_struct *vma)
{
#ifdef KCAP_HAS_VM_FLAGS_SET
	vm_flags_clear(vma, VM_MAYWRITE);	/* 6.3+: vm_flags is read-only */
#else
	vma->vm_flags &= ~VM_MAYWRITE;
#endif
}

/*
 * A forked child of the reader does not inherit the ring mappings. VM_IO
 * keeps it so: madvise(MADV_DOFORK) refuses VM_IO areas (and no
 * get_user_pages() pins ring pages behind the driver's back).
 */
static inline void kcap_vma_set_dontcopy(struct vm_area_struct *vma)
{
#ifdef KCAP_HAS_VM_FLAGS_SET
	vm_flags_set(vma, VM_DONTCOPY | VM_IO);
#else
	vma->vm_flags |= VM_DONTCOPY | VM_IO;
#endif
}

/*
 * A local the code writes in full before reading: not zeroed on entry by
 * CONFIG_INIT_STACK_ALL_ZERO (in the probes, on every selected syscall).
 * Compilers without the attribute zero it as before.
 */
#if defined(__has_attribute)
#if __has_attribute(__uninitialized__)
#define kcap_noinit __attribute__((__uninitialized__))
#endif
#endif
#ifndef kcap_noinit
#define kcap_noinit
#endif

#endif /* _KCAP_COMPAT_H */
