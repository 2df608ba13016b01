// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Which decoded event a syscall number becomes, for x86_64 and ia32 calls.
 * An ia32 call is mapped only where its arguments mean what the x86_64
 * call's do; the others stay generic events flagged KCAP_EVF_COMPAT.
 */
#include <linux/kernel.h>
#include <asm/unistd.h>
#ifdef CONFIG_IA32_EMULATION
#include <asm/unistd_32_ia32.h>
#endif

#include <kcap/kcap_events.h>

#include "fill.h"

struct kcap_sc_map {
	u16 nr;
	u16 type;
};

#define M(sc, evt) { __NR_##sc, KCAP_EVT_##evt }

static const struct kcap_sc_map kcap_map_x64[] __initconst = {
	M(execve, EXECVE), M(execveat, EXECVEAT), M(clone, CLONE),
	M(clone3, CLONE3), M(fork, FORK), M(vfork, VFORK), M(kill, KILL),
	M(tkill, TKILL), M(tgkill, TGKILL), M(ptrace, PTRACE),
	M(prctl, PRCTL), M(setuid, SETUID), M(setgid, SETGID),
	M(setreuid, SETREUID), M(setregid, SETREGID),
	M(setresuid, SETRESUID), M(setresgid, SETRESGID),
	M(capset, CAPSET), M(setns, SETNS), M(unshare, UNSHARE),
	M(chroot, CHROOT), M(open, OPEN), M(openat, OPENAT),
	M(openat2, OPENAT2), M(creat, CREAT), M(close, CLOSE),
	M(read, READ), M(write, WRITE), M(pread64, PREAD64),
	M(pwrite64, PWRITE64), M(readv, READV), M(writev, WRITEV),
	M(unlink, UNLINK), M(unlinkat, UNLINKAT), M(rename, RENAME),
	M(renameat, RENAMEAT), M(renameat2, RENAMEAT2), M(mkdir, MKDIR),
	M(mkdirat, MKDIRAT), M(rmdir, RMDIR), M(link, LINK),
	M(linkat, LINKAT), M(symlink, SYMLINK), M(symlinkat, SYMLINKAT),
	M(chmod, CHMOD), M(fchmod, FCHMOD), M(fchmodat, FCHMODAT),
	M(chown, CHOWN), M(fchown, FCHOWN), M(fchownat, FCHOWNAT),
	M(lchown, LCHOWN), M(truncate, TRUNCATE), M(ftruncate, FTRUNCATE),
	M(dup, DUP), M(dup2, DUP2), M(dup3, DUP3), M(fcntl, FCNTL),
	M(mount, MOUNT), M(umount2, UMOUNT2),
	M(memfd_create, MEMFD_CREATE), M(mmap, MMAP),
	M(mprotect, MPROTECT), M(chdir, CHDIR), M(fchdir, FCHDIR),
	M(socket, SOCKET), M(connect, CONNECT), M(accept, ACCEPT),
	M(accept4, ACCEPT4), M(bind, BIND), M(listen, LISTEN),
	M(sendto, SENDTO), M(recvfrom, RECVFROM), M(sendmsg, SENDMSG),
	M(recvmsg, RECVMSG), M(shutdown, SHUTDOWN),
	M(socketpair, SOCKETPAIR), M(init_module, INIT_MODULE),
	M(finit_module, FINIT_MODULE), M(delete_module, DELETE_MODULE),
	M(bpf, BPF), M(perf_event_open, PERF_EVENT_OPEN), M(ioctl, IOCTL),
	M(kexec_load, KEXEC_LOAD), M(userfaultfd, USERFAULTFD),
};
#undef M

#ifdef CONFIG_IA32_EMULATION
#define M(sc, evt) { __NR_ia32_##sc, KCAP_EVT_##evt }
/* Same argument layout as x86_64 (the 32-bit uid calls are the *32 ones;
 * mmap, pread64/pwrite64 and truncate64 differ and stay generic).
 */
static const struct kcap_sc_map kcap_map_ia32[] __initconst = {
	M(execve, EXECVE), M(execveat, EXECVEAT), M(clone3, CLONE3),
	M(fork, FORK), M(vfork, VFORK), M(kill, KILL), M(tkill, TKILL),
	M(tgkill, TGKILL), M(ptrace, PTRACE), M(prctl, PRCTL),
	M(setuid32, SETUID), M(setgid32, SETGID), M(setreuid32, SETREUID),
	M(setregid32, SETREGID), M(setresuid32, SETRESUID),
	M(setresgid32, SETRESGID), M(capset, CAPSET), M(setns, SETNS),
	M(unshare, UNSHARE), M(chroot, CHROOT), M(open, OPEN),
	M(openat, OPENAT), M(openat2, OPENAT2), M(creat, CREAT),
	M(close, CLOSE), M(read, READ), M(write, WRITE), M(readv, READV),
	M(writev, WRITEV), M(unlink, UNLINK), M(unlinkat, UNLINKAT),
	M(rename, RENAME), M(renameat, RENAMEAT), M(renameat2, RENAMEAT2),
	M(mkdir, MKDIR), M(mkdirat, MKDIRAT), M(rmdir, RMDIR),
	M(link, LINK), M(linkat, LINKAT), M(symlink, SYMLINK),
	M(symlinkat, SYMLINKAT), M(chmod, CHMOD), M(fchmod, FCHMOD),
	M(fchmodat, FCHMODAT), M(chown32, CHOWN), M(fchown32, FCHOWN),
	M(fchownat, FCHOWNAT), M(lchown32, LCHOWN), M(dup, DUP),
	M(dup2, DUP2), M(dup3, DUP3), M(fcntl, FCNTL), M(fcntl64, FCNTL),
	M(mount, MOUNT), M(umount2, UMOUNT2),
	M(memfd_create, MEMFD_CREATE), M(mprotect, MPROTECT),
	M(chdir, CHDIR), M(fchdir, FCHDIR), M(socket, SOCKET),
	M(connect, CONNECT), M(accept4, ACCEPT4), M(bind, BIND),
	M(listen, LISTEN), M(sendto, SENDTO), M(recvfrom, RECVFROM),
	M(sendmsg, SENDMSG), M(recvmsg, RECVMSG), M(shutdown, SHUTDOWN),
	M(socketpair, SOCKETPAIR), M(init_module, INIT_MODULE),
	M(finit_module, FINIT_MODULE), M(delete_module, DELETE_MODULE),
	M(bpf, BPF), M(perf_event_open, PERF_EVENT_OPEN), M(ioctl, IOCTL),
	M(kexec_load, KEXEC_LOAD), M(userfaultfd, USERFAULTFD),
};
#undef M
#endif

/* Lookup tables indexed by syscall number, filled once at init. */
u8 kcap_type_x64[KCAP_SYSCALL_MAX] __read_mostly;
u8 kcap_type_ia32[KCAP_SYSCALL_MAX] __read_mostly;

/* Types fit in a byte (KCAP_EVT_NR < 256), keeping the tables small. */
static_assert(KCAP_EVT_NR <= 256);

void __init kcap_syscall_map_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kcap_map_x64); i++)
		if (kcap_map_x64[i].nr < KCAP_SYSCALL_MAX)
			kcap_type_x64[kcap_map_x64[i].nr] = kcap_map_x64[i].type;
#ifdef CONFIG_IA32_EMULATION
	for (i = 0; i < ARRAY_SIZE(kcap_map_ia32); i++)
		if (kcap_map_ia32[i].nr < KCAP_SYSCALL_MAX)
			kcap_type_ia32[kcap_map_ia32[i].nr] =
				kcap_map_ia32[i].type;
#endif
}
