// SPDX-License-Identifier: Apache-2.0
/*
 * Symbolic names of flag and enum arguments of decoded syscalls (open
 * flags, mmap prot and flags, clone flags, socket domain and type, ...).
 * Values are the kernel's x86 ones, written out: glibc hides some of them
 * (O_LARGEFILE is 0 in 64-bit user space) and the events may come from
 * another machine.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "format.h"

#define N(v, n) { (v), (n) }
#define END { 0, NULL }

/* Composite values first: a name is used when all of its bits are set. */
static const struct kcap__name open_flags[] = {
	N(04010000, "O_SYNC"),	     N(020200000, "O_TMPFILE"),	 N(0100, "O_CREAT"),
	N(0200, "O_EXCL"),	     N(0400, "O_NOCTTY"),	 N(01000, "O_TRUNC"),
	N(02000, "O_APPEND"),	     N(04000, "O_NONBLOCK"),	 N(010000, "O_DSYNC"),
	N(020000, "O_ASYNC"),	     N(040000, "O_DIRECT"),	 N(0100000, "O_LARGEFILE"),
	N(0200000, "O_DIRECTORY"),   N(0400000, "O_NOFOLLOW"),	 N(01000000, "O_NOATIME"),
	N(02000000, "O_CLOEXEC"),    N(010000000, "O_PATH"),	 END,
};

static const struct kcap__name at_flags[] = {
	N(0x100, "AT_SYMLINK_NOFOLLOW"), N(0x200, "AT_REMOVEDIR"), N(0x400, "AT_SYMLINK_FOLLOW"),
	N(0x800, "AT_NO_AUTOMOUNT"),	 N(0x1000, "AT_EMPTY_PATH"), END,
};

static const struct kcap__name rename_flags[] = {
	N(1, "RENAME_NOREPLACE"), N(2, "RENAME_EXCHANGE"), N(4, "RENAME_WHITEOUT"), END,
};

static const struct kcap__name prot_flags[] = {
	N(1, "PROT_READ"),		 N(2, "PROT_WRITE"),	      N(4, "PROT_EXEC"),
	N(8, "PROT_SEM"),		 N(0x01000000, "PROT_GROWSDOWN"), N(0x02000000, "PROT_GROWSUP"),
	END,
};

static const struct kcap__name map_types[] = {
	N(1, "MAP_SHARED"), N(2, "MAP_PRIVATE"), N(3, "MAP_SHARED_VALIDATE"), END,
};

static const struct kcap__name map_flags[] = {
	N(0x10, "MAP_FIXED"),	      N(0x20, "MAP_ANONYMOUS"),	   N(0x40, "MAP_32BIT"),
	N(0x100, "MAP_GROWSDOWN"),    N(0x800, "MAP_DENYWRITE"),   N(0x1000, "MAP_EXECUTABLE"),
	N(0x2000, "MAP_LOCKED"),      N(0x4000, "MAP_NORESERVE"),  N(0x8000, "MAP_POPULATE"),
	N(0x10000, "MAP_NONBLOCK"),   N(0x20000, "MAP_STACK"),	   N(0x40000, "MAP_HUGETLB"),
	N(0x80000, "MAP_SYNC"),	      N(0x100000, "MAP_FIXED_NOREPLACE"), END,
};

/* Namespace and clone flags; CLONE_NEWTIME (0x80) only outside clone(),
 * whose low byte is the exit signal. */
