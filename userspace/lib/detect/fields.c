// SPDX-License-Identifier: Apache-2.0
/*
 * Fields with Falco's names, extracted from an event and the state: what
 * rule conditions test and outputs print. kcap events are exit-side, so
 * evt.dir is "<" for every syscall event (">" only for syscall_enter).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "detect.h"
#include "format/format.h"

#define NOVAL 0xffffffffu
#define MAX_ANCESTORS 32

struct fdef {
	struct kcap_field_info info;
	enum kfield_id id;
};

#define S KCAP_FT_STR
#define I KCAP_FT_INT
#define B KCAP_FT_BOOL
#define P KCAP_FT_IP

/* No data yet; each says which issue brings it. */
#define NA KCAP_FF_NODATA
#define NA_DRV " (no data yet: needs driver data, issue 13)"
/* Read from the runtimes' state files in the background: missing until read,
 * and for capture files (docs/containers.md). */
#define CT " (live only; missing until looked up)"

static const struct fdef fields[] = {
	{ { "evt.type", S, 0, "event type: the syscall name (execve, openat, connect), procexit" },
	  F_EVT_TYPE },
	{ { "evt.time", S, 0, "event time, local HH:MM:SS.nanoseconds" }, F_EVT_TIME },
	{ { "evt.rawtime", I, 0, "event time, nanoseconds since the epoch" }, F_EVT_RAWTIME },
	{ { "evt.num", I, 0, "event number, from 1" }, F_EVT_NUM },
	{ { "evt.cpu", I, 0, "CPU the event happened on" }, F_EVT_CPU },
	{ { "evt.res", S, 0, "result: SUCCESS or the errno name (ENOENT)" }, F_EVT_RES },
	{ { "evt.rawres", I, 0, "result as a number (fd, bytes, -errno)" }, F_EVT_RAWRES },
	{ { "evt.failed", B, 0, "true if the syscall returned an error" }, F_EVT_FAILED },
	{ { "evt.dir", S, 0, "direction: < (exit; every kcap syscall event), > (syscall_enter)" },
	  F_EVT_DIR },
	{ { "evt.arg", S, KCAP_FF_NAME | KCAP_FF_INDEX,
	    "parameter by name (evt.arg.path) or position (evt.arg[1]), as text; flags by name "
	    "(O_WRONLY|O_CREAT)" },
	  F_EVT_ARG },
	{ { "evt.rawarg", I, KCAP_FF_NAME | KCAP_FF_INDEX,
	    "numeric parameter by name (evt.rawarg.uid) or position" },
	  F_EVT_RAWARG },
	{ { "evt.args", S, 0, "every parameter as text: \"fd=3 path=/etc/passwd ...\"" },
	  F_EVT_ARGS },
	{ { "evt.is_open_read", B, 0, "an open that asked for reading" }, F_EVT_IS_OPEN_READ },
	{ { "evt.is_open_write", B, 0, "an open (or creat) that asked for writing" },
	  F_EVT_IS_OPEN_WRITE },
	{ { "evt.is_open_exec", B, 0, "an open (or creat) creating a file with an execute bit" },
	  F_EVT_IS_OPEN_EXEC },
	{ { "evt.hostname", S, 0, "host name: the capture file's machine, or this one" },
	  F_EVT_HOSTNAME },
	{ { "evt.buffer", S, NA, "data of a read or write" NA_DRV }, F_PROC_NODATA },
	{ { "proc.name", S, 0, "process name (comm)" }, F_PROC_NAME },
	{ { "proc.exe", S, 0, "argv[0] of the process" }, F_PROC_EXE },
	{ { "proc.exepath", S, 0, "full path of the executable" }, F_PROC_EXEPATH },
	{ { "proc.cmdline", S, 0, "name and arguments: \"bash -c ls\"" }, F_PROC_CMDLINE },
	{ { "proc.args", S, 0, "arguments after argv[0], space-separated" }, F_PROC_ARGS },
	{ { "proc.pid", I, 0, "process id (thread group)" }, F_PROC_PID },
	{ { "proc.tid", I, 0, "thread id" }, F_PROC_TID },
	{ { "proc.ppid", I, 0, "parent process id" }, F_PROC_PPID },
	{ { "proc.pname", S, 0, "parent process name" }, F_PROC_PNAME },
	{ { "proc.pexe", S, 0, "argv[0] of the parent process" }, F_PROC_PEXE },
	{ { "proc.pexepath", S, 0, "parent executable path" }, F_PROC_PEXEPATH },
	{ { "proc.pcmdline", S, 0, "parent name and arguments" }, F_PROC_PCMDLINE },
	{ { "proc.aname", S, KCAP_FF_INDEX | KCAP_FF_ANY,
	    "ancestor name: [0] self, [1] parent, [2] grandparent...; without [N], any ancestor" },
	  F_PROC_ANAME },
	{ { "proc.aexe", S, KCAP_FF_INDEX | KCAP_FF_ANY, "ancestor argv[0], like proc.aname" },
	  F_PROC_AEXE },
	{ { "proc.aexepath", S, KCAP_FF_INDEX | KCAP_FF_ANY,
	    "ancestor executable path, like proc.aname" },
	  F_PROC_AEXEPATH },
	{ { "proc.apid", I, KCAP_FF_INDEX | KCAP_FF_ANY, "ancestor pid, like proc.aname" },
	  F_PROC_APID },
	{ { "proc.tty", I, 0, "controlling terminal, 0 if none: its device number as Falco and /proc/PID/stat's tty_nr encode it (34816 is /dev/pts/0)" }, F_PROC_TTY },
	{ { "proc.cwd", S, 0, "working directory, with a trailing /" }, F_PROC_CWD },
	{ { "proc.vpid", I, 0, "process id in its own pid namespace" }, F_PROC_VPID },
	{ { "proc.sname", S, 0, "session leader's name" }, F_PROC_SNAME },
	{ { "proc.sid", I, 0, "session id, in the process's pid namespace (as proc.vpid)" },
	  F_PROC_SID },
	{ { "proc.is_sid_leader", B, 0, "the process leads its session" }, F_PROC_IS_SID_LEADER },
	{ { "proc.vpgid", I, 0, "process group id in its pid namespace" }, F_PROC_VPGID },
	{ { "proc.vpgid.name", S, 0, "process group leader's name" }, F_PROC_VPGID_NAME },
	{ { "proc.vpgid.exe", S, 0, "process group leader's argv[0]" }, F_PROC_VPGID_EXE },
	{ { "proc.is_vpgid_leader", B, 0, "the process leads its process group" },
	  F_PROC_IS_VPGID_LEADER },
	{ { "proc.duration", I, 0,
	    "nanoseconds since the process started (known for processes forked during the capture)" },
	  F_PROC_DURATION },
	{ { "proc.env", S, KCAP_FF_NAME,
	    "environment at exec as \"K=V K=V\", or one variable's value: proc.env[HOME]" },
	  F_PROC_ENV },
	{ { "proc.exe_ino", I, 0, "inode number of the executable" }, F_PROC_EXE_INO },
	{ { "proc.exe_ino.ctime", I, 0, "ctime of the executable's inode, ns since the epoch" },
	  F_PROC_EXE_INO_CTIME },
	{ { "proc.exe_ino.mtime", I, 0, "mtime of the executable's inode, ns since the epoch" },
	  F_PROC_EXE_INO_MTIME },
	{ { "proc.exe_ino.ctime_duration_proc_start", I, 0,
	    "nanoseconds from the executable's ctime to the exec" },
	  F_PROC_EXE_INO_CTIME_DPS },
	{ { "proc.is_exe_writable", B, NA, "the executable is writable by the process" NA_DRV },
	  F_PROC_NODATA },
	{ { "proc.is_exe_upper_layer", B, 0, "the executable is in an overlayfs upper layer" },
	  F_PROC_IS_EXE_UPPER },
	{ { "proc.is_exe_from_memfd", B, 0, "the executable is a memfd (fexecve of memfd_create)" },
	  F_PROC_IS_EXE_MEMFD },
	{ { "thread.cap_effective", S, 0,
	    "effective capabilities, as Falco writes them: \"CAP_CHOWN CAP_KILL ...\"" },
	  F_THREAD_CAP_EFFECTIVE },
	{ { "thread.cap_permitted", S, 0, "permitted capabilities, like thread.cap_effective" },
	  F_THREAD_CAP_PERMITTED },
	{ { "thread.cap_inheritable", S, 0, "inheritable capabilities, like thread.cap_effective" },
	  F_THREAD_CAP_INHERITABLE },
	{ { "user.uid", I, 0, "effective user id" }, F_USER_UID },
	{ { "user.name", S, 0,
	    "effective user name (the recording machine's: a capture file's own table, live: /etc/passwd)" },
	  F_USER_NAME },
	{ { "user.loginuid", I, 0, "audit login user id, -1 if unset" }, F_USER_LOGINUID },
	{ { "user.loginname", S, 0, "name of the audit login user (as user.name)" },
	  F_USER_LOGINNAME },
	{ { "group.gid", I, 0, "group id" }, F_GROUP_GID },
	{ { "group.name", S, 0,
	    "group name (the recording machine's: a capture file's own table, live: /etc/group)" },
	  F_GROUP_NAME },
	{ { "fd.num", I, 0, "descriptor number the event uses or returns" }, F_FD_NUM },
	{ { "fd.name", S, 0, "file path, socket tuple (1.2.3.4:5->6.7.8.9:80), unix path" },
	  F_FD_NAME },
	{ { "fd.nameraw", S, 0, "the path as the open named it (not made absolute); else fd.name" },
	  F_FD_NAMERAW },
	{ { "fd.type", S, 0, "file, directory, ipv4, ipv6, unix, pipe, event, memfd..." },
	  F_FD_TYPE },
	{ { "fd.typechar", S, 0, "f d 4 6 u p e s l i t m o" }, F_FD_TYPECHAR },
	{ { "fd.directory", S, 0, "directory of a file descriptor's path" }, F_FD_DIRECTORY },
	{ { "fd.filename", S, 0, "file name of a file descriptor's path" }, F_FD_FILENAME },
	{ { "fd.cip", P, 0, "client IP address" }, F_FD_CIP },
	{ { "fd.sip", P, 0, "server IP address" }, F_FD_SIP },
	{ { "fd.dip", P, 0, "server IP address (kcap's name; fd.sip in Falco)" }, F_FD_SIP },
	{ { "fd.lip", P, 0, "local IP address (the server end of an accepted socket)" },
	  F_FD_LIP },
	{ { "fd.rip", P, 0, "remote IP address" }, F_FD_RIP },
	{ { "fd.ip", P, KCAP_FF_ANY, "either IP address (client or server)" }, F_FD_IP },
	{ { "fd.net", P, KCAP_FF_ANY, "either IP address, compared with networks (10.0.0.0/8)" },
	  F_FD_IP },
	{ { "fd.cnet", P, 0, "client IP address, compared with networks" }, F_FD_CIP },
	{ { "fd.snet", P, 0, "server IP address, compared with networks" }, F_FD_SIP },
	{ { "fd.lnet", P, 0, "local IP address, compared with networks" }, F_FD_LIP },
	{ { "fd.rnet", P, 0, "remote IP address, compared with networks" }, F_FD_RIP },
	{ { "fd.cport", I, 0, "client port" }, F_FD_CPORT },
	{ { "fd.sport", I, 0, "server port" }, F_FD_SPORT },
	{ { "fd.dport", I, 0, "server port (kcap's name; fd.sport in Falco)" }, F_FD_SPORT },
	{ { "fd.lport", I, 0, "local port" }, F_FD_LPORT },
	{ { "fd.rport", I, 0, "remote port" }, F_FD_RPORT },
	{ { "fd.port", I, KCAP_FF_ANY, "either port (client or server)" }, F_FD_PORT },
	{ { "fd.l4proto", S, 0, "tcp, udp, raw" }, F_FD_L4PROTO },
	{ { "fd.connected", B, 0, "a socket with a known peer" }, F_FD_CONNECTED },
	{ { "fd.sockfamily", S, 0, "ip (ipv4, ipv6) or unix" }, F_FD_SOCKFAMILY },
	{ { "fd.cip.name", S, NA, "client's domain name" NA_DRV }, F_PROC_NODATA },
	{ { "fd.sip.name", S, NA, "server's domain name" NA_DRV }, F_PROC_NODATA },
	{ { "fd.lip.name", S, NA, "local domain name" NA_DRV }, F_PROC_NODATA },
	{ { "fd.rip.name", S, NA, "remote domain name" NA_DRV }, F_PROC_NODATA },
	{ { "fd.name_changed", B, NA, "the event changed the descriptor's name" NA_DRV },
	  F_PROC_NODATA },
	{ { "container.id", S, 0, "container id (12 hex digits), host outside containers" },
	  F_CONTAINER_ID },
	{ { "container.full_id", S, 0, "container id (64 hex digits), host outside containers" },
	  F_CONTAINER_FULL_ID },
	{ { "container.type", S, 0,
	    "docker, containerd, cri-o, podman, cri (from the cgroup path); runc, crun (live: the "
	    "state files name the runtime of a bare id); host" },
	  F_CONTAINER_TYPE },
	{ { "container.name", S, 0, "container name" CT }, F_CT_NAME },
	{ { "container.image", S, 0, "image reference as the runtime recorded it" CT }, F_CT_IMAGE },
	{ { "container.image.repository", S, 0,
	    "image repository (the reference without tag and digest)" CT },
	  F_CT_IMAGE_REPO },
	{ { "container.image.tag", S, 0, "image tag" CT }, F_CT_IMAGE_TAG },
	{ { "container.image.digest", S, 0, "image digest (sha256:...) of the reference" CT },
	  F_CT_IMAGE_DIGEST },
	{ { "container.image.id", S, 0, "image id, hex (docker, podman, CRI-O)" CT }, F_CT_IMAGE_ID },
	{ { "container.privileged", B, 0, "a privileged container" CT }, F_CT_PRIVILEGED },
	{ { "container.mounts", S, 0,
	    "the container's mounts, comma-separated source:dest:mode:rdwr:propagation" CT },
	  F_CT_MOUNTS },
	{ { "container.mount", S, KCAP_FF_INDEX | KCAP_FF_NAME,
	    "one mount as source:dest:mode:rdwr:propagation, by number (container.mount[0]) or "
	    "source, a glob (container.mount[/var/*]); none if there is no such mount" CT },
	  F_CT_MOUNT },
	{ { "container.mount.source", S, KCAP_FF_INDEX | KCAP_FF_NAME,
	    "a mount's source, by number or destination (container.mount.source[/etc])" CT },
	  F_CT_MOUNT_SOURCE },
	{ { "container.mount.dest", S, KCAP_FF_INDEX | KCAP_FF_NAME,
	    "a mount's destination, by number or source "
	    "(container.mount.dest[/var/run/docker.sock])" CT },
	  F_CT_MOUNT_DEST },
	{ { "container.mount.mode", S, KCAP_FF_INDEX | KCAP_FF_NAME,
	    "a mount's mode, by number or source; empty: kcap does not record it" CT },
	  F_CT_MOUNT_MODE },
	{ { "container.mount.rdwr", S, KCAP_FF_INDEX | KCAP_FF_NAME,
	    "true if a mount is read-write, by number or source" CT },
	  F_CT_MOUNT_RDWR },
	{ { "container.mount.propagation", S, KCAP_FF_INDEX | KCAP_FF_NAME,
	    "a mount's propagation (rprivate, rslave, ...), by number or source" CT },
	  F_CT_MOUNT_PROPAGATION },
	{ { "container.start_ts", I, 0,
	    "container start (docker) or creation (runc, crun) time, ns since the epoch" CT },
	  F_CT_START_TS },
	{ { "k8s.pod.uid", S, 0,
	    "Kubernetes pod UID, from the runtime's state files, else from the cgroup path" },
	  F_K8S_POD_UID },
	{ { "k8s.pod.name", S, 0, "Kubernetes pod name" CT }, F_K8S_POD_NAME },
	{ { "k8s.ns.name", S, 0, "Kubernetes namespace" CT }, F_K8S_NS_NAME },
	{ { "container.ip", S, 0, "container's IP address (docker; CRI-O's pod address)" CT },
	  F_CT_IP },
	{ { "container.cmdline", S, 0,
	    "container's command and arguments (docker, crun, podman, CRI-O; not runc's)" CT },
	  F_CT_CMDLINE },
	{ { "container.healthcheck", S, 0,
	    "docker health check command, NONE when disabled; missing when none is set" CT },
	  F_CT_HEALTHCHECK },
	{ { "k8s.pod.labels", S, 0,
	    "pod labels as key:value, comma-separated, without io.kubernetes.* (CRI-O)" CT },
	  F_K8S_POD_LABELS },
	{ { "k8s.pod.label", S, KCAP_FF_NAME,
	    "one pod label (k8s.pod.label.app, k8s.pod.label[app.kubernetes.io/name]) (CRI-O)" CT },
	  F_K8S_POD_LABEL },
	{ { "k8s.pod.sandbox_id", S, 0, "pod sandbox container id, 12 characters" CT },
	  F_K8S_POD_SANDBOX_ID },
	{ { "k8s.pod.full_sandbox_id", S, 0, "pod sandbox container id" CT },
	  F_K8S_POD_FULL_SANDBOX_ID },
};

