// SPDX-License-Identifier: Apache-2.0
/*
 * kcap profile: AppArmor and seccomp profiles learned from a recording,
 * and the check of another recording against a profile. Reads the
 * capture with a thread table, picks the events of the selected processes
 * and turns each into what it needs (a file with permissions, a socket
 * family and type, a capability, a syscall): learnt into the model
 * (profile_model.c) or checked against a profile read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "kcap_detect.h"
#include "profile.h"

#define PID_LIMIT 4194304 /* PID_MAX_LIMIT on 64-bit */

static const char profile_usage[] =
	"Usage: kcap profile COMMAND -r CAPTURE SELECTION [OPTIONS]\n"
	"Confinement profiles learned from a recording (kcap record -w) of a\n"
	"workload, and the check of another recording against one. Workflow:\n"
	"record, profile, check, enforce (docs/profiles.md).\n"
	"\n"
	"Commands:\n"
	"  apparmor   an AppArmor profile from the successful events: files with\n"
	"             r, w, mr, ix, listed directories, network families and\n"
	"             types, capabilities; per-run names generalised\n"
	"  seccomp    a seccomp allowlist of the syscalls made: OCI JSON (runc,\n"
	"             crun, docker, podman), or with --raw the BPF program\n"
	"  check      the events of a recording a profile would deny, one line\n"
	"             each (exit status 3 if any)\n"
	"\n"
	"Options:\n"
	"  -r CAPTURE           the recording (- for standard input)\n"
	"      --exe PATH       select processes from their exec of PATH on\n"
	"      --comm NAME      select processes whose name (comm) is NAME\n"
	"      --container ID   select the processes of a container (12 hex\n"
	"                       digits or more of its id)\n"
	"  -o FILE              apparmor, seccomp: write FILE (complete or not at\n"
	"                       all), default standard output\n"
	"      --name NAME      apparmor: the profile's name\n"
	"      --px PATH        apparmor: PATH runs under its own profile (Px)\n"
	"      --raw            seccomp: the BPF program instead of JSON\n"
	"      --profile FILE   check: the profile (AppArmor or seccomp JSON)\n"
	"  -h, --help           show this help (kcap profile COMMAND --help: more)\n"
	"\n"
	"A selection takes the children of the selected processes too, whatever\n"
	"they execute. Exit status: 0, 1 runtime error (also: no process\n"
	"matches), 2 bad arguments, 3 check: the profile would deny an event.\n";

static const char apparmor_usage[] =
	"Usage: kcap profile apparmor -r CAPTURE SELECTION [-o FILE] [--name NAME]\n"
	"An AppArmor profile for the selected processes (--exe PATH, --comm NAME or\n"
	"--container ID), from their successful events only: files read r,\n"
	"written or created w (opened append-only too: Linux checks each write()\n"
	"on the descriptor as w, not a), listed directories (PATH/ r),\n"
	"executed programs mrix (children stay in the profile), mapped\n"
	"executables mr, sockets as network FAMILY TYPE, capabilities of the\n"
	"privileged syscalls they made as root. /proc/PID/ becomes /proc/@{pid}/;\n"
	"below /tmp, /var/tmp, /dev/shm and /run a pid or a number of 5 or more\n"
	"digits becomes [0-9]* and a mkstemp suffix ??????. The same recording\n"
	"gives the same text. Load it with apparmor_parser -r FILE.\n"
	"  -r CAPTURE       the recording (- for standard input)\n"
	"  -o FILE          write the profile to FILE (complete or not at all)\n"
	"      --name NAME  the profile's name (default: the program's file name,\n"
	"                   kcap-container-ID for --container)\n"
	"      --px PATH    an exec of PATH gets Px (PATH runs under a profile of\n"
	"                   its own, to load too) instead of ix; what it does is\n"
	"                   left out of this profile (repeatable)\n"
	"The profile is attached to PATH (--exe) or to the one program the\n"
	"selected processes ran (--comm); a container's is applied by name.\n";

static const char seccomp_usage[] =
	"Usage: kcap profile seccomp -r CAPTURE SELECTION [-o FILE] [--raw]\n"
	"A seccomp allowlist for the selected processes (--exe PATH, --comm NAME\n"
	"or --container ID): every syscall they made, failed or not, by name;\n"
	"any other fails with EPERM. exit and exit_group are always allowed\n"
	"(they never return, so no recording shows them), rt_sigreturn when a\n"
	"signal handler was installed. ia32 syscalls add SCMP_ARCH_X86.\n"
	"  -r CAPTURE       the recording (- for standard input)\n"
	"  -o FILE          write to FILE (complete or not at all)\n"
	"      --raw        the BPF program (libseccomp's seccomp_export_bpf), for\n"
	"                   seccomp(SECCOMP_SET_MODE_FILTER), each ABI with only its\n"
	"                   own names; default: OCI JSON as runc, crun, docker and\n"
	"                   podman read it (names of both ABIs in one list)\n";