static const struct kcap__name clone_flags[] = {
	N(0x100, "CLONE_VM"),
	N(0x200, "CLONE_FS"),
	N(0x400, "CLONE_FILES"),
	N(0x800, "CLONE_SIGHAND"),
	N(0x1000, "CLONE_PIDFD"),
	N(0x2000, "CLONE_PTRACE"),
	N(0x4000, "CLONE_VFORK"),
	N(0x8000, "CLONE_PARENT"),
	N(0x10000, "CLONE_THREAD"),
	N(0x20000, "CLONE_NEWNS"),
	N(0x40000, "CLONE_SYSVSEM"),
	N(0x80000, "CLONE_SETTLS"),
	N(0x100000, "CLONE_PARENT_SETTID"),
	N(0x200000, "CLONE_CHILD_CLEARTID"),
	N(0x400000, "CLONE_DETACHED"),
	N(0x800000, "CLONE_UNTRACED"),
	N(0x1000000, "CLONE_CHILD_SETTID"),
	N(0x2000000, "CLONE_NEWCGROUP"),
	N(0x4000000, "CLONE_NEWUTS"),
	N(0x8000000, "CLONE_NEWIPC"),
	N(0x10000000, "CLONE_NEWUSER"),
	N(0x20000000, "CLONE_NEWPID"),
	N(0x40000000, "CLONE_NEWNET"),
	N(0x80000000ULL, "CLONE_IO"),
	N(0x100000000ULL, "CLONE_CLEAR_SIGHAND"),
	N(0x200000000ULL, "CLONE_INTO_CGROUP"),
	END,
};

static const struct kcap__name ns_flags[] = { N(0x80, "CLONE_NEWTIME"), END };

static const struct kcap__name families[] = {
	N(0, "AF_UNSPEC"),	N(1, "AF_UNIX"),     N(2, "AF_INET"),	   N(3, "AF_AX25"),
	N(4, "AF_IPX"),		N(5, "AF_APPLETALK"), N(10, "AF_INET6"),   N(15, "AF_KEY"),
	N(16, "AF_NETLINK"),	N(17, "AF_PACKET"),  N(31, "AF_BLUETOOTH"), N(38, "AF_ALG"),
	N(40, "AF_VSOCK"),	N(44, "AF_XDP"),     END,
};

static const struct kcap__name sock_types[] = {
	N(1, "SOCK_STREAM"), N(2, "SOCK_DGRAM"),	 N(3, "SOCK_RAW"),    N(4, "SOCK_RDM"),
	N(5, "SOCK_SEQPACKET"), N(6, "SOCK_DCCP"), N(10, "SOCK_PACKET"), END,
};

static const struct kcap__name sock_flags[] = {
	N(04000, "SOCK_NONBLOCK"), N(02000000, "SOCK_CLOEXEC"), END,
};

static const struct kcap__name msg_flags[] = {
	N(1, "MSG_OOB"),	  N(2, "MSG_PEEK"),	   N(4, "MSG_DONTROUTE"),
	N(8, "MSG_CTRUNC"),	  N(0x20, "MSG_TRUNC"),	   N(0x40, "MSG_DONTWAIT"),
	N(0x80, "MSG_EOR"),	  N(0x100, "MSG_WAITALL"), N(0x4000, "MSG_NOSIGNAL"),
	N(0x8000, "MSG_MORE"),	  N(0x40000000, "MSG_CMSG_CLOEXEC"), END,
};

static const struct kcap__name mfd_flags[] = {
	N(1, "MFD_CLOEXEC"), N(2, "MFD_ALLOW_SEALING"), N(4, "MFD_HUGETLB"),
	N(8, "MFD_NOEXEC_SEAL"), N(0x10, "MFD_EXEC"), END,
};

static const struct kcap__name fcntl_cmds[] = {
	N(0, "F_DUPFD"),	  N(1, "F_GETFD"),	     N(2, "F_SETFD"),
	N(3, "F_GETFL"),	  N(4, "F_SETFL"),	     N(5, "F_GETLK"),
	N(6, "F_SETLK"),	  N(7, "F_SETLKW"),	     N(8, "F_SETOWN"),
	N(9, "F_GETOWN"),	  N(10, "F_SETSIG"),	     N(11, "F_GETSIG"),
	N(12, "F_GETLK64"),	  N(13, "F_SETLK64"),	     N(14, "F_SETLKW64"),
	N(36, "F_OFD_GETLK"),	  N(37, "F_OFD_SETLK"),	     N(38, "F_OFD_SETLKW"),
	N(1024, "F_SETLEASE"),	  N(1025, "F_GETLEASE"),     N(1026, "F_NOTIFY"),
	N(1030, "F_DUPFD_CLOEXEC"), N(1031, "F_SETPIPE_SZ"), N(1032, "F_GETPIPE_SZ"),
	N(1033, "F_ADD_SEALS"),	  N(1034, "F_GET_SEALS"),    END,
};