#undef S
#undef I
#undef B
#undef P
#undef NA
#undef NA_DRV
#undef CT

const struct kcap_field_info *kcap_field_at(unsigned int i)
{
	return i < sizeof(fields) / sizeof(fields[0]) ? &fields[i].info : NULL;
}

bool kcap__field_stateful(const struct kfieldref *ref)
{
	/* evt.* read the event (and the handle), but the time fields add the
	 * recording's boot-to-wall offset the state keeps */
	return ref->id > F_EVT_HOSTNAME || ref->id == F_EVT_TIME || ref->id == F_EVT_RAWTIME;
}

bool kcap__field_multi(const struct kfieldref *ref)
{
	return (ref->flags & KCAP_FF_ANY) && ref->idx < 0;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

size_t kcap__field_parse(const char *s, struct kfieldref *ref, const char **err)
{
	const struct fdef *best = NULL;
	size_t n = 0, i, bl = 0, used;

	*err = NULL;
	while (name_char(s[n]))
		n++;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t l = strlen(fields[i].info.name);

		if (l <= n && !strncmp(s, fields[i].info.name, l) && (l == n || s[l] == '.') &&
		    l > bl) {
			best = &fields[i];
			bl = l;
		}
	}
	if (!best)
		return 0;
	ref->id = best->id;
	ref->idx = -1;
	ref->arg = NULL;
	ref->name = best->info.name;
	ref->flags = best->info.flags;
	ref->type = best->info.type;
	used = bl;
	if (s[used] == '.' && (best->info.flags & KCAP_FF_NAME) && used + 1 < n) {
		ref->arg = strndup(s + used + 1, n - used - 1);
		return ref->arg ? n : 0;
	}
	if (used != n)
		return 0; /* "proc.name.x" */
	if (s[used] == '[' && (best->info.flags & (KCAP_FF_INDEX | KCAP_FF_NAME))) {
		const char *end = strchr(s + used, ']');
		char *num_end;
		long v;

		if (!end) {
			*err = "missing ']' after the field argument";
			return 0;
		}
		v = strtol(s + used + 1, &num_end, 10);
		if (num_end == end && end > s + used + 1 && v >= 0) {
			ref->idx = (int)v;
		} else if (best->info.flags & KCAP_FF_NAME) {
			ref->arg = strndup(s + used + 1, (size_t)(end - s - used - 1));
		} else {
			*err = "the field argument must be a number";
			return 0;
		}
		return (size_t)(end - s) + 1;
	}
	if (best->id == F_EVT_ARG || best->id == F_EVT_RAWARG) {
		*err = "evt.arg needs a parameter name (evt.arg.path) or position (evt.arg[1])";
		return 0;
	}
	return used;
}