static const char check_usage[] =
	"Usage: kcap profile check -r CAPTURE --profile FILE [SELECTION]\n"
	"Which events of CAPTURE the profile FILE (an AppArmor profile or an OCI\n"
	"seccomp JSON, as kcap profile writes them) would deny, one line each:\n"
	"  DENIED TIME pid=PID comm=NAME SYSCALL: file PATH PERMS | network FAMILY\n"
	"  TYPE | capability NAME | syscall ABI NAME\n"
	"Nothing is loaded: this is what to run before enforcing a profile.\n"
	"After an exec allowed by a Px or Cx rule, the process is no longer\n"
	"checked (another profile confines it).\n"
	"AppArmor checks successful events (the kernel checks a file after\n"
	"finding it); seccomp checks every syscall. SELECTION (--exe PATH, --comm\n"
	"NAME, --container ID) defaults to the AppArmor profile's attachment;\n"
	"a seccomp profile needs one. Exit status 3 when an event would be\n"
	"denied, 0 when none.\n";

enum sel_kind { SEL_NONE, SEL_EXE, SEL_COMM, SEL_CONTAINER };
enum mode { MODE_APPARMOR, MODE_SECCOMP, MODE_CHECK };
enum { OPT_EXE = OPT_COMMAND, OPT_COMM, OPT_CONTAINER, OPT_NAME, OPT_RAW, OPT_PROFILE, OPT_PX };

/* What an event needs of a profile. */
enum need_kind { NEED_FILE, NEED_NET, NEED_CAP, NEED_SYSCALL };
struct need {
	enum need_kind kind;
	const char *path;
	unsigned int perms; /* PROF_* */
	unsigned int family, type, cap, abi;
	const char *name; /* syscall */
};

struct run {
	enum mode mode;
	enum sel_kind sel;
	const char *what; /* the selection's argument */
	const char *in, *out, *name, *profile;
	const char *px[16]; /* --px: programs run under their own profile */
	unsigned int npx;
	bool raw;
	struct kcap *h;
	struct kcap_state *st;
	struct kcap_output *fdname;
	unsigned char *pids; /* selected processes, a bit per pid */
	unsigned int exec_pid; /* selected by its exec: its execve is no helper */
	unsigned long long events, processes, drops, denied;
	char exe[4096]; /* --comm: the one program they ran */
	bool many_exes;
	struct prof model;
	struct aa_profile ap;
	struct sc_profile sp;
	bool is_seccomp;
	bool attach_glob; /* what: the checked profile's attachment */
};

/* ---- Selection ------------------------------------------------------------------ */

static bool pid_selected(const struct run *r, unsigned int pid)
{
	return pid < PID_LIMIT && (r->pids[pid / 8] & (1u << (pid % 8)));
}

static void select_pid(struct run *r, unsigned int pid)
{
	if (pid >= PID_LIMIT || pid_selected(r, pid))
		return;
	r->pids[pid / 8] |= (unsigned char)(1u << (pid % 8));
	r->processes++;
}

static bool matches(struct run *r, const struct kcap_thread_info *ti)
{
	size_t l;

	switch (r->sel) {
	case SEL_EXE:
		/* a profile's attachment is an AppArmor glob */
		return r->attach_glob ? aa_glob_match(r->what, ti->exe) : !strcmp(ti->exe, r->what);
	case SEL_COMM:
		return !strcmp(ti->comm, r->what);
	case SEL_CONTAINER:
		l = strlen(r->what);
		return ti->container.id[0] && !strncmp(ti->container.id, r->what, l);
	default:
		return false;
	}
}

static void deselect_pid(struct run *r, unsigned int pid)
{
	if (pid < PID_LIMIT)
		r->pids[pid / 8] &= (unsigned char)~(1u << (pid % 8));
}

/* An exec of @exe leaves the profile: --px, or a P/C rule of the checked profile. */
static bool is_px(const struct run *r, const char *exe)
{
	unsigned int i;

	if (r->mode == MODE_CHECK)
		return !r->is_seccomp && aa_exec_px(&r->ap, exe);
	for (i = 0; i < r->npx; i++)
		if (!strcmp(r->px[i], exe))
			return true;
	return false;
}