static const struct kcap__name ptrace_reqs[] = {
	N(0, "PTRACE_TRACEME"),	   N(1, "PTRACE_PEEKTEXT"),	N(2, "PTRACE_PEEKDATA"),
	N(3, "PTRACE_PEEKUSR"),	   N(4, "PTRACE_POKETEXT"),	N(5, "PTRACE_POKEDATA"),
	N(6, "PTRACE_POKEUSR"),	   N(7, "PTRACE_CONT"),		N(8, "PTRACE_KILL"),
	N(9, "PTRACE_SINGLESTEP"), N(12, "PTRACE_GETREGS"),	N(13, "PTRACE_SETREGS"),
	N(14, "PTRACE_GETFPREGS"), N(15, "PTRACE_SETFPREGS"),	N(16, "PTRACE_ATTACH"),
	N(17, "PTRACE_DETACH"),	   N(18, "PTRACE_GETFPXREGS"),	N(19, "PTRACE_SETFPXREGS"),
	N(24, "PTRACE_SYSCALL"),   N(0x4200, "PTRACE_SETOPTIONS"), N(0x4201, "PTRACE_GETEVENTMSG"),
	N(0x4202, "PTRACE_GETSIGINFO"), N(0x4203, "PTRACE_SETSIGINFO"),
	N(0x4204, "PTRACE_GETREGSET"), N(0x4205, "PTRACE_SETREGSET"), N(0x4206, "PTRACE_SEIZE"),
	N(0x4207, "PTRACE_INTERRUPT"), N(0x4208, "PTRACE_LISTEN"), N(0x4209, "PTRACE_PEEKSIGINFO"),
	N(0x420a, "PTRACE_GETSIGMASK"), N(0x420b, "PTRACE_SETSIGMASK"),
	N(0x420c, "PTRACE_SECCOMP_GET_FILTER"), N(0x420d, "PTRACE_SECCOMP_GET_METADATA"),
	N(0x420e, "PTRACE_GET_SYSCALL_INFO"), N(0x420f, "PTRACE_GET_RSEQ_CONFIGURATION"),
	END,
};

/* Mode bits, highest first (Falco's PT_MODE names). */
static const struct kcap__name mode_bits[] = {
	N(04000, "S_ISUID"), N(02000, "S_ISGID"), N(01000, "S_ISVTX"), N(0400, "S_IRUSR"),
	N(0200, "S_IWUSR"),  N(0100, "S_IXUSR"),  N(040, "S_IRGRP"),   N(020, "S_IWGRP"),
	N(010, "S_IXGRP"),   N(04, "S_IROTH"),	  N(02, "S_IWOTH"),    N(01, "S_IXOTH"),
	END,
};

static const struct kcap__name prctl_opts[] = {
	N(1, "PR_SET_PDEATHSIG"),  N(2, "PR_GET_PDEATHSIG"), N(3, "PR_GET_DUMPABLE"),
	N(4, "PR_SET_DUMPABLE"),   N(7, "PR_GET_KEEPCAPS"),  N(8, "PR_SET_KEEPCAPS"),
	N(15, "PR_SET_NAME"),	   N(16, "PR_GET_NAME"),     N(21, "PR_GET_SECCOMP"),
	N(22, "PR_SET_SECCOMP"),   N(23, "PR_CAPBSET_READ"), N(24, "PR_CAPBSET_DROP"),
	N(35, "PR_SET_MM"),	   N(36, "PR_SET_CHILD_SUBREAPER"),
	N(38, "PR_SET_NO_NEW_PRIVS"), N(39, "PR_GET_NO_NEW_PRIVS"), N(47, "PR_CAP_AMBIENT"),
	END,
};

