// SPDX-License-Identifier: Apache-2.0
/*
 * kcap profile: the events of a recording, read with a thread table: which
 * belong to the selected processes, and what each needs of a profile (a
 * syscall; a file with permissions, a socket family and type, a
 * capability): learnt into the model or checked against a profile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "kcap.h"
#include "kcap_detect.h"
#include "profile.h"

/* What an event needs of a profile. */
enum need_kind { NEED_FILE, NEED_NET, NEED_CAP, NEED_SYSCALL };
struct need {
	enum need_kind kind;
	const char *path;
	unsigned int perms; /* PROF_* */
	unsigned int family, type, cap, abi;
	const char *name; /* syscall */
};

/* ---- Selection ------------------------------------------------------------------ */

static bool pid_selected(const struct prof_run *r, unsigned int pid)
{
	return pid < PROF_PID_LIMIT && (r->pids[pid / 8] & (1u << (pid % 8)));
}

static void select_pid(struct prof_run *r, unsigned int pid)
{
	if (pid >= PROF_PID_LIMIT || pid_selected(r, pid))
		return;
	r->pids[pid / 8] |= (unsigned char)(1u << (pid % 8));
	r->pidprof[pid] = 0;
	r->processes++;
}

static bool matches(struct prof_run *r, const struct kcap_thread_info *ti)
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

static void deselect_pid(struct prof_run *r, unsigned int pid)
{
	if (pid < PROF_PID_LIMIT) {
		r->pids[pid / 8] &= (unsigned char)~(1u << (pid % 8));
		r->pidprof[pid] = 0;
	}
}

/* The profile confining @pid: 0 the profile, k its child k-1. */
static unsigned int pid_prof(const struct prof_run *r, unsigned int pid)
{
	return pid < PROF_PID_LIMIT ? r->pidprof[pid] : 0;
}

/* The model (learning) or the profile read back (check) confining @pid. */
static struct prof *model_of(struct prof_run *r, unsigned int pid)
{
	unsigned int k = pid_prof(r, pid);

	return k ? &r->cx[k - 1].model : &r->model;
}

static const struct aa_profile *ap_of(const struct prof_run *r, unsigned int pid)
{
	unsigned int k = pid_prof(r, pid);

	return k && k <= r->ap.nchildren ? &r->ap.children[k - 1] : &r->ap;
}

/* --cx: the child an exec of @exe by a process of the profile itself
 * switches to (1 + its index), or 0. */
static unsigned int cx_of(const struct prof_run *r, unsigned int pid, const char *exe)
{
	unsigned int i;
	int k;

	if (pid_prof(r, pid))
		return 0; /* inside a child: one level of child profiles */
	if (r->mode == MODE_CHECK) {
		k = r->is_seccomp ? -1 : aa_exec_child(&r->ap, exe);
		return k < 0 || k >= 255 ? 0 : (unsigned int)k + 1;
	}
	for (i = 0; i < r->ncx; i++)
		if (!strcmp(r->cx[i].path, exe))
			return i + 1;
	return 0;
}

/* An exec of @exe by @pid leaves the profile: --px, or a P/C rule of the
 * checked profile confining @pid. */
static bool is_px(const struct prof_run *r, unsigned int pid, const char *exe)
{
	unsigned int i;

	if (r->mode == MODE_CHECK)
		return !r->is_seccomp && aa_exec_px(ap_of(r, pid), exe);
	/* inside a child profile, --px still applies */
	for (i = 0; i < r->npx; i++)
		if (!strcmp(r->px[i], exe))
			return true;
	return false;
}

/* Whether @ev belongs to a selected process (selecting it or its child). */
bool prof_selected(struct prof_run *r, const struct kcap_event_hdr *ev)
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
	if (was && ev->type == KCAP_EVT_PROC_FORK && !kcap_event_u64(ev, 1, &child)) {
		select_pid(r, (unsigned int)child);
		/* the child is confined by its parent's (child) profile */
		if (child < PROF_PID_LIMIT && ev->pid < PROF_PID_LIMIT)
			r->pidprof[child] = r->pidprof[ev->pid];
	}
	return was;
}

/* ---- Needs ------------------------------------------------------------------------ */

static void print_denied(struct prof_run *r, const struct kcap_event_hdr *ev, const struct need *n)
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
		printf("file %s %s", n->path, perms);
		break;
	case NEED_NET:
		printf("network %s %s", prof_family_name(n->family), prof_type_name(n->type));
		break;
	case NEED_CAP:
		printf("capability %s", prof_cap_name(n->cap));
		break;
	case NEED_SYSCALL:
		printf("syscall %s %s", n->abi ? "ia32" : "x86_64", n->name);
		break;
	}
	/* a child profile: named as the kernel names it, PARENT//CHILD */
	if (!r->is_seccomp && pid_prof(r, ev->pid))
		printf(" profile=%s//%s", r->ap.name, ap_of(r, ev->pid)->name);
	printf("\n");
}

/* One need of @ev: into the model, or checked against the profile. */
static int need(struct prof_run *r, const struct kcap_event_hdr *ev, const struct need *n)
{
	bool ok = true;

	if (r->mode != MODE_CHECK) {
		switch (n->kind) {
		case NEED_FILE:
			return prof_add_file(model_of(r, ev->pid), n->path, ev->pid, n->perms);
		case NEED_NET:
			prof_add_net(model_of(r, ev->pid), n->family, n->type);
			return 0;
		case NEED_CAP:
			prof_add_cap(model_of(r, ev->pid), n->cap);
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
			ok = aa_allows_file(ap_of(r, ev->pid), n->path, n->perms);
			break;
		case NEED_NET:
			ok = aa_allows_net(ap_of(r, ev->pid), n->family, n->type);
			break;
		case NEED_CAP:
			ok = aa_allows_cap(ap_of(r, ev->pid), n->cap);
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

static int need_file(struct prof_run *r, const struct kcap_event_hdr *ev, const char *path,
		     unsigned int perms)
{
	struct need n = { .kind = NEED_FILE, .path = path, .perms = perms };

	return path[0] == '/' ? need(r, ev, &n) : 0;
}

static int need_cap(struct prof_run *r, const struct kcap_event_hdr *ev, unsigned int cap)
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
static bool param_path(struct prof_run *r, const struct kcap_event_hdr *ev, const char *name, char *buf,
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
static bool fd_file(struct prof_run *r, const struct kcap_event_hdr *ev, char *buf, size_t len)
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

static int file_needs(struct prof_run *r, const struct kcap_event_hdr *ev)
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

static int other_needs(struct prof_run *r, const struct kcap_event_hdr *ev)
{
	struct need n = { .kind = NEED_NET };
	struct kcap_sockaddr sa;
	unsigned int k;
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
		k = cx_of(r, ev->pid, exe);
		if (k) {
			/* Cx: the exec needs x of the profile; then the process
			 * (and its children) is confined by the child profile,
			 * which maps the program (mr) */
			err = need_file(r, ev, exe, r->mode == MODE_CHECK ? PROF_IX : PROF_CX);
			if (err)
				return err;
			if (r->mode != MODE_CHECK)
				r->cx[k - 1].used = true;
			r->pidprof[ev->pid] = (unsigned char)k;
			return need_file(r, ev, exe, PROF_M | PROF_R);
		}
		if (is_px(r, ev->pid, exe)) {
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
static const char *syscall_of(const struct prof_run *r, const struct kcap_event_hdr *ev,
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

int prof_event_needs(struct prof_run *r, const struct kcap_event_hdr *ev)
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