/* Whether @ev belongs to a selected process (selecting it or its child). */
static bool selected(struct run *r, const struct kcap_event_hdr *ev)
{
	struct kcap_thread_info ti;
	bool was = pid_selected(r, ev->pid);
	__u64 child;

	if (!was && !kcap_state_thread(r->st, ev->tid, &ti, sizeof(ti)) && matches(r, &ti)) {
		select_pid(r, ev->pid);
		/* selected by its exec (sched_process_exec comes before the
		 * execve's exit event): that execve is not one of its helpers */
		if (ev->type == KCAP_EVT_PROC_EXEC || ev->type == KCAP_EVT_EXECVE ||
		    ev->type == KCAP_EVT_EXECVEAT)
			r->exec_pid = ev->pid;
		if (r->sel == SEL_COMM && strcmp(r->exe, ti.exe)) {
			r->many_exes = r->exe[0] != '\0';
			snprintf(r->exe, sizeof(r->exe), "%s", ti.exe);
		}
		was = true;
	}
	if (was && ev->type == KCAP_EVT_PROC_FORK && !kcap_event_u64(ev, 1, &child))
		select_pid(r, (unsigned int)child);
	return was;
}

/* ---- Needs ------------------------------------------------------------------------ */

static void print_denied(struct run *r, const struct kcap_event_hdr *ev, const struct need *n)
{
	const struct kcap_event_desc *d = kcap_handle_event_desc(r->h, ev->type);
	struct kcap_thread_info ti;
	char perms[8];

	if (kcap_state_thread(r->st, ev->tid, &ti, sizeof(ti)))
		ti.comm = "?";
	printf("DENIED %llu.%09llu pid=%u comm=%s %s: ", (unsigned long long)ev->ts_ns / 1000000000ULL,
	       (unsigned long long)ev->ts_ns % 1000000000ULL, ev->pid, ti.comm,
	       n->kind == NEED_SYSCALL ? n->name : d ? d->name : "?");
	switch (n->kind) {
	case NEED_FILE:
		prof_perms_str(n->perms, perms);
		printf("file %s %s\n", n->path, perms);
		break;
	case NEED_NET:
		printf("network %s %s\n", prof_family_name(n->family), prof_type_name(n->type));
		break;
	case NEED_CAP:
		printf("capability %s\n", prof_cap_name(n->cap));
		break;
	case NEED_SYSCALL:
		printf("syscall %s %s\n", n->abi ? "ia32" : "x86_64", n->name);
		break;
	}
}

/* One need of @ev: into the model, or checked against the profile. */
static int need(struct run *r, const struct kcap_event_hdr *ev, const struct need *n)
{
	bool ok = true;

	if (r->mode != MODE_CHECK) {
		switch (n->kind) {
		case NEED_FILE:
			return prof_add_file(&r->model, n->path, ev->pid, n->perms);
		case NEED_NET:
			prof_add_net(&r->model, n->family, n->type);
			return 0;
		case NEED_CAP:
			prof_add_cap(&r->model, n->cap);
			return 0;
		case NEED_SYSCALL:
			prof_add_syscall(&r->model, n->abi, n->name);
			return 0;
		}
	}
	if (r->is_seccomp) {
		int nr;

		if (n->kind != NEED_SYSCALL)
			return 0;
		nr = kcap_syscall_nr(n->name, n->abi ? KCAP_SC_IA32 : KCAP_SC_X86_64);
		ok = r->sp.arch[n->abi] && nr >= 0 && nr < PROF_NR_MAX && r->sp.allowed[n->abi][nr];
	} else {
		switch (n->kind) {
		case NEED_FILE:
			ok = aa_allows_file(&r->ap, n->path, n->perms);
			break;
		case NEED_NET:
			ok = aa_allows_net(&r->ap, n->family, n->type);
			break;
		case NEED_CAP:
			ok = aa_allows_cap(&r->ap, n->cap);
			break;
		case NEED_SYSCALL:
			break;
		}
	}
	if (!ok) {
		r->denied++;
		print_denied(r, ev, n);
	}
	return 0;
}

static int need_file(struct run *r, const struct kcap_event_hdr *ev, const char *path,
		     unsigned int perms)
{
	struct need n = { .kind = NEED_FILE, .path = path, .perms = perms };

	return path[0] == '/' ? need(r, ev, &n) : 0;
}