static const struct kcap__name shut_how[] = {
	N(0, "SHUT_RD"), N(1, "SHUT_WR"), N(2, "SHUT_RDWR"), END,
};

static const struct kcap__name fd_flags[] = { N(02000000, "O_CLOEXEC"), END };

const char *kcap__name_of(const struct kcap__name *t, __u64 v)
{
	for (; t && t->name; t++)
		if (t->value == v)
			return t->name;
	return NULL;
}

static void put_bits(struct kcap__out *o, const struct kcap__name *t, __u64 *v, bool *any)
{
	for (; t->name; t++) {
		if ((*v & t->value) == t->value) {
			if (*any)
				kcap__put_char(o, '|');
			kcap__put_str(o, t->name);
			*any = true;
			*v &= ~t->value;
		}
	}
}

static void put_rest(struct kcap__out *o, __u64 v, bool any)
{
	if (v || !any) {
		kcap__put_str(o, any ? "|0x" : "0x");
		kcap__put_hex(o, v);
	}
}

static void put_signal(struct kcap__out *o, __u64 v)
{
	const char *abbrev = v && v < 128 ? sigabbrev_np((int)v) : NULL;

	if (abbrev) {
		kcap__put_str(o, "SIG");
		kcap__put_str(o, abbrev);
	} else {
		kcap__put_u64(o, v);
	}
}

/* A value decoded as "A|B" from an enum part (@mask of @enums) and bits. */
static void put_enum_bits(struct kcap__out *o, __u64 v, __u64 mask, const struct kcap__name *enums,
			  const struct kcap__name *bits)
{
	const char *e = kcap__name_of(enums, v & mask);
	bool any = false;

	if (e) {
		kcap__put_str(o, e);
		any = true;
		v &= ~mask;
	}
	if (bits)
		put_bits(o, bits, &v, &any);
	put_rest(o, v, any);
}