/* ---- Extraction ------------------------------------------------------------------ */

void kcap__evctx_init(struct kevctx *c, struct kcap_state *st, struct kcap *h,
		      const struct kcap_event_hdr *ev, __u64 num)
{
	c->st = st;
	c->h = h;
	c->ev = ev;
	c->desc = kcap_handle_event_desc(h, ev->type);
	c->th = st && ev->tid ? kcap__thread(st, ev->tid) : NULL;
	c->ctm = NULL;
	c->ctm_done = false;
	c->fd = NULL;
	c->fd_done = false;
	c->type_name = NULL;
	c->open_rw = -1;
	c->aux = NULL;
	c->key_state = 0;
	c->num = num;
	c->nbuf = 0;
	memset(c->fc_done, 0, sizeof(c->fc_done));
	c->nkeep = 0;
}

static char *scratch(struct kevctx *c)
{
	return c->buf[c->nbuf++ % 4];
}

/* The table row describing record parameter @i: a generic syscall's
 * result is the record's last parameter and the row's last (ABI 3). */
static unsigned int desc_idx(const struct kevctx *c, unsigned int i)
{
	if (c->ev->type == KCAP_EVT_SYSCALL && i + 1 == c->ev->nparams && c->desc->nparams)
		return c->desc->nparams - 1;
	return i;
}

static int param_idx(const struct kevctx *c, const char *name)
{
	unsigned int i;

	if (!c->desc)
		return -1;
	/* A generic syscall: nr, the arguments it takes (ABI 3), res last. */
	if (kcap__generic(c->ev))
		return kcap__generic_idx(c->ev, name);
	/* the first letter spares most strcmp() calls */
	for (i = 0; i < c->desc->nparams && i < c->ev->nparams; i++)
		if (c->desc->params[i].name[0] == name[0] && !strcmp(c->desc->params[i].name, name))
			return (int)i;
	return -1;
}

/* The parameter named kcap__pnames[@k] (a name the row's aux looked up
 * once), -1 if the event has none. */
static int pidx_of(struct kevctx *c, enum kcap__pname k)
{
	int i;

	if (!c->desc)
		return -1;
	if (kcap__generic(c->ev))
		return kcap__generic_idx(c->ev, kcap__pnames[k]);
	if (!c->aux)
		c->aux = kcap__aux_cached(&c->auxc, c->h, c->ev->type, c->desc, &c->pscratch);
	i = c->aux->pidx[k];
	return i < (int)c->ev->nparams ? i : -1;
}

/* kcap_event_s64() of parameter @i, false if there is none (@i < 0). */
static bool ev_s64(const struct kevctx *c, int i, __s64 *v)
{
	return i >= 0 && !kcap_event_s64(c->ev, (unsigned int)i, v);
}

const char *kcap__evt_type(struct kevctx *c)
{
	int nr;

	switch (c->ev->type) {
	case KCAP_EVT_SYSCALL:
	case KCAP_EVT_SYSCALL_ENTER:
		nr = kcap_event_syscall_nr(c->ev);
		if (nr >= 0) {
			const char *n = kcap_syscall_name(
				(unsigned int)nr,
				c->ev->flags & KCAP_EVF_COMPAT ? KCAP_SC_IA32 : KCAP_SC_X86_64);
			if (n)
				return n;
		}
		return "syscall";
	case KCAP_EVT_PROC_EXEC:
		return "execve";
	case KCAP_EVT_PROC_EXIT:
		return "procexit";
	default:
		return c->desc ? c->desc->name : "unknown";
	}
}

static struct kkeyname key_names[KEVT_KEYS];
static pthread_once_t key_names_once = PTHREAD_ONCE_INIT;