static int need_cap(struct run *r, const struct kcap_event_hdr *ev, unsigned int cap)
{
	struct kcap_thread_info ti;
	struct need n = { .kind = NEED_CAP, .cap = cap };

	/* a capability matters to a root process; others fail before it */
	if (kcap_state_thread(r->st, ev->tid, &ti, sizeof(ti)) || ti.euid != 0)
		return 0;
	return need(r, ev, &n);
}

/* Parameter @name of @ev as an absolute path into @buf: relative ones are
 * joined to the thread's working directory when no other dirfd is named. */
static bool param_path(struct run *r, const struct kcap_event_hdr *ev, const char *name, char *buf,
		       size_t len)
{
	int i = kcap_event_param_index(ev, name), d;
	struct kcap_thread_info ti;
	char rel[4096];
	__s64 dirfd;

	if (i < 0 || kcap_event_str(ev, (unsigned int)i, rel, sizeof(rel)) <= 0)
		return false;
	if (rel[0] == '/') {
		snprintf(buf, len, "%s", rel);
		return true;
	}
	d = kcap_event_param_index(ev, "dirfd");
	if (d < 0)
		d = kcap_event_param_index(ev, "newdirfd");
	if (d >= 0 && (kcap_event_s64(ev, (unsigned int)d, &dirfd) || (__s32)dirfd != AT_FDCWD))
		return false;
	if (kcap_state_thread(r->st, ev->tid, &ti, sizeof(ti)) || ti.cwd[0] != '/')
		return false;
	snprintf(buf, len, "%s%s%s", ti.cwd, ti.cwd[strlen(ti.cwd) - 1] == '/' ? "" : "/", rel);
	return true;
}

static __u64 param_u64(const struct kcap_event_hdr *ev, const char *name)
{
	int i = kcap_event_param_index(ev, name);
	__u64 v = 0;

	if (i >= 0)
		kcap_event_u64(ev, (unsigned int)i, &v);
	return v;
}

static __s64 param_s64(const struct kcap_event_hdr *ev, const char *name)
{
	int i = kcap_event_param_index(ev, name);
	__s64 v = -1;

	if (i >= 0)
		kcap_event_s64(ev, (unsigned int)i, &v);
	return v;
}

/* The file behind the descriptor of @ev (thread table): its path if a file. */
static bool fd_file(struct run *r, const struct kcap_event_hdr *ev, char *buf, size_t len)
{
	int n = kcap_output_render(r->fdname, r->st, r->h, ev, buf, len);

	if (n < 3 || (size_t)n >= len || buf[0] != 'f' || buf[1] != ' ' || buf[2] != '/')
		return false;
	memmove(buf, buf + 2, strlen(buf + 2) + 1);
	return true;
}

static unsigned int open_perms(__u64 flags)
{
	unsigned int perms = 0;

	if (flags & O_PATH)
		return 0; /* AppArmor does not mediate O_PATH descriptors */
	if ((flags & O_ACCMODE) != O_WRONLY)
		perms |= PROF_R;
	if ((flags & O_ACCMODE) != O_RDONLY)
		perms |= (flags & O_APPEND) && !(flags & (O_CREAT | O_TRUNC)) ? PROF_A : PROF_W;
	return perms;
}