static void put_sym(struct kcap__out *o, enum kcap__sym sym, __u64 v)
{
	const char *n;
	bool any = false;
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", NULL };

	switch (sym) {
	case KCAP__SYM_OPEN_FLAGS:
		if (acc[v & 3]) {
			kcap__put_str(o, acc[v & 3]);
			any = true;
			v &= ~3ULL;
		}
		put_bits(o, open_flags, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_FD_FLAGS:
		put_bits(o, fd_flags, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_DIRFD:
		if ((__s64)v == -100)
			kcap__put_str(o, "AT_FDCWD");
		else
			kcap__put_s64(o, (__s64)v);
		return;
	case KCAP__SYM_AT_FLAGS:
		put_bits(o, at_flags, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_RENAME_FLAGS:
		put_bits(o, rename_flags, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_PROT:
		if (!v) {
			kcap__put_str(o, "PROT_NONE");
			return;
		}
		put_bits(o, prot_flags, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_MAP_FLAGS:
		put_enum_bits(o, v, 0xf, map_types, map_flags);
		return;
	case KCAP__SYM_CLONE_FLAGS:
		put_bits(o, clone_flags, &v, &any);
		if (v & 0xff) {
			if (any)
				kcap__put_char(o, '|');
			put_signal(o, v & 0xff);
			any = true;
			v &= ~0xffULL;
		}
		put_rest(o, v, any);
		return;
	case KCAP__SYM_NS_FLAGS:
		put_bits(o, clone_flags, &v, &any);
		put_bits(o, ns_flags, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_FAMILY:
		n = kcap__name_of(families, v);
		if (n)
			kcap__put_str(o, n);
		else
			kcap__put_u64(o, v);
		return;
	case KCAP__SYM_SOCK_TYPE:
		put_enum_bits(o, v, 0xf, sock_types, sock_flags);
		return;
	case KCAP__SYM_SOCK_FLAGS:
		put_bits(o, sock_flags, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_MSG_FLAGS:
		put_bits(o, msg_flags, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_MFD_FLAGS:
		put_bits(o, mfd_flags, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_SIGNAL:
		put_signal(o, v);
		return;
	case KCAP__SYM_FCNTL_CMD:
		put_enum_bits(o, v, ~0ULL, fcntl_cmds, NULL);
		return;
	case KCAP__SYM_PRCTL_OPT:
		put_enum_bits(o, v, ~0ULL, prctl_opts, NULL);
		return;
	case KCAP__SYM_SHUT_HOW:
		put_enum_bits(o, v, ~0ULL, shut_how, NULL);
		return;
	case KCAP__SYM_PTRACE_REQ:
		put_enum_bits(o, v, ~0ULL, ptrace_reqs, NULL);
		return;
	case KCAP__SYM_MODE:
		put_bits(o, mode_bits, &v, &any);
		put_rest(o, v, any);
		return;
	case KCAP__SYM_NONE:
	case KCAP__SYM_INT_PAIR:
		break;
	}
	kcap__put_u64(o, v);
}

/* Which parameters get a symbolic decoding. type 0: any event type. */
static const struct {
	__u16 type;
	const char *param;
	enum kcap__sym sym;
} rules[] = {
	{ 0, "dirfd", KCAP__SYM_DIRFD },
	{ 0, "olddirfd", KCAP__SYM_DIRFD },
	{ 0, "newdirfd", KCAP__SYM_DIRFD },
	{ KCAP_EVT_OPEN, "flags", KCAP__SYM_OPEN_FLAGS },
	{ KCAP_EVT_OPENAT, "flags", KCAP__SYM_OPEN_FLAGS },
	{ KCAP_EVT_OPENAT2, "flags", KCAP__SYM_OPEN_FLAGS },
	{ KCAP_EVT_DUP3, "flags", KCAP__SYM_FD_FLAGS },
	{ KCAP_EVT_UNLINKAT, "flags", KCAP__SYM_AT_FLAGS },
	{ KCAP_EVT_LINKAT, "flags", KCAP__SYM_AT_FLAGS },
	{ KCAP_EVT_FCHOWNAT, "flags", KCAP__SYM_AT_FLAGS },
	{ KCAP_EVT_EXECVEAT, "flags", KCAP__SYM_AT_FLAGS },
	{ KCAP_EVT_RENAMEAT2, "flags", KCAP__SYM_RENAME_FLAGS },
	{ KCAP_EVT_MMAP, "prot", KCAP__SYM_PROT },
	{ KCAP_EVT_MPROTECT, "prot", KCAP__SYM_PROT },
	{ KCAP_EVT_MMAP, "flags", KCAP__SYM_MAP_FLAGS },
	{ KCAP_EVT_CLONE, "flags", KCAP__SYM_CLONE_FLAGS },
	{ KCAP_EVT_CLONE3, "flags", KCAP__SYM_NS_FLAGS },
	{ KCAP_EVT_UNSHARE, "flags", KCAP__SYM_NS_FLAGS },
	{ KCAP_EVT_SETNS, "nstype", KCAP__SYM_NS_FLAGS },
	{ KCAP_EVT_SOCKET, "domain", KCAP__SYM_FAMILY },
	{ KCAP_EVT_SOCKETPAIR, "domain", KCAP__SYM_FAMILY },
	{ KCAP_EVT_SOCKET, "type", KCAP__SYM_SOCK_TYPE },
	{ KCAP_EVT_SOCKETPAIR, "type", KCAP__SYM_SOCK_TYPE },
	{ KCAP_EVT_SOCKETPAIR, "fds", KCAP__SYM_INT_PAIR },
	{ KCAP_EVT_ACCEPT4, "flags", KCAP__SYM_SOCK_FLAGS },
	{ KCAP_EVT_SENDTO, "flags", KCAP__SYM_MSG_FLAGS },
	{ KCAP_EVT_RECVFROM, "flags", KCAP__SYM_MSG_FLAGS },
	{ KCAP_EVT_SENDMSG, "flags", KCAP__SYM_MSG_FLAGS },
	{ KCAP_EVT_RECVMSG, "flags", KCAP__SYM_MSG_FLAGS },
	{ KCAP_EVT_MEMFD_CREATE, "flags", KCAP__SYM_MFD_FLAGS },
	{ KCAP_EVT_KILL, "sig", KCAP__SYM_SIGNAL },
	{ KCAP_EVT_TKILL, "sig", KCAP__SYM_SIGNAL },
	{ KCAP_EVT_TGKILL, "sig", KCAP__SYM_SIGNAL },
	{ KCAP_EVT_FCNTL, "cmd", KCAP__SYM_FCNTL_CMD },
	{ KCAP_EVT_PRCTL, "option", KCAP__SYM_PRCTL_OPT },
	{ KCAP_EVT_SHUTDOWN, "how", KCAP__SYM_SHUT_HOW },
	{ KCAP_EVT_PTRACE, "request", KCAP__SYM_PTRACE_REQ },
};

const char *const kcap__pnames[KP_NR] = {
	[KP_FD] = "fd", [KP_PATH] = "path", [KP_NAME] = "name", [KP_FLAGS] = "flags",
	[KP_MODE] = "mode", [KP_COMM] = "comm", [KP_ADDR] = "addr", [KP_LOCAL] = "local",
	[KP_PEER] = "peer", [KP_OLDFD] = "oldfd", [KP_CMD] = "cmd", [KP_DOMAIN] = "domain",
	[KP_TYPE] = "type", [KP_FDS] = "fds", [KP_EXE] = "exe", [KP_FILENAME] = "filename",
	[KP_ARGV] = "argv", [KP_CWD] = "cwd", [KP_UID] = "uid", [KP_EUID] = "euid",
	[KP_GID] = "gid", [KP_LOGINUID] = "loginuid", [KP_TTY] = "tty", [KP_VPID] = "vpid",
	[KP_VTID] = "vtid", [KP_CGROUP] = "cgroup", [KP_ENV] = "env",
	[KP_EXE_INO] = "exe_ino", [KP_EXE_CTIME] = "exe_ctime", [KP_EXE_MTIME] = "exe_mtime",
	[KP_EXE_FLAGS] = "exe_flags", [KP_SID] = "sid", [KP_VPGID] = "vpgid",
	[KP_CHILD_TID] = "child_tid", [KP_CHILD_PID] = "child_pid",
	[KP_CAP_INHERITABLE] = "cap_inheritable", [KP_CAP_PERMITTED] = "cap_permitted",
	[KP_CAP_EFFECTIVE] = "cap_effective", [KP_RUID] = "ruid", [KP_SUID] = "suid",
	[KP_RGID] = "rgid", [KP_EGID] = "egid", [KP_SGID] = "sgid",
};

static void aux_fill(struct kcap__row_aux *a, unsigned int type, const struct kcap_event_desc *d)
{
	const struct kcap_event_desc *b = kcap_event_desc(type);
	unsigned int i, k;

	memset(a, 0, sizeof(*a));
	memset(a->pidx, -1, sizeof(a->pidx));
	a->builtin_name = b && b->name && d->name && !strcmp(b->name, d->name);
	for (i = 0; i < d->nparams && i < KCAP_MAX_PARAMS; i++) {
		const char *name = d->params[i].name;

		a->sym[i] = (__u8)kcap__sym_of(type, name);
		if (!name)
			continue;
		if (!strcmp(name, "size"))
			a->size_mask |= 1u << i;
		/* the first parameter of a name, as a search from the start */
		for (k = 0; k < KP_NR; k++)
			if (a->pidx[k] < 0 && !strcmp(name, kcap__pnames[k]))
				a->pidx[k] = (signed char)i;
	}
	a->done = true;
}

struct kcap__row_aux kcap__builtin_aux[KCAP_EVT_NR];
int kcap__builtin_aux_ready;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_init(void)
{
	const struct kcap_event_desc *d;
	unsigned int t;

	for (t = 1; t < KCAP_EVT_NR; t++)
		if ((d = kcap_event_desc(t)))
			aux_fill(&kcap__builtin_aux[t], t, d);
	__atomic_store_n(&kcap__builtin_aux_ready, 1, __ATOMIC_RELEASE);
}

const struct kcap__row_aux *kcap__fmt_aux_slow(const struct kcap *h, unsigned int type,
					       const struct kcap_event_desc *d,
					       struct kcap__row_aux *scratch)
{
	/* a file's own row (its table stores the aux), else the built-in one */
	struct kcap__row_aux *a = kcap__row_aux(h, type);

	if (a && a->done)
		return a;
	if (!a && type < KCAP_EVT_NR && d == kcap_event_desc(type)) {
		pthread_once(&builtin_once, builtin_init);
		return &kcap__builtin_aux[type];
	}
	if (!a) {
		a = scratch;
		a->done = false;
	}
	if (!a->done)
		aux_fill(a, type, d);
	return a;
}

enum kcap__sym kcap__sym_of(unsigned int type, const char *param)
{
	size_t i;

	if (!param)
		return KCAP__SYM_NONE;
	/* Called for every numeric parameter: the first letter spares most strcmp() calls. */
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if ((!rules[i].type || rules[i].type == type) && rules[i].param[0] == param[0] &&
		    !strcmp(rules[i].param, param))
			return rules[i].sym;
	return KCAP__SYM_NONE;
}

/*
 * The text of the last value written for each decoding that walks a table
 * of bits, per thread: a workload's events repeat their flags (every clone
 * of a fork loop, every open's O_RDONLY|O_CLOEXEC), and the walk of
 * clone's thirty names costs about 500 instructions.
 */
static __thread struct {
	__u64 v;
	unsigned char len; /* 0: nothing kept */
	char text[119];
} sym_cache[KCAP__SYM_MODE + 1];

static bool walks_bits(enum kcap__sym sym)
{
	switch (sym) {
	case KCAP__SYM_OPEN_FLAGS:
	case KCAP__SYM_FD_FLAGS:
	case KCAP__SYM_AT_FLAGS:
	case KCAP__SYM_RENAME_FLAGS:
	case KCAP__SYM_PROT:
	case KCAP__SYM_MAP_FLAGS:
	case KCAP__SYM_CLONE_FLAGS:
	case KCAP__SYM_NS_FLAGS:
	case KCAP__SYM_SOCK_FLAGS:
	case KCAP__SYM_MSG_FLAGS:
	case KCAP__SYM_MFD_FLAGS:
	case KCAP__SYM_MODE:
		return true;
	default:
		return false;
	}
}

void kcap__put_sym(struct kcap__out *o, enum kcap__sym sym, __u64 v)
{
	char buf[sizeof(sym_cache[0].text)];
	struct kcap__out t = { .buf = buf, .len = sizeof(buf), .pos = 0 };
	unsigned int s = (unsigned int)sym;

	if (!walks_bits(sym) || s >= sizeof(sym_cache) / sizeof(sym_cache[0])) {
		put_sym(o, sym, v);
		return;
	}
	if (sym_cache[s].len && sym_cache[s].v == v) {
		kcap__put_mem(o, sym_cache[s].text, sym_cache[s].len);
		return;
	}
	put_sym(&t, sym, v);
	if (!t.pos || t.pos >= sizeof(buf)) {
		/* longer than the cache keeps: written directly */
		put_sym(o, sym, v);
		return;
	}
	memcpy(sym_cache[s].text, buf, t.pos);
	sym_cache[s].len = (unsigned char)t.pos;
	sym_cache[s].v = v;
	kcap__put_mem(o, buf, t.pos);
}