static void key_names_init(void)
{
	const struct kcap_event_desc *d;
	unsigned int k;

	/* as kcap__evt_type() names an event of each key */
	for (k = 1; k < 256 && k < KCAP_EVT_NR; k++) {
		if (k == KCAP_EVT_SYSCALL || k == KCAP_EVT_SYSCALL_ENTER)
			continue; /* their events have the keys of their numbers */
		if (k == KCAP_EVT_PROC_EXEC)
			key_names[k].s = "execve";
		else if (k == KCAP_EVT_PROC_EXIT)
			key_names[k].s = "procexit";
		else if ((d = kcap_event_desc(k)) && d->name)
			key_names[k].s = d->name;
	}
	for (k = 256; k < KEVT_KEYS; k++)
		key_names[k].s = kcap_syscall_name(k - 256, KCAP_SC_X86_64) ?: "syscall";
	for (k = 0; k < KEVT_KEYS; k++)
		if (key_names[k].s)
			key_names[k].len = strlen(key_names[k].s);
}

const struct kkeyname *kcap__key_names(void)
{
	pthread_once(&key_names_once, key_names_init);
	return key_names;
}

bool kcap__evctx_key_exact(struct kevctx *c)
{
	const struct kcap_event_hdr *ev = c->ev;
	bool exact;

	if (c->key_state == 0)
		c->key = kcap__evt_key(ev);
	if (!c->key) {
		exact = false; /* not a key of one name */
	} else if (ev->type == KCAP_EVT_SYSCALL || ev->type == KCAP_EVT_SYSCALL_ENTER) {
		/* the x86_64 name of the number (an ia32 call is named from its table) */
		exact = !(ev->flags & KCAP_EVF_COMPAT);
	} else if (ev->type == KCAP_EVT_PROC_EXEC || ev->type == KCAP_EVT_PROC_EXIT) {
		exact = true;
	} else {
		/* a decoded type is named by the row it is read with */
		if (!c->aux && c->desc)
			c->aux = kcap__aux_cached(&c->auxc, c->h, ev->type, c->desc, &c->pscratch);
		exact = c->desc && c->aux->builtin_name;
	}
	c->key_exact = exact;
	c->key_state = 2;
	return exact;
}

static bool evt_res(const struct kevctx *c, __s64 *res)
{
	if (c->ev->type == KCAP_EVT_SYSCALL) {
		struct kcap_syscall sc;

		if (kcap_event_syscall(c->ev, &sc) || !sc.has_res)
			return false;
		*res = sc.res;
		return true;
	}
	return c->desc && (c->desc->flags & KCAP_EDF_DECODED) && kcap_event_res(c->ev, res) == 0;
}

static bool is_open(unsigned int type)
{
	return type == KCAP_EVT_OPEN || type == KCAP_EVT_OPENAT || type == KCAP_EVT_OPENAT2 ||
	       type == KCAP_EVT_CREAT;
}

/* The descriptor the event is about: the one it returns or the one it uses. */
static struct kfd *event_fd(struct kevctx *c)
{
	unsigned int t = c->ev->type;
	__s64 res = -1, fd;
	int i;

	if (c->fd_done)
		return c->fd;
	c->fd_done = true;
	evt_res(c, &res);
	if (is_open(t) || t == KCAP_EVT_SOCKET || t == KCAP_EVT_ACCEPT || t == KCAP_EVT_ACCEPT4 ||
	    t == KCAP_EVT_MEMFD_CREATE || t == KCAP_EVT_DUP || t == KCAP_EVT_DUP2 ||
	    t == KCAP_EVT_DUP3) {
		if (res >= 0)
			return c->fd = kcap__fd(c->th, (__s32)res);
		if (!is_open(t))
			return NULL;
		/* a failed open: its path is still what rules look at */
		memset(&c->tmpfd, 0, sizeof(c->tmpfd));
		c->tmpfd.fd = -1;
		c->tmpfd.typechar = 'f';
		i = pidx_of(c, KP_PATH);
		if (i < 0 || kcap_event_str(c->ev, (unsigned int)i, c->tmpname, sizeof(c->tmpname)) <= 0)
			i = pidx_of(c, KP_NAME);
		if (i >= 0 && kcap_event_str(c->ev, (unsigned int)i, c->tmpname, sizeof(c->tmpname)) >= 0)
			c->tmpfd.name = c->tmpname;
		return c->fd = &c->tmpfd;
	}
	i = pidx_of(c, KP_FD);
	if (!ev_s64(c, i, &fd))
		return NULL;
	c->fd = kcap__fd(c->th, (__s32)fd);
	if (!c->fd && fd >= 0) {
		memset(&c->tmpfd, 0, sizeof(c->tmpfd));
		c->tmpfd.fd = (__s32)fd;
		c->tmpfd.typechar = 'o';
		i = pidx_of(c, KP_PATH);
		if (i >= 0 && kcap_event_str(c->ev, (unsigned int)i, c->tmpname, sizeof(c->tmpname)) > 0) {
			c->tmpfd.name = c->tmpname;
			c->tmpfd.typechar = 'f';
		}
		c->fd = &c->tmpfd;
	}
	return c->fd;
}

static bool put_str(struct kval *v, const char *s)
{
	if (!s)
		return false;
	v->type = KCAP_FT_STR;
	v->s = s;
	v->len = strlen(s);
	return true;
}

static bool put_int(struct kval *v, __s64 n)
{
	v->type = KCAP_FT_INT;
	v->n = n;
	return true;
}

static bool put_bool(struct kval *v, bool b)
{
	v->type = KCAP_FT_BOOL;
	v->n = b;
	return true;
}

/* "arg1 arg2 ..." of @t's argv from index @from into @buf. */
static const char *join_args(const struct kthread *t, unsigned int from, const char *first,
			     char *buf, size_t len)
{
	size_t pos = 0, i = 0;
	unsigned int k = 0;

	buf[0] = '\0';
	if (first)
		pos = (size_t)snprintf(buf, len, "%s", first);
	while (t->argv && i < t->argv_len) {
		const char *a = t->argv + i;
		size_t l = strnlen(a, t->argv_len - i);

		if (k++ >= from && pos + 1 < len) {
			if (pos)
				buf[pos++] = ' ';
			if (l > len - 1 - pos)
				l = len - 1 - pos;
			memcpy(buf + pos, a, l);
			pos += l;
			buf[pos] = '\0';
		}
		i += strnlen(a, t->argv_len - i) + 1;
	}
	return buf;
}

static const struct kthread *ancestor(const struct kevctx *c, unsigned int n)
{
	const struct kthread *t = c->th;

	while (t && n--) {
		if (!t->ppid || t->ppid == t->pid)
			return NULL;
		t = kcap__thread(c->st, t->ppid);
	}
	return t;
}

static const char *fd_type_name(char tc)
{
	switch (tc) {
	case 'f':
		return "file";
	case 'd':
		return "directory";
	case '4':
		return "ipv4";
	case '6':
		return "ipv6";
	case 'u':
		return "unix";
	case 'p':
		return "pipe";
	case 'e':
		return "event";
	case 's':
		return "signalfd";
	case 'l':
		return "eventpoll";
	case 'i':
		return "inotify";
	case 't':
		return "timerfd";
	case 'm':
		return "memfd";
	default:
		return "unknown";
	}
}