static int file_needs(struct run *r, const struct kcap_event_hdr *ev)
{
	char path[4200], path2[4200];
	__u64 flags;
	int err = 0;

	switch (ev->type) {
	case KCAP_EVT_OPEN:
	case KCAP_EVT_OPENAT:
	case KCAP_EVT_OPENAT2:
	case KCAP_EVT_CREAT:
		flags = ev->type == KCAP_EVT_CREAT ? O_CREAT | O_WRONLY | O_TRUNC
						   : param_u64(ev, "flags");
		if (!param_path(r, ev, "path", path, sizeof(path) - 1) &&
		    !param_path(r, ev, "name", path, sizeof(path) - 1))
			return 0;
		if (flags & O_DIRECTORY) {
			if (path[strlen(path) - 1] != '/')
				strcat(path, "/");
		}
		return open_perms(flags) ? need_file(r, ev, path, open_perms(flags)) : 0;
	case KCAP_EVT_UNLINK:
	case KCAP_EVT_UNLINKAT:
	case KCAP_EVT_RMDIR:
	case KCAP_EVT_CHMOD:
	case KCAP_EVT_FCHMODAT:
	case KCAP_EVT_CHOWN:
	case KCAP_EVT_LCHOWN:
	case KCAP_EVT_FCHOWNAT:
	case KCAP_EVT_TRUNCATE:
	case KCAP_EVT_FCHMOD:
	case KCAP_EVT_FCHOWN:
		if (param_path(r, ev, "path", path, sizeof(path)))
			err = need_file(r, ev, path, PROF_W);
		break;
	case KCAP_EVT_MKDIR:
	case KCAP_EVT_MKDIRAT:
		if (param_path(r, ev, "path", path, sizeof(path) - 1)) {
			if (path[strlen(path) - 1] != '/')
				strcat(path, "/");
			err = need_file(r, ev, path, PROF_W);
		}
		break;
	case KCAP_EVT_RENAME:
	case KCAP_EVT_RENAMEAT:
	case KCAP_EVT_RENAMEAT2:
		if (param_path(r, ev, "oldpath", path, sizeof(path)))
			err = need_file(r, ev, path, PROF_R | PROF_W);
		if (!err && param_path(r, ev, "newpath", path2, sizeof(path2)))
			err = need_file(r, ev, path2, PROF_W);
		break;
	case KCAP_EVT_LINK:
	case KCAP_EVT_LINKAT:
		if (param_path(r, ev, "newpath", path, sizeof(path)))
			err = need_file(r, ev, path, PROF_L);
		break;
	case KCAP_EVT_SYMLINK:
	case KCAP_EVT_SYMLINKAT:
		if (param_path(r, ev, "linkpath", path, sizeof(path)))
			err = need_file(r, ev, path, PROF_W);
		break;
	case KCAP_EVT_MMAP:
		if ((param_u64(ev, "prot") & PROT_EXEC) && param_s64(ev, "fd") >= 0 &&
		    fd_file(r, ev, path, sizeof(path)))
			err = need_file(r, ev, path, PROF_M | PROF_R);
		break;
	}
	return err;
}

static int other_needs(struct run *r, const struct kcap_event_hdr *ev)
{
	struct need n = { .kind = NEED_NET };
	struct kcap_sockaddr sa;
	int err = 0, i;

	switch (ev->type) {
	case KCAP_EVT_EXECVE:
	case KCAP_EVT_EXECVEAT: {
		char exe[4096];

		/* the exec that selected the process is not one of its helpers */
		if (r->exec_pid == ev->pid) {
			r->exec_pid = 0;
			return 0;
		}
		if (!param_path(r, ev, "exe", exe, sizeof(exe)))
			return 0;
		if (is_px(r, exe)) {
			/* it runs under its own profile: Px, and its events
			 * (and its children's) are not this profile's */
			err = need_file(r, ev, exe, r->mode == MODE_CHECK ? PROF_IX : PROF_PX);
			deselect_pid(r, ev->pid);
			return err;
		}
		return need_file(r, ev, exe, PROF_M | PROF_R | PROF_IX);
	}
	case KCAP_EVT_SOCKET:
	case KCAP_EVT_SOCKETPAIR:
		n.family = (unsigned int)param_u64(ev, "domain");
		n.type = (unsigned int)param_u64(ev, "type") & 0xf;
		err = need(r, ev, &n);
		if (!err && (n.type == SOCK_RAW || n.family == AF_PACKET))
			err = need_cap(r, ev, 13); /* net_raw */
		return err;
	case KCAP_EVT_BIND:
		i = kcap_event_param_index(ev, "addr");
		if (i >= 0 && !kcap_event_sockaddr(ev, (unsigned int)i, &sa) &&
		    (sa.family == AF_INET || sa.family == AF_INET6) && sa.port && sa.port < 1024)
			err = need_cap(r, ev, 10); /* net_bind_service */
		return err;
	case KCAP_EVT_CHOWN:
	case KCAP_EVT_FCHOWN:
	case KCAP_EVT_LCHOWN:
	case KCAP_EVT_FCHOWNAT:
		return need_cap(r, ev, 0); /* chown */
	case KCAP_EVT_SETUID:
	case KCAP_EVT_SETREUID:
	case KCAP_EVT_SETRESUID:
		return need_cap(r, ev, 7); /* setuid */
	case KCAP_EVT_SETGID:
	case KCAP_EVT_SETREGID:
	case KCAP_EVT_SETRESGID:
		return need_cap(r, ev, 6); /* setgid */
	case KCAP_EVT_CHROOT:
		return need_cap(r, ev, 18); /* sys_chroot */
	case KCAP_EVT_PTRACE:
		return need_cap(r, ev, 19); /* sys_ptrace */
	case KCAP_EVT_MOUNT:
	case KCAP_EVT_UMOUNT2:
	case KCAP_EVT_SETNS:
		return need_cap(r, ev, 21); /* sys_admin */
	case KCAP_EVT_UNSHARE:
		/* a new user namespace alone needs no capability */
		return param_u64(ev, "flags") & ~(__u64)0x10000000 ? need_cap(r, ev, 21) : 0;
	case KCAP_EVT_INIT_MODULE:
	case KCAP_EVT_FINIT_MODULE:
	case KCAP_EVT_DELETE_MODULE:
		return need_cap(r, ev, 16); /* sys_module */
	}
	return 0;
}

/* The syscall of @ev by name and ABI; NULL for lifecycle and drop events. */
static const char *syscall_of(const struct run *r, const struct kcap_event_hdr *ev,
			      unsigned int *abi)
{
	const struct kcap_event_desc *d;
	int nr;

	*abi = ev->flags & KCAP_EVF_COMPAT ? PROF_ABI_IA32 : PROF_ABI_X86_64;
	if (ev->type == KCAP_EVT_SYSCALL) {
		nr = kcap_event_syscall_nr(ev);
		return nr < 0 ? NULL
			      : kcap_syscall_name((unsigned int)nr, *abi ? KCAP_SC_IA32 : KCAP_SC_X86_64);
	}
	d = kcap_handle_event_desc(r->h, ev->type);
	if (!d || !(d->flags & KCAP_EDF_DECODED))
		return NULL;
	return d->name;
}

static int event_needs(struct run *r, const struct kcap_event_hdr *ev)
{
	struct need n = { .kind = NEED_SYSCALL };
	__s64 res = -1;
	int err;

	if (ev->flags & KCAP_EVF_ENTER)
		return 0;
	n.name = syscall_of(r, ev, &n.abi);
	if (!n.name)
		return 0;
	err = need(r, ev, &n);
	if (err)
		return err;
	/* for rt_sigreturn: a handler installed */
	if (r->mode == MODE_SECCOMP && !strcmp(n.name, "rt_sigaction"))
		prof_add_syscall(&r->model, n.abi, n.abi ? "sigreturn" : "rt_sigreturn");
	if (ev->type == KCAP_EVT_SYSCALL || kcap_event_res(ev, &res) || res < 0)
		return 0;
	err = file_needs(r, ev);
	return err ? err : other_needs(r, ev);
}

/* ---- The command ------------------------------------------------------------------- */

static int read_events(struct run *r)
{
	const struct kcap_event_hdr *ev;
	KCAP_OPTS(kcap_file_opts, fo);
	int err;

	r->h = open_capture("profile", r->in, &fo);
	if (!r->h)
		return EXIT_RUNTIME;
	r->st = cli_state_new(NULL);
	r->fdname = kcap_output_compile("%fd.typechar %fd.name", NULL);
	r->pids = calloc(PID_LIMIT / 8, 1);
	if (!r->st || !r->fdname || !r->pids) {
		fprintf(stderr, "kcap profile: %s\n", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	err = kcap_state_seed(r->st, r->h);
	if (err)
		fprintf(stderr, "kcap profile: process snapshot: %s (continuing)\n", strerror(-err));
	for (;;) {
		err = kcap_next(r->h, &ev);
		if (err == -ENODATA)
			break;
		if (err) {
			fprintf(stderr, "kcap profile: %s\n", kcap_errmsg(r->h));
			return EXIT_RUNTIME;
		}
		r->events++;
		if (ev->type == KCAP_EVT_DROP) {
			__u64 a = 0, b = 0;

			kcap_event_u64(ev, 0, &a);
			kcap_event_u64(ev, 1, &b);
			r->drops += a + b;
		}
		kcap_state_update(r->st, r->h, ev);
		if (!selected(r, ev))
			continue;
		err = event_needs(r, ev);
		if (err) {
			fprintf(stderr, "kcap profile: %s\n", strerror(-err));
			return EXIT_RUNTIME;
		}
	}
	report_file_end("profile", r->h, r->in, r->events);
	if (!r->processes) {
		fprintf(stderr, "kcap profile: no process of %s matches %s %s\n", r->in,
			r->sel == SEL_EXE ? "--exe" : r->sel == SEL_COMM ? "--comm" : "--container",
			r->what);
		return EXIT_RUNTIME;
	}
	if (r->drops)
		fprintf(stderr, "kcap profile: warning: %s lost %llu events: the profile may miss rules\n",
			r->in, r->drops);
	return 0;
}

/* An output file appears complete or not at all: a temporary beside it. */
static FILE *open_out(const struct run *r, char *tmp, size_t len)
{
	FILE *f;
	int fd;

	if (!r->out)
		return stdout;
	snprintf(tmp, len, "%s.kcap-tmp-XXXXXX", r->out);
	fd = mkstemp(tmp);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f)
		fprintf(stderr, "kcap profile: %s: %s\n", r->out, strerror(errno));
	return f;
}

static int close_out(const struct run *r, FILE *f, const char *tmp, int rc)
{
	if (!r->out)
		return rc;
	if (!rc && fchmod(fileno(f), 0644))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, r->out))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		fprintf(stderr, "kcap profile: %s: %s\n", r->out, strerror(-rc));
		return EXIT_RUNTIME;
	}
	return 0;
}