/* A number as Falco shows it: flags by name (O_WRONLY|O_CREAT), else decimal. */
static const char *arg_text(struct kevctx *c, const struct kcap_param_desc *pd, __s64 n)
{
	struct kcap__out o = { .buf = scratch(c), .len = 4096 };
	enum kcap__sym sym;

	if (c->lastsym.param[0] && c->lastsym.type == c->ev->type && c->lastsym.n == n &&
	    !strcmp(c->lastsym.param, pd->name))
		return strcpy(o.buf, c->lastsym.text);
	sym = kcap__sym_of(c->ev->type, pd->name);
	/* Falco renders chmod's mode by name (evt.arg.mode contains S_ISUID);
	 * kcap's event lines keep the octal number. */
	if (!sym && !strcmp(pd->name, "mode") &&
	    (c->ev->type == KCAP_EVT_CHMOD || c->ev->type == KCAP_EVT_FCHMOD ||
	     c->ev->type == KCAP_EVT_FCHMODAT))
		sym = KCAP__SYM_MODE;

	switch (sym) {
	case KCAP__SYM_OPEN_FLAGS:
	case KCAP__SYM_FD_FLAGS:
	case KCAP__SYM_AT_FLAGS:
	case KCAP__SYM_RENAME_FLAGS:
	case KCAP__SYM_PROT:
	case KCAP__SYM_MAP_FLAGS:
	case KCAP__SYM_CLONE_FLAGS:
	case KCAP__SYM_NS_FLAGS:
	case KCAP__SYM_FAMILY:
	case KCAP__SYM_SOCK_TYPE:
	case KCAP__SYM_SOCK_FLAGS:
	case KCAP__SYM_MSG_FLAGS:
	case KCAP__SYM_MFD_FLAGS:
	case KCAP__SYM_SIGNAL:
	case KCAP__SYM_PTRACE_REQ:
	case KCAP__SYM_MODE:
	case KCAP__SYM_FCNTL_CMD:
	case KCAP__SYM_PRCTL_OPT:
	case KCAP__SYM_SHUT_HOW:
		kcap__put_sym(&o, sym, (__u64)n);
		break;
	default:
		kcap__put_s64(&o, n);
		break;
	}
	o.buf[o.pos < o.len ? o.pos : o.len - 1] = '\0';
	if (strlen(pd->name) < sizeof(c->lastsym.param) && o.pos < sizeof(c->lastsym.text)) {
		c->lastsym.type = c->ev->type;
		c->lastsym.n = n;
		strcpy(c->lastsym.param, pd->name);
		strcpy(c->lastsym.text, o.buf);
	}
	return o.buf;
}

static bool evt_arg(struct kevctx *c, const struct kfieldref *ref, bool raw, struct kval *v)
{
	int i = ref->arg ? param_idx(c, ref->arg) : ref->idx;
	const struct kcap_param_desc *pd;
	struct kcap_sockaddr sa;
	struct kcap_strarray it;
	const char *s;
	size_t l, pos = 0;
	char *buf;
	__s64 n;

	if (i < 0 || !c->desc || (unsigned int)i >= c->ev->nparams ||
	    (unsigned int)i >= c->desc->nparams)
		return false;
	pd = &c->desc->params[desc_idx(c, (unsigned int)i)];
	switch (pd->type) {
	case KCAP_PT_STR:
	case KCAP_PT_PATH:
	case KCAP_PT_BYTES:
		if (raw)
			return false;
		buf = scratch(c);
		kcap_event_str(c->ev, (unsigned int)i, buf, 4096);
		return put_str(v, buf);
	case KCAP_PT_SOCKADDR:
		if (raw || kcap_event_sockaddr(c->ev, (unsigned int)i, &sa))
			return false;
		buf = scratch(c);
		kcap_sockaddr_format(&sa, buf, 4096);
		return put_str(v, buf);
	case KCAP_PT_STRARRAY:
		if (raw || kcap_event_strarray(c->ev, (unsigned int)i, &it))
			return false;
		buf = scratch(c);
		buf[0] = '\0';
		kcap_strarray_for_each(&it, s, l)
		{
			if (pos + l + 2 >= 4096)
				break;
			if (pos)
				buf[pos++] = ' ';
			memcpy(buf + pos, s, l);
			pos += l;
			buf[pos] = '\0';
		}
		return put_str(v, buf);
	default:
		if (kcap_event_s64(c->ev, (unsigned int)i, &n))
			return false;
		if (pd->type == KCAP_PT_U32 || pd->type == KCAP_PT_UID || pd->type == KCAP_PT_GID ||
		    pd->type == KCAP_PT_PID || pd->type == KCAP_PT_SYSCALL_NR)
			n = (__s64)(__u32)n;
		if (raw)
			return put_int(v, n);
		return put_str(v, arg_text(c, pd, n));
	}
}

/* "fd=3 path=/etc/passwd flags=O_RDONLY ..." */
static bool evt_args(struct kevctx *c, struct kval *v)
{
	struct kfieldref r = { .idx = -1 };
	char tmp[4096], *out;
	size_t pos = 0;
	struct kval a;
	unsigned int i;

	tmp[0] = '\0';
	for (i = 0; c->desc && i < c->desc->nparams && i < c->ev->nparams; i++) {
		r.idx = (int)i;
		if (!evt_arg(c, &r, false, &a))
			continue;
		pos += (size_t)snprintf(tmp + pos, sizeof(tmp) - pos, "%s%s=%.*s", pos ? " " : "",
					c->desc->params[desc_idx(c, i)].name, (int)a.len, a.s);
		if (pos >= sizeof(tmp) - 1)
			break;
	}
	out = scratch(c); /* after evt_arg()'s, which take scratch buffers too */
	memcpy(out, tmp, sizeof(tmp));
	return put_str(v, out);
}

/* Bit 0: the open reads, bit 1: it writes (its access mode). */
static int open_rw(struct kevctx *c)
{
	int i;
	__s64 flags = 0;

	if (!is_open(c->ev->type))
		return 0;
	if (c->ev->type == KCAP_EVT_CREAT)
		return 2;
	i = pidx_of(c, KP_FLAGS);
	if (!ev_s64(c, i, &flags))
		return 0;
	switch (flags & 3) {
	case 0:
		return 1;
	case 1:
		return 2;
	default:
		return 3;
	}
}

static bool open_mode(struct kevctx *c, bool write)
{
	if (c->open_rw < 0)
		c->open_rw = (signed char)open_rw(c);
	return c->open_rw & (write ? 2 : 1);
}

/* An open creating a file with an execute bit. */
static bool open_exec(struct kevctx *c)
{
	int fi = pidx_of(c, KP_FLAGS), mi = pidx_of(c, KP_MODE);
	__s64 flags = 0, mode = 0;

	if (!is_open(c->ev->type) || !ev_s64(c, mi, &mode))
		return false;
	if (c->ev->type != KCAP_EVT_CREAT &&
	    (!ev_s64(c, fi, &flags) || !(flags & O_CREAT)))
		return false;
	return (mode & 0111) != 0;
}

/* The capture file's machine, or this one. */
static bool hostname(struct kevctx *c, struct kval *v)
{
	struct kcap_file_info fi;
	char *buf = scratch(c);

	if (c->h && !kcap_file_info(c->h, &fi, sizeof(fi)) && fi.hostname[0])
		snprintf(buf, 4096, "%s", fi.hostname);
	else if (gethostname(buf, 4096))
		return false;
	buf[4095] = '\0';
	return put_str(v, buf);
}