static void profile_name(const struct run *r, char *buf, size_t len)
{
	const char *base;
	size_t i;

	if (r->name) {
		snprintf(buf, len, "%s", r->name);
		return;
	}
	if (r->sel == SEL_CONTAINER) {
		snprintf(buf, len, "kcap-container-%.12s", r->what);
		return;
	}
	/* --exe: the program's file name; --comm: the name itself */
	base = r->what;
	if (strrchr(base, '/'))
		base = strrchr(base, '/') + 1;
	snprintf(buf, len, "%s", base[0] ? base : "kcap-profile");
	for (i = 0; buf[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", buf[i]))
			buf[i] = '_';
}

static int write_profile(struct run *r)
{
	char tmp[4200], name[256], sel[4200];
	struct prof_source src = { .capture = strcmp(r->in, "-") ? r->in : "standard input",
				   .selection = sel, .events = r->events,
				   .processes = r->processes, .drops = r->drops };
	const char *attach = NULL;
	FILE *f = open_out(r, tmp, sizeof(tmp));
	int rc;

	if (!f)
		return EXIT_RUNTIME;
	snprintf(sel, sizeof(sel), "%s %s",
		 r->sel == SEL_EXE ? "--exe" : r->sel == SEL_COMM ? "--comm" : "--container", r->what);
	if (r->mode == MODE_APPARMOR) {
		profile_name(r, name, sizeof(name));
		if (r->sel == SEL_EXE)
			attach = r->what;
		else if (r->sel == SEL_COMM && !r->many_exes && r->exe[0] == '/')
			attach = r->exe;
		rc = prof_write_apparmor(&r->model, f, name, attach, &src);
	} else {
		char err[256] = "";

		/* never seen at their exit: they do not return */
		prof_add_syscall(&r->model, PROF_ABI_X86_64, "exit");
		prof_add_syscall(&r->model, PROF_ABI_X86_64, "exit_group");
		if (r->model.seen_ia32) {
			prof_add_syscall(&r->model, PROF_ABI_IA32, "exit");
			prof_add_syscall(&r->model, PROF_ABI_IA32, "exit_group");
		}
		if (r->raw) {
			fflush(f);
			rc = prof_write_seccomp_bpf(&r->model, fileno(f), err, sizeof(err));
			if (rc)
				fprintf(stderr, "kcap profile: %s\n", err);
		} else {
			rc = prof_write_seccomp_json(&r->model, f);
		}
	}
	return close_out(r, f, tmp, rc);
}

static int load_profile(struct run *r)
{
	char err[512] = "", *text = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(r->profile, "r");
	int rc;

	if (!f) {
		fprintf(stderr, "kcap profile: %s: %s\n", r->profile, strerror(errno));
		return EXIT_RUNTIME;
	}
	do {
		if (len + 4096 + 1 > cap) {
			char *t = realloc(text, cap = 2 * (len + 4096 + 1));

			if (!t) {
				free(text);
				fclose(f);
				return EXIT_RUNTIME;
			}
			text = t;
		}
		n = fread(text + len, 1, 4096, f);
		len += n;
	} while (n);
	fclose(f);
	text[len] = '\0';
	r->is_seccomp = strspn(text, " \t\r\n") < len && text[strspn(text, " \t\r\n")] == '{';
	rc = r->is_seccomp ? sc_parse(text, &r->sp, err, sizeof(err))
			   : aa_parse(text, &r->ap, err, sizeof(err));
	free(text);
	if (rc) {
		fprintf(stderr, "kcap profile: %s: %s\n", r->profile, err);
		return EXIT_RUNTIME;
	}
	if (r->sel == SEL_NONE && !r->is_seccomp && r->ap.attach) {
		r->sel = SEL_EXE;
		r->what = r->ap.attach;
		r->attach_glob = true;
	}
	if (r->sel == SEL_NONE) {
		fprintf(stderr, "kcap profile check: %s has no attachment: give --exe, --comm or "
				"--container\n", r->profile);
		return EXIT_USAGE;
	}
	return 0;
}

static int parse_args(struct run *r, int argc, char **argv, const char *usage)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "exe", required_argument, NULL, OPT_EXE },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "raw", no_argument, NULL, OPT_RAW },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "px", required_argument, NULL, OPT_PX },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = r->mode == MODE_APPARMOR ? "profile apparmor"
			  : r->mode == MODE_SECCOMP ? "profile seccomp" : "profile check";
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hr:o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'r':
			r->in = optarg;
			break;
		case 'o':
			r->out = optarg;
			break;
		case OPT_EXE:
		case OPT_COMM:
		case OPT_CONTAINER:
			if (r->sel != SEL_NONE)
				return usage_error(cmd, "give one of --exe, --comm, --container");
			r->sel = c == OPT_EXE ? SEL_EXE : c == OPT_COMM ? SEL_COMM : SEL_CONTAINER;
			r->what = optarg;
			if (!optarg[0])
				return usage_error(cmd, "empty selection");
			if (c == OPT_EXE && optarg[0] != '/')
				return usage_error(cmd, "--exe needs an absolute path");
			if (c == OPT_CONTAINER && strlen(optarg) < 12)
				return usage_error(cmd, "--container needs 12 hex digits or more");
			break;
		case OPT_NAME:
			r->name = optarg;
			break;
		case OPT_RAW:
			r->raw = true;
			break;
		case OPT_PROFILE:
			r->profile = optarg;
			break;
		case OPT_PX:
			if (optarg[0] != '/')
				return usage_error(cmd, "--px needs an absolute path");
			if (r->npx == sizeof(r->px) / sizeof(r->px[0]))
				return usage_error(cmd, "at most 16 --px programs");
			r->px[r->npx++] = optarg;
			break;
		default:
			return bad_option(cmd, argc, argv, "hr:o:");
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!r->in)
		return usage_error(cmd, "-r CAPTURE is required");
	if (r->mode != MODE_CHECK && r->sel == SEL_NONE)
		return usage_error(cmd, "give --exe PATH, --comm NAME or --container ID");
	if (r->mode == MODE_CHECK && !r->profile)
		return usage_error(cmd, "--profile FILE is required");
	if (r->mode == MODE_CHECK && r->out)
		return usage_error(cmd, "-o is not an option of check");
	if (r->npx && r->mode != MODE_APPARMOR)
		return usage_error(cmd, "--px is an option of apparmor");
	if (r->name && r->mode != MODE_APPARMOR)
		return usage_error(cmd, "--name is an option of apparmor");
	if (r->raw && r->mode != MODE_SECCOMP)
		return usage_error(cmd, "--raw is an option of seccomp");
	if (r->raw && !r->out && isatty(STDOUT_FILENO))
		return usage_error(cmd, "--raw writes binary: give -o FILE");
	return CLI_CONTINUE;
}

int cmd_profile(int argc, char **argv)
{
	struct run r = { 0 };
	const char *usage;
	int rc;

	if (argc < 2)
		return usage_error("profile", "give apparmor, seccomp or check");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(profile_usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "apparmor")) {
		r.mode = MODE_APPARMOR;
		usage = apparmor_usage;
	} else if (!strcmp(argv[1], "seccomp")) {
		r.mode = MODE_SECCOMP;
		usage = seccomp_usage;
	} else if (!strcmp(argv[1], "check")) {
		r.mode = MODE_CHECK;
		usage = check_usage;
	} else {
		return usage_error("profile", "unknown subcommand '%s'", argv[1]);
	}
	rc = parse_args(&r, argc - 1, argv + 1, usage);
	if (rc != CLI_CONTINUE)
		return rc;
	prof_init(&r.model);
	rc = r.mode == MODE_CHECK ? load_profile(&r) : 0;
	if (!rc)
		rc = read_events(&r);
	if (!rc && r.mode != MODE_CHECK)
		rc = write_profile(&r);
	if (!rc && r.mode == MODE_CHECK) {
		rc = check_output("profile check");
		fprintf(stderr, "kcap profile check: %llu events of %llu processes, %llu would be denied\n",
			r.events, r.processes, r.denied);
		if (!rc && r.denied)
			rc = 3;
	}
	prof_release(&r.model);
	aa_release(&r.ap);
	free(r.pids);
	kcap_output_free(r.fdname);
	if (r.st)
		kcap_state_free(r.st);
	if (r.h)
		kcap_close(r.h);
	return rc;
}