/* evt.*: the event itself. */
static bool field_evt(struct kevctx *c, const struct kfieldref *ref, struct kval *v)
{
	char *buf;
	__s64 res;

	switch (ref->id) {
	case F_EVT_TYPE:
		if (!c->type_name) {
			c->type_name = kcap__evt_type(c);
			c->type_len = strlen(c->type_name);
		}
		v->type = KCAP_FT_STR;
		v->s = c->type_name;
		v->len = c->type_len;
		return true;
	case F_EVT_TIME: {
		__s64 wall = c->st ? c->st->boot_wall_ns + (__s64)c->ev->ts_ns : (__s64)c->ev->ts_ns;
		time_t secs = (time_t)(wall / 1000000000LL);
		struct tm tm;

		buf = scratch(c);
		localtime_r(&secs, &tm);
		snprintf(buf, 4096, "%02d:%02d:%02d.%09lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (long long)(wall % 1000000000LL));
		return put_str(v, buf);
	}
	case F_EVT_RAWTIME:
		return put_int(v, (c->st ? c->st->boot_wall_ns : 0) + (__s64)c->ev->ts_ns);
	case F_EVT_NUM:
		return put_int(v, (__s64)c->num);
	case F_EVT_CPU:
		return put_int(v, c->ev->cpu);
	case F_EVT_RES:
		if (!evt_res(c, &res))
			return false;
		if (res >= 0)
			return put_str(v, "SUCCESS");
		return put_str(v, strerrorname_np((int)-res) ?: "E?");
	case F_EVT_RAWRES:
		return evt_res(c, &res) && put_int(v, res);
	case F_EVT_FAILED:
		return put_bool(v, evt_res(c, &res) && res < 0);
	case F_EVT_DIR:
		return put_str(v, c->ev->type == KCAP_EVT_SYSCALL_ENTER ? ">" : "<");
	case F_EVT_ARG:
		return evt_arg(c, ref, false, v);
	case F_EVT_RAWARG:
		return evt_arg(c, ref, true, v);
	case F_EVT_IS_OPEN_READ:
		return put_bool(v, open_mode(c, false));
	case F_EVT_IS_OPEN_WRITE:
		return put_bool(v, open_mode(c, true));
	case F_EVT_IS_OPEN_EXEC:
		return put_bool(v, open_exec(c));
	case F_EVT_ARGS:
		return evt_args(c, v);
	case F_EVT_HOSTNAME:
		return hostname(c, v);
	default:
		return false;
	}
}

static bool ancestor_field(enum kfield_id id, const struct kthread *a, struct kval *v)
{
	switch (id) {
	case F_PROC_ANAME:
		return put_str(v, a->comm);
	case F_PROC_AEXE:
		return put_str(v, a->argv ? a->argv : a->exe);
	case F_PROC_AEXEPATH:
		return put_str(v, a->exe);
	default:
		return put_int(v, a->pid);
	}
}

/* Capability names by bit (include/uapi/linux/capability.h). */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

/* A capability set as Falco writes it: names separated by spaces. */
static const char *caps_text(__u64 set, char *buf, size_t len)
{
	size_t pos = 0;
	unsigned int i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < 64; i++) {
		if (!(set & (1ULL << i)))
			continue;
		if (i < sizeof(cap_names) / sizeof(cap_names[0]))
			n = snprintf(buf + pos, len - pos, "%s%s", pos ? " " : "", cap_names[i]);
		else
			n = snprintf(buf + pos, len - pos, "%sCAP_%u", pos ? " " : "", i);
		if (n < 0 || (size_t)n >= len - pos)
			break;
		pos += (size_t)n;
	}
	return buf;
}

/* proc.env: "K=V K=V"; proc.env[NAME]: NAME's value (missing if unset). */
static bool proc_env(const struct kthread *t, const char *name, char *buf, size_t len,
		     struct kval *v)
{
	size_t i = 0, pos = 0, nl = name ? strlen(name) : 0;

	if (!t->env)
		return false;
	buf[0] = '\0';
	while (i < t->env_len) {
		const char *a = t->env + i;
		size_t l = strnlen(a, t->env_len - i);

		if (name) {
			if (l > nl && !strncmp(a, name, nl) && a[nl] == '=') {
				snprintf(buf, len, "%.*s", (int)(l - nl - 1), a + nl + 1);
				return put_str(v, buf);
			}
		} else if (l && pos + 2 < len) {
			if (pos)
				buf[pos++] = ' ';
			if (l > len - 1 - pos)
				l = len - 1 - pos;
			memcpy(buf + pos, a, l);
			pos += l;
			buf[pos] = '\0';
		}
		i += strnlen(a, t->env_len - i) + 1;
	}
	return !name && put_str(v, buf);
}

/*
 * The process of @t's lineage (itself or an ancestor, in its pid
 * namespace) whose vpid is @vpid: the session or group leader.
 */
static const struct kthread *leader(const struct kevctx *c, __u32 vpid)
{
	const struct kthread *t = c->th;
	unsigned int n;

	for (n = 0; t && n < MAX_ANCESTORS; n++) {
		if (t->vpid == vpid)
			return t;
		if (!t->ppid || t->ppid == t->pid)
			return NULL;
		t = kcap__thread(c->st, t->ppid);
	}
	return NULL;
}

/* The metadata of the event thread's container, asked once per event. */
static const struct kcap_ct_meta *ct_meta(struct kevctx *c)
{
	if (!c->ctm_done) {
		/* host threads: no call */
		c->ctm = c->st && c->th && c->th->ct.id[0] ? kcap__ct_meta(c->st, c->h, c->th) :
							     NULL;
		c->ctm_done = true;
	}
	return c->ctm;
}

/* Falco's text of a mount: source:dest:mode:rdwr:propagation (kcap does
 * not record docker's mode string: empty). */
static int mount_text(const struct kcap_ct_mount *mt, char *buf, size_t len)
{
	return snprintf(buf, len, "%s:%s::%s:%s", mt->source, mt->dest, mt->rw ? "true" : "false",
			mt->propagation);
}

/* The mount container.mount.*[N] or [path] names: by number, or the
 * first whose source (dest for container.mount.source) matches the glob. */
static const struct kcap_ct_mount *mount_of(const struct kcap_ct_meta *m,
					    const struct kfieldref *ref)
{
	unsigned int i;

	if (ref->idx >= 0)
		return (unsigned int)ref->idx < m->nr_mounts ? &m->mounts[ref->idx] : NULL;
	if (!ref->arg)
		return NULL;
	for (i = 0; i < m->nr_mounts; i++) {
		const char *path = ref->id == F_CT_MOUNT_SOURCE ? m->mounts[i].dest :
								  m->mounts[i].source;

		if (!fnmatch(ref->arg, path, 0))
			return &m->mounts[i];
	}
	return NULL;
}

/* container.mounts: every mount kept that fits in @len bytes. */
static const char *mounts_text(const struct kcap_ct_meta *m, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < m->nr_mounts; i++) {
		if (i && used + 1 < len)
			buf[used++] = ',';
		n = mount_text(&m->mounts[i], buf + used, len - used);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used - (i ? 1 : 0)] = '\0'; /* not cut in the middle of a mount */
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

/* k8s.pod.labels as Falco writes them: key:value (key alone for an empty
 * value) joined by ", ", in key order, without the io.kubernetes.* labels
 * kubelet adds and annotation.* ones; as many as fit in @len bytes. */
static const char *pod_labels_text(const struct kcap_ct_meta *m, char *buf, size_t len)
{
	const char *k = m->pod_labels, *val;
	size_t used = 0;
	unsigned int i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < m->nr_pod_labels; i++, k = val + strlen(val) + 1) {
		val = k + strlen(k) + 1;
		if (!strncmp(k, "io.kubernetes.", 14) || !strncmp(k, "annotation.", 11))
			continue;
		n = snprintf(buf + used, len - used, "%s%s%s%s", used ? ", " : "", k,
			     val[0] ? ":" : "", val);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0'; /* not cut in the middle of a label */
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

/* container.type: the cgroup names the manager (containerd, cri-o, podman,
 * cri); where it says docker only because the id is bare, the state files
 * say which runtime keeps the container (docker, runc, crun). */
static const char *ct_type(struct kevctx *c, const struct kthread *t)
{
	const struct kcap_ct_meta *m;

	if (!t || !t->ct.runtime[0])
		return "host";
	if (strcmp(t->ct.runtime, "docker") || !(m = ct_meta(c)) || !m->runtime[0])
		return t->ct.runtime;
	return m->runtime;
}

/* container.* and k8s.* from the runtimes' state files. */
static bool field_ct(struct kevctx *c, const struct kfieldref *ref, struct kval *v)
{
	const struct kcap_ct_meta *m = ct_meta(c);
	const struct kcap_ct_mount *mt;
	char *buf;

	if (!m)
		return false;
	switch (ref->id) {
	case F_CT_NAME:
		return m->name[0] && put_str(v, m->name);
	case F_CT_IMAGE:
		return m->image[0] && put_str(v, m->image);
	case F_CT_IMAGE_REPO:
		return m->image_repository[0] && put_str(v, m->image_repository);
	case F_CT_IMAGE_TAG:
		return m->image_tag[0] && put_str(v, m->image_tag);
	case F_CT_IMAGE_DIGEST:
		return m->image_digest[0] && put_str(v, m->image_digest);
	case F_CT_IMAGE_ID:
		return m->image_id[0] && put_str(v, m->image_id);
	case F_CT_PRIVILEGED:
		return put_bool(v, m->privileged);
	case F_CT_MOUNTS:
		return put_str(v, mounts_text(m, scratch(c), 4096));
	case F_CT_MOUNT:
		if (ref->idx < 0 && !ref->arg)
			return false;
		if (!(mt = mount_of(m, ref)))
			return put_str(v, "none");
		buf = scratch(c);
		mount_text(mt, buf, 4096);
		return put_str(v, buf);
	case F_CT_MOUNT_SOURCE:
		return (mt = mount_of(m, ref)) && put_str(v, mt->source);
	case F_CT_MOUNT_DEST:
		return (mt = mount_of(m, ref)) && put_str(v, mt->dest);
	case F_CT_MOUNT_MODE:
		return (mt = mount_of(m, ref)) && put_str(v, "");
	case F_CT_MOUNT_RDWR:
		return (mt = mount_of(m, ref)) && put_str(v, mt->rw ? "true" : "false");
	case F_CT_MOUNT_PROPAGATION:
		return (mt = mount_of(m, ref)) && put_str(v, mt->propagation);
	case F_CT_START_TS:
		return m->start_ts && put_int(v, (__s64)m->start_ts);
	case F_K8S_POD_NAME:
		return m->pod_name[0] && put_str(v, m->pod_name);
	case F_K8S_NS_NAME:
		return m->pod_namespace[0] && put_str(v, m->pod_namespace);
	case F_CT_IP:
		return m->ip[0] && put_str(v, m->ip);
	case F_CT_CMDLINE:
		return m->cmdline[0] && put_str(v, m->cmdline);
	case F_CT_HEALTHCHECK:
		return m->healthcheck[0] && put_str(v, m->healthcheck);
	case F_K8S_POD_LABELS:
		return m->has_pod_labels && put_str(v, pod_labels_text(m, scratch(c), 4096));
	case F_K8S_POD_LABEL: {
		const char *val;

		/* Falco: "" for a label the pod does not have */
		if (!m->has_pod_labels || !ref->arg)
			return false;
		val = kcap__ct_pod_label(m, ref->arg);
		return put_str(v, val ? val : "");
	}
	case F_K8S_POD_SANDBOX_ID:
		if (!m->sandbox_id[0])
			return false;
		buf = scratch(c);
		snprintf(buf, 4096, "%.12s", m->sandbox_id);
		return put_str(v, buf);
	case F_K8S_POD_FULL_SANDBOX_ID:
		return m->sandbox_id[0] && put_str(v, m->sandbox_id);
	default:
		return false;
	}
}

/* proc.*, user.*, group.*, container.*, k8s.*: the thread and its ancestors. */
static bool field_proc(struct kevctx *c, const struct kfieldref *ref, unsigned int nth,
		       struct kval *v)
{
	const struct kthread *t = c->th, *a;
	char *buf;

	if (ref->id >= F_PROC_NAME && ref->id <= F_GROUP_GID && !t)
		return false;
	switch (ref->id) {
	case F_PROC_NAME:
		return put_str(v, t->comm);
	case F_PROC_EXE:
		return t->argv ? put_str(v, t->argv) : put_str(v, t->exe);
	case F_PROC_EXEPATH:
		return put_str(v, t->exe);
	case F_PROC_CMDLINE:
		return put_str(v, join_args(t, 1, t->comm, scratch(c), 4096));
	case F_PROC_ARGS:
		return put_str(v, join_args(t, 1, NULL, scratch(c), 4096));
	case F_PROC_PID:
		return put_int(v, t->pid);
	case F_PROC_TID:
		return put_int(v, t->tid);
	case F_PROC_PPID:
		return put_int(v, t->ppid);
	case F_PROC_PNAME:
		return (a = ancestor(c, 1)) && put_str(v, a->comm);
	case F_PROC_PEXE:
		return (a = ancestor(c, 1)) && put_str(v, a->argv ? a->argv : a->exe);
	case F_PROC_PEXEPATH:
		return (a = ancestor(c, 1)) && put_str(v, a->exe);
	case F_PROC_PCMDLINE:
		return (a = ancestor(c, 1)) && put_str(v, join_args(a, 1, a->comm, scratch(c), 4096));
	case F_PROC_ANAME:
	case F_PROC_AEXE:
	case F_PROC_AEXEPATH:
	case F_PROC_APID:
		if (nth >= MAX_ANCESTORS)
			return false;
		a = ancestor(c, ref->idx >= 0 ? (unsigned int)ref->idx : nth + 1);
		return a && ancestor_field(ref->id, a, v);
	case F_PROC_TTY:
		/* the kernel's dev_t (major << 20 | minor) the way Falco and
		 * /proc/PID/stat's tty_nr write it */
		return put_int(v, (t->tty & 0xff) | ((t->tty >> 20) << 8) |
					  ((t->tty & 0xfff00) << 12));
	case F_PROC_CWD:
		if (!t->cwd)
			return false;
		buf = scratch(c);
		snprintf(buf, 4096, "%s%s", t->cwd,
			 t->cwd[0] && t->cwd[strlen(t->cwd) - 1] == '/' ? "" : "/");
		return put_str(v, buf);
	case F_PROC_VPID:
		return put_int(v, t->vpid);
	case F_PROC_SID:
		return t->has_exe_info && put_int(v, t->sid);
	case F_PROC_IS_SID_LEADER:
		return t->has_exe_info && put_bool(v, t->sid == t->vpid);
	case F_PROC_SNAME:
		return t->has_exe_info && (a = leader(c, t->sid)) && put_str(v, a->comm);
	case F_PROC_VPGID:
		return t->has_exe_info && put_int(v, t->vpgid);
	case F_PROC_IS_VPGID_LEADER:
		return t->has_exe_info && put_bool(v, t->vpgid == t->vpid);
	case F_PROC_VPGID_NAME:
		return t->has_exe_info && (a = leader(c, t->vpgid)) && put_str(v, a->comm);
	case F_PROC_VPGID_EXE:
		return t->has_exe_info && (a = leader(c, t->vpgid)) &&
		       put_str(v, a->argv ? a->argv : a->exe);
	case F_PROC_DURATION:
		return t->start_ts && c->ev->ts_ns >= t->start_ts &&
		       put_int(v, (__s64)(c->ev->ts_ns - t->start_ts));
	case F_PROC_ENV:
		return proc_env(t, ref->arg, scratch(c), 4096, v);
	case F_PROC_EXE_INO:
		return t->has_exe_info && put_int(v, (__s64)t->exe_ino);
	case F_PROC_EXE_INO_CTIME:
		return t->has_exe_info && put_int(v, (__s64)t->exe_ctime);
	case F_PROC_EXE_INO_MTIME:
		return t->has_exe_info && put_int(v, (__s64)t->exe_mtime);
	case F_PROC_EXE_INO_CTIME_DPS:
		return t->has_exe_info && t->exe_ctime && t->exec_ts >= t->exe_ctime &&
		       put_int(v, (__s64)(t->exec_ts - t->exe_ctime));
	case F_PROC_IS_EXE_UPPER:
		return t->has_exe_info && put_bool(v, t->exe_flags & KCAP_EXE_UPPER_LAYER);
	case F_PROC_IS_EXE_MEMFD:
		return t->has_exe_info && put_bool(v, t->exe_flags & KCAP_EXE_FROM_MEMFD);
	case F_THREAD_CAP_EFFECTIVE:
	case F_THREAD_CAP_PERMITTED:
	case F_THREAD_CAP_INHERITABLE:
		return t->has_caps &&
		       put_str(v, caps_text(t->cap[ref->id == F_THREAD_CAP_INHERITABLE ? 0 :
					   ref->id == F_THREAD_CAP_PERMITTED   ? 1 :
										 2],
					   scratch(c), 4096));
	case F_USER_UID:
		return put_int(v, t->euid);
	case F_USER_NAME:
		return put_str(v, kcap__user_name(c->st, t->euid));
	case F_USER_LOGINUID:
		return put_int(v, t->loginuid == NOVAL ? -1 : (__s64)t->loginuid);
	case F_USER_LOGINNAME:
		return t->loginuid != NOVAL && put_str(v, kcap__user_name(c->st, t->loginuid));
	case F_GROUP_GID:
		return put_int(v, t->gid);
	case F_GROUP_NAME:
		return put_str(v, kcap__group_name(c->st, t->gid));
	case F_CONTAINER_ID:
		return put_str(v, t ? t->ct.short_id : "host");
	case F_CONTAINER_FULL_ID:
		return put_str(v, t && t->ct.id[0] ? t->ct.id : "host");
	case F_CONTAINER_TYPE:
		return put_str(v, ct_type(c, t));
	case F_K8S_POD_UID: {
		const struct kcap_ct_meta *m = ct_meta(c);

		if (m && m->pod_uid[0])
			return put_str(v, m->pod_uid);
		return t && t->ct.pod_uid[0] && put_str(v, t->ct.pod_uid);
	}
	default:
		return field_ct(c, ref, v);
	}
}

static bool is_ip(const struct kfd *f)
{
	return f->typechar == '4' || f->typechar == '6';
}

/* fd.cip, fd.sip, fd.lip, fd.rip, fd.ip and their ports; sip is the client
 * in the state's tuple, dip the server; the local end of an accepted
 * socket is the server. */
static bool fd_tuple(const struct kfd *f, enum kfield_id id, unsigned int nth, struct kval *v)
{
	bool client;

	if (!is_ip(f))
		return false;
	switch (id) {
	case F_FD_LIP:
	case F_FD_LPORT:
		client = !f->accepted && !f->bound;
		break;
	case F_FD_RIP:
	case F_FD_RPORT:
		if (f->bound)
			return false;
		client = f->accepted;
		break;
	case F_FD_IP:
	case F_FD_PORT:
		if (nth > 1)
			return false;
		client = nth == 1; /* the server's end is always known */
		break;
	default:
		client = id == F_FD_CIP || id == F_FD_CPORT;
		break;
	}
	if (f->bound && client)
		return false; /* a bound socket has no client end */
	if (id == F_FD_CPORT || id == F_FD_SPORT || id == F_FD_LPORT || id == F_FD_RPORT ||
	    id == F_FD_PORT)
		return put_int(v, client ? f->sport : f->dport);
	put_str(v, client ? f->sip : f->dip);
	v->type = KCAP_FT_IP;
	return v->len > 0;
}

/* The path as the open named it; else the descriptor's name. */
static bool fd_nameraw(struct kevctx *c, const struct kfd *f, struct kval *v)
{
	int i = pidx_of(c, KP_NAME);
	char *buf;

	if (is_open(c->ev->type) && i >= 0) {
		buf = scratch(c);
		if (kcap_event_str(c->ev, (unsigned int)i, buf, 4096) > 0)
			return put_str(v, buf);
	}
	return (f->typechar == 'f' || f->typechar == 'd') && put_str(v, f->name);
}

/* fd.*: the descriptor the event is about. */
static bool field_fd(struct kevctx *c, const struct kfieldref *ref, unsigned int nth,
		     struct kval *v)
{
	const struct kfd *f;
	char *buf;

	f = event_fd(c);
	if (!f)
		return false;
	switch (ref->id) {
	case F_FD_NUM:
		return put_int(v, f->fd);
	case F_FD_NAME:
		return put_str(v, f->name);
	case F_FD_TYPE:
		return put_str(v, fd_type_name(f->typechar));
	case F_FD_TYPECHAR:
		c->typechar[0] = f->typechar;
		c->typechar[1] = '\0';
		return put_str(v, c->typechar);
	case F_FD_DIRECTORY:
	case F_FD_FILENAME: {
		const char *slash;

		if ((f->typechar != 'f' && f->typechar != 'd') || !f->name)
			return false;
		slash = strrchr(f->name, '/');
		if (ref->id == F_FD_FILENAME)
			return put_str(v, slash ? slash + 1 : f->name);
		if (!slash)
			return false;
		/* the path up to its last slash, kept for the event */
		buf = scratch(c);
		v->type = KCAP_FT_STR;
		v->len = slash == f->name ? 1 : (size_t)(slash - f->name);
		v->len = v->len < 4096 ? v->len : 4095;
		memcpy(buf, f->name, v->len);
		buf[v->len] = '\0';
		v->s = buf;
		return true;
	}
	case F_FD_CIP:
	case F_FD_SIP:
	case F_FD_LIP:
	case F_FD_RIP:
	case F_FD_IP:
	case F_FD_CPORT:
	case F_FD_SPORT:
	case F_FD_LPORT:
	case F_FD_RPORT:
	case F_FD_PORT:
		return fd_tuple(f, ref->id, nth, v);
	case F_FD_NAMERAW:
		return fd_nameraw(c, f, v);
	case F_FD_CONNECTED:
		return is_ip(f) && put_bool(v, !f->bound && (f->dport || f->dip[0]));
	case F_FD_SOCKFAMILY:
		return (is_ip(f) || f->typechar == 'u') && put_str(v, is_ip(f) ? "ip" : "unix");
	case F_FD_L4PROTO:
		if (!is_ip(f))
			return false;
		return put_str(v, f->l4 == IPPROTO_TCP ? "tcp" :
				  f->l4 == IPPROTO_UDP ? "udp" :
				  f->l4 == 255	       ? "raw" :
							 "unknown");
	default:
		return false;
	}
}

static bool extract(struct kevctx *c, const struct kfieldref *ref, unsigned int nth,
		    struct kval *v)
{
	if (ref->id <= F_EVT_HOSTNAME)
		return field_evt(c, ref, v);
	if (ref->id >= F_FD_NUM && ref->id <= F_FD_SOCKFAMILY)
		return field_fd(c, ref, nth, v);
	return field_proc(c, ref, nth, v);
}

/* Keeps @v as the event's value of its field: a text in a scratch buffer
 * (which the next values reuse) is copied to c->keep first; false if it
 * does not fit, and the field is extracted again when asked. */
static bool keep_value(struct kevctx *c, struct kval *v)
{
	/* the scratch buffers as one array (c->buf[0] + sizeof(c->buf) would
	 * index c->buf[0] past its end: undefined, UBSan's bounds check) */
	const char *lo = (const char *)c->buf, *hi = lo + sizeof(c->buf);

	if ((v->type == KCAP_FT_STR || v->type == KCAP_FT_IP) && v->s >= lo && v->s < hi) {
		if (v->len >= sizeof(c->keep) - c->nkeep)
			return false;
		memcpy(c->keep + c->nkeep, v->s, v->len);
		c->keep[c->nkeep + v->len] = '\0';
		v->s = c->keep + c->nkeep;
		c->nkeep += v->len + 1;
	}
	return true;
}

bool kcap__field_get(struct kevctx *c, const struct kfieldref *ref, unsigned int nth,
		     struct kval *v)
{
	unsigned int w = ref->id / 64;
	__u64 bit = 1ULL << (ref->id % 64);
	bool ok;

	if ((nth && !kcap__field_multi(ref)) || (ref->flags & KCAP_FF_NODATA))
		return false;
	/* evt.arg.NAME, proc.aname[2], the second ancestor: not kept */
	if (nth || ref->idx >= 0 || ref->arg)
		return extract(c, ref, nth, v);
	if (c->fc_done[w] & bit) {
		if (!(c->fc_ok[w] & bit))
			return false;
		*v = c->fc[ref->id];
		return true;
	}
	ok = extract(c, ref, 0, v);
	if (ok && !keep_value(c, v))
		return true;
	c->fc_done[w] |= bit;
	if (ok) {
		c->fc_ok[w] |= bit;
		c->fc[ref->id] = *v;
	} else {
		c->fc_ok[w] &= ~bit;
	}
	return ok;
}

size_t kcap__field_render(struct kevctx *c, const struct kfieldref *ref, char *buf, size_t len)
{
	struct kval v;
	int n;

	if (!kcap__field_get(c, ref, 0, &v))
		n = snprintf(buf, len, "<NA>");
	else if (v.type == KCAP_FT_INT)
		n = snprintf(buf, len, "%lld", (long long)v.n);
	else if (v.type == KCAP_FT_BOOL)
		n = snprintf(buf, len, "%s", v.n ? "true" : "false");
	else
		n = snprintf(buf, len, "%.*s", (int)v.len, v.s);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}
