// SPDX-License-Identifier: Apache-2.0
/*
 * Events as kcap.v1.Event messages (protobuf-c). Each event type maps to a
 * family message of proto/kcap/v1/families.proto; a parameter fills the
 * family field of the same name, converted by the field's protobuf type,
 * so a new decoded syscall needs only a row in the family table below
 * (and fields named like its parameters). Unit tests check that every
 * parameter of every event type finds its field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "export.h"
#include "state/state.h"

int export_arena_init(struct export_arena *a, size_t size)
{
	unsigned char *m;

	if (a->size >= size) {
		a->used = 0;
		return 0;
	}
	m = realloc(a->mem, size);
	if (!m)
		return -ENOMEM;
	a->mem = m;
	a->size = size;
	a->used = 0;
	return 0;
}

void export_arena_free(struct export_arena *a)
{
	free(a->mem);
	a->mem = NULL;
	a->size = a->used = 0;
}

void *export_alloc(struct export_arena *a, size_t n)
{
	size_t at = (a->used + 15) & ~(size_t)15;
	void *p;

	if (at > a->size || n > a->size - at)
		return NULL;
	p = a->mem + at;
	a->used = at + n;
	return p;
}

static void *new_msg(struct export_arena *a, const ProtobufCMessageDescriptor *d)
{
	void *m = export_alloc(a, d->sizeof_message);

	if (m)
		protobuf_c_message_init(d, m);
	return m;
}

/* Length of the valid UTF-8 sequence at @s (1..4), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

char *export_utf8(struct export_arena *a, const void *src, size_t len)
{
	const unsigned char *s = src;
	size_t i = 0, o = 0, n;
	char *out;

	/* proto3 strings must be UTF-8 (decoders reject others); paths and
	 * comms are bytes, so an invalid byte is written as U+FFFD. */
	out = export_alloc(a, 3 * len + 1);
	if (!out)
		return NULL;
	while (i < len && s[i]) {
		n = utf8_seq(s + i, len - i);
		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

static Kcap__V1__SockAddr *sockaddr_msg(struct export_arena *a, const struct kcap_event_hdr *ev,
					unsigned int i)
{
	struct kcap_sockaddr sa;
	Kcap__V1__SockAddr *m;
	char ip[INET6_ADDRSTRLEN];
	const void *p;
	__u16 len;
	int err = kcap_event_sockaddr(ev, i, &sa);

	if (err && err != -EAFNOSUPPORT)
		return NULL;
	m = new_msg(a, &kcap__v1__sock_addr__descriptor);
	if (!m)
		return NULL;
	m->family = sa.family;
	if (err) {
		if (kcap_event_param(ev, i, &p, &len) == 0) {
			m->raw.data = (uint8_t *)p;
			m->raw.len = len;
		}
		return m;
	}
	if (sa.family == AF_INET || sa.family == AF_INET6) {
		if (!inet_ntop(sa.family, sa.addr, ip, sizeof(ip)))
			return m;
		m->ip = export_utf8(a, ip, strlen(ip));
		m->port = sa.port;
	} else if (sa.family == AF_UNIX) {
		char *path = export_alloc(a, sa.path_len + 2);

		if (!path)
			return NULL;
		path[0] = '@';
		memcpy(path + sa.abstract, sa.path, sa.path_len);
		m->path = export_utf8(a, path, sa.path_len + sa.abstract);
	}
	return (m->ip || !(sa.family == AF_INET || sa.family == AF_INET6)) ? m : NULL;
}

/* Repeated fields: argv (strarray) and socketpair's fds (two s32). */
static int fill_repeated(struct export_arena *a, ProtobufCMessage *m,
			 const ProtobufCFieldDescriptor *f, const struct kcap_event_hdr *ev,
			 unsigned int i, const void *p, __u16 len)
{
	size_t *n = (size_t *)((char *)m + f->quantifier_offset);
	void **dst = (void **)((char *)m + f->offset);

	if (f->type == PROTOBUF_C_TYPE_STRING) {
		struct kcap_strarray it;
		const char *s;
		size_t slen, count = 0;
		char **v;
		int r;

		if (kcap_event_strarray(ev, i, &it))
			return 0;
		while (kcap_strarray_next(&it, &s, &slen) > 0)
			count++;
		v = export_alloc(a, (count + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		kcap_event_strarray(ev, i, &it);
		count = 0;
		while ((r = kcap_strarray_next(&it, &s, &slen)) > 0) {
			v[count] = export_utf8(a, s, slen);
			if (!v[count++])
				return -ENOMEM;
			if (r == 2 && m->descriptor == &kcap__v1__exec_event__descriptor)
				((Kcap__V1__ExecEvent *)m)->argv_truncated = 1;
		}
		*n = count;
		*dst = v;
	} else if (f->type == PROTOBUF_C_TYPE_INT32) {
		int32_t *v = export_alloc(a, len + 4);

		if (!v)
			return -ENOMEM;
		memcpy(v, p, len);
		*n = len / 4;
		*dst = v;
	}
	return 0;
}

/* Sets field @f of @m from parameter @i of @ev. */
static int fill_field(struct export_arena *a, ProtobufCMessage *m,
		      const ProtobufCFieldDescriptor *f, const struct kcap_event_hdr *ev,
		      unsigned int i)
{
	void *dst = (char *)m + f->offset;
	const void *p;
	__u16 len;
	__s64 s;
	__u64 u;

	if (kcap_event_param(ev, i, &p, &len))
		return -EBADMSG;
	if (!len)
		return 0; /* unreadable (KCAP_EVF_FAULT) or empty: the default */
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return fill_repeated(a, m, f, ev, i, p, len);
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (!kcap_event_s64(ev, i, &s))
			*(int64_t *)dst = s;
		break;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (!kcap_event_s64(ev, i, &s))
			*(int32_t *)dst = (int32_t)s;
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (!kcap_event_u64(ev, i, &u))
			*(uint64_t *)dst = u;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (!kcap_event_u64(ev, i, &u))
			*(uint32_t *)dst = (uint32_t)u;
		break;
	case PROTOBUF_C_TYPE_STRING:
		*(char **)dst = export_utf8(a, p, len);
		if (!*(char **)dst)
			return -ENOMEM;
		break;
	case PROTOBUF_C_TYPE_BYTES:
		((ProtobufCBinaryData *)dst)->data = (uint8_t *)p;
		((ProtobufCBinaryData *)dst)->len = len;
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (f->descriptor == &kcap__v1__sock_addr__descriptor)
			*(void **)dst = sockaddr_msg(a, ev, i);
		break;
	default:
		break;
	}
	return 0;
}

/* Every parameter of @ev into the same-named field of @m. */
static int fill_by_name(struct export_arena *a, ProtobufCMessage *m,
			const struct kcap_event_desc *d, const struct kcap_event_hdr *ev)
{
	const ProtobufCFieldDescriptor *f;
	unsigned int i;
	int err;

	for (i = 0; i < ev->nparams && i < d->nparams; i++) {
		f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
								    d->params[i].name);
		if (!f)
			continue;
		err = fill_field(a, m, f, ev, i);
		if (err)
			return err;
	}
	return 0;
}

#define F(type, body) [KCAP_EVT_##type] = KCAP__V1__EVENT__BODY_##body

/* The family of each event type; 0: PARAMS for decoded syscalls. */
static const unsigned char family_of[KCAP_EVT_NR] = {
	F(DROP, DROP),		 F(SYSCALL, SYSCALL),	   F(SYSCALL_ENTER, SYSCALL),
	F(PROC_FORK, FORK),	 F(PROC_EXEC, EXEC),	   F(PROC_EXIT, EXIT),
	F(EXECVE, EXEC),	 F(EXECVEAT, EXEC),	   F(CLONE, FORK),
	F(CLONE3, FORK),	 F(FORK, FORK),		   F(VFORK, FORK),
	F(KILL, SIGNAL),	 F(TKILL, SIGNAL),	   F(TGKILL, SIGNAL),
	F(PTRACE, PTRACE),	 F(SETUID, SETID),	   F(SETGID, SETID),
	F(SETREUID, SETID),	 F(SETREGID, SETID),	   F(SETRESUID, SETID),
	F(SETRESGID, SETID),	 F(CHROOT, FILE),	   F(OPEN, OPEN),
	F(OPENAT, OPEN),	 F(OPENAT2, OPEN),	   F(CREAT, OPEN),
	F(CLOSE, FILE),		 F(READ, IO),		   F(WRITE, IO),
	F(PREAD64, IO),		 F(PWRITE64, IO),	   F(READV, IO),
	F(WRITEV, IO),		 F(UNLINK, FILE),	   F(UNLINKAT, FILE),
	F(RENAME, FILE),	 F(RENAMEAT, FILE),	   F(RENAMEAT2, FILE),
	F(MKDIR, FILE),		 F(MKDIRAT, FILE),	   F(RMDIR, FILE),
	F(LINK, FILE),		 F(LINKAT, FILE),	   F(SYMLINK, FILE),
	F(SYMLINKAT, FILE),	 F(CHMOD, FILE),	   F(FCHMOD, FILE),
	F(FCHMODAT, FILE),	 F(CHOWN, FILE),	   F(FCHOWN, FILE),
	F(FCHOWNAT, FILE),	 F(LCHOWN, FILE),	   F(TRUNCATE, FILE),
	F(FTRUNCATE, FILE),	 F(DUP, FILE),		   F(DUP2, FILE),
	F(DUP3, FILE),		 F(FCNTL, FILE),	   F(MOUNT, MOUNT),
	F(UMOUNT2, MOUNT),	 F(MEMFD_CREATE, FILE),	   F(CHDIR, FILE),
	F(FCHDIR, FILE),	 F(SOCKET, SOCKET),	   F(CONNECT, NET),
	F(ACCEPT, NET),		 F(ACCEPT4, NET),	   F(BIND, NET),
	F(LISTEN, NET),		 F(SENDTO, IO),		   F(RECVFROM, IO),
	F(SENDMSG, IO),		 F(RECVMSG, IO),	   F(SHUTDOWN, NET),
	F(SOCKETPAIR, SOCKET),	 F(INIT_MODULE, MODULE),   F(FINIT_MODULE, MODULE),
	F(DELETE_MODULE, MODULE),
};

#undef F

const char *kcap__export_family(unsigned int type)
{
	unsigned int body = type < KCAP_EVT_NR ? family_of[type] : 0;
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
		&kcap__v1__event__descriptor, body ? body : KCAP__V1__EVENT__BODY_PARAMS);

	return f ? f->name : "params";
}

static int fill_syscall(struct export_arena *a, Kcap__V1__SyscallEvent *m,
			const struct kcap_event_hdr *ev)
{
	enum kcap_syscall_abi abi = ev->flags & KCAP_EVF_COMPAT ? KCAP_SC_IA32 : KCAP_SC_X86_64;
	struct kcap_syscall sc;
	const char *name;
	char buf[32];
	unsigned int i;

	if (kcap_event_syscall(ev, &sc))
		return 0;
	m->nr = (uint32_t)sc.nr;
	name = kcap_syscall_name((unsigned int)sc.nr, abi);
	if (!name) {
		snprintf(buf, sizeof(buf), "syscall_%d", sc.nr);
		name = buf;
	}
	m->name = export_utf8(a, name, strlen(name));
	m->args = export_alloc(a, 6 * sizeof(*m->args));
	if (!m->name || !m->args)
		return -ENOMEM;
	for (i = 0; i < sc.nargs; i++)
		m->args[m->n_args++] = sc.args[i];
	m->enter = ev->type == KCAP_EVT_SYSCALL_ENTER || (ev->flags & KCAP_EVF_ENTER);
	m->ia32 = !!(ev->flags & KCAP_EVF_COMPAT);
	if (sc.has_res)
		m->res = sc.res;
	return 0;
}

static int fill_params(struct export_arena *a, Kcap__V1__ParamsEvent *m,
		       const struct kcap_event_desc *d, const struct kcap_event_hdr *ev)
{
	unsigned int i, n = ev->nparams < d->nparams ? ev->nparams : d->nparams;
	Kcap__V1__Param *p;
	const void *v;
	__u16 len;
	__s64 s;
	__u64 u;

	m->params = export_alloc(a, n * sizeof(*m->params));
	if (!m->params && n)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct kcap_param_desc *pd = &d->params[i];

		if (i == 0 && !strcmp(pd->name, "res")) {
			if (kcap_event_s64(ev, 0, &s) == 0)
				m->res = s;
			continue;
		}
		if (kcap_event_param(ev, i, &v, &len))
			return -EBADMSG;
		p = new_msg(a, &kcap__v1__param__descriptor);
		if (!p)
			return -ENOMEM;
		p->name = (char *)pd->name;
		switch (pd->type) {
		case KCAP_PT_S32:
		case KCAP_PT_S64:
		case KCAP_PT_ERRNO:
		case KCAP_PT_FD:
			if (kcap_event_s64(ev, i, &s) == 0)
				p->int_value = s, p->value_case = KCAP__V1__PARAM__VALUE_INT_VALUE;
			break;
		case KCAP_PT_U16:
		case KCAP_PT_U32:
		case KCAP_PT_U64:
		case KCAP_PT_PID:
		case KCAP_PT_UID:
		case KCAP_PT_GID:
		case KCAP_PT_SYSCALL_NR:
			if (kcap_event_u64(ev, i, &u) == 0)
				p->uint_value = u, p->value_case = KCAP__V1__PARAM__VALUE_UINT_VALUE;
			break;
		case KCAP_PT_STR:
		case KCAP_PT_PATH:
			p->str = export_utf8(a, v, len);
			if (!p->str)
				return -ENOMEM;
			p->value_case = KCAP__V1__PARAM__VALUE_STR;
			break;
		case KCAP_PT_SOCKADDR:
			p->addr = sockaddr_msg(a, ev, i);
			if (p->addr)
				p->value_case = KCAP__V1__PARAM__VALUE_ADDR;
			break;
		default:
			p->data.data = (uint8_t *)v;
			p->data.len = len;
			p->value_case = KCAP__V1__PARAM__VALUE_DATA;
			break;
		}
		m->params[m->n_params++] = p;
	}
	return 0;
}

/* container.type as the field layer gives it (detect/fields.c ct_type()). */
static const char *ct_type(const struct kcap_container *ct, const struct kcap_ct_meta *m)
{
	if (strcmp(ct->runtime, "docker") || !m || !m->runtime[0])
		return ct->runtime;
	return m->runtime;
}

#define CT_STR(field)                                                          \
	do {                                                                   \
		if (!(c->field = export_utf8(a, m->field, strlen(m->field)))) \
			return -ENOMEM;                                        \
	} while (0)

/* The runtime's metadata of the container into @c. */
static int container_meta(struct export_arena *a, Kcap__V1__Container *c,
			  const struct kcap_ct_meta *m)
{
	unsigned int i;

	CT_STR(name);
	CT_STR(image);
	CT_STR(image_repository);
	CT_STR(image_tag);
	CT_STR(image_digest);
	CT_STR(image_id);
	CT_STR(pod_name);
	CT_STR(pod_namespace);
	CT_STR(sandbox_id);
	CT_STR(ip);
	CT_STR(cmdline);
	CT_STR(healthcheck);
	if (m->nr_pod_labels) {
		const char *k = m->pod_labels;

		c->pod_labels = export_alloc(a, m->nr_pod_labels * sizeof(*c->pod_labels));
		if (!c->pod_labels)
			return -ENOMEM;
		/* "key\0value\0" pairs, within the field (the readers' bound) */
		for (i = 0; i < m->nr_pod_labels && k < m->pod_labels + sizeof(m->pod_labels); i++) {
			size_t kl = strnlen(k, sizeof(m->pod_labels) - (size_t)(k - m->pod_labels));
			const char *v = k + kl + 1;
			size_t vl, room;
			char *kv;

			if (v >= m->pod_labels + sizeof(m->pod_labels))
				break;
			room = sizeof(m->pod_labels) - (size_t)(v - m->pod_labels);
			vl = strnlen(v, room);
			/* as k8s.pod.labels: not kubelet's own (detect/fields.c) */
			if (!strncmp(k, "io.kubernetes.", 14) || !strncmp(k, "annotation.", 11)) {
				k = v + vl + 1;
				continue;
			}
			kv = export_alloc(a, kl + vl + 2);
			if (!kv)
				return -ENOMEM;
			memcpy(kv, k, kl);
			kv[kl] = ':';
			memcpy(kv + kl + 1, v, vl);
			kv[kl + vl + 1] = 0;
			if (!(c->pod_labels[c->n_pod_labels++] = export_utf8(a, kv, kl + vl + 1)))
				return -ENOMEM;
			k = v + vl + 1;
		}
	}
	if (!(c->cri_type = export_utf8(a, m->container_type, strlen(m->container_type))) ||
	    !(c->state_runtime = export_utf8(a, m->runtime, strlen(m->runtime))))
		return -ENOMEM;
	if (!c->pod_uid[0] && m->pod_uid[0] &&
	    !(c->pod_uid = export_utf8(a, m->pod_uid, strlen(m->pod_uid))))
		return -ENOMEM;
	c->privileged = m->privileged;
	c->start_ts = m->start_ts;
	c->mounts_total = m->nr_mounts_total;
	if (!m->nr_mounts || !m->mounts)
		return 0;
	c->mounts = export_alloc(a, m->nr_mounts * sizeof(*c->mounts));
	if (!c->mounts)
		return -ENOMEM;
	for (i = 0; i < m->nr_mounts; i++) {
		const struct kcap_ct_mount *mt = &m->mounts[i];
		Kcap__V1__ContainerMount *o = new_msg(a, &kcap__v1__container_mount__descriptor);

		if (!o)
			return -ENOMEM;
		o->source = export_utf8(a, mt->source, strlen(mt->source));
		o->dest = export_utf8(a, mt->dest, strlen(mt->dest));
		o->propagation = export_utf8(a, mt->propagation, strlen(mt->propagation));
		if (!o->source || !o->dest || !o->propagation)
			return -ENOMEM;
		o->rw = mt->rw;
		c->mounts[c->n_mounts++] = o;
	}
	return 0;
}

#undef CT_STR

/*
 * The container of a cgroup path or /proc/PID/cgroup text (none on the
 * host) and, when @m is known, what its runtime said about it.
 */
static int container_msg(struct export_arena *a, Kcap__V1__Container **out,
			 const struct kcap_container *ct, const struct kcap_ct_meta *m)
{
	Kcap__V1__Container *c;
	const char *type;

	if (!ct->id[0])
		return 0;
	c = new_msg(a, &kcap__v1__container__descriptor);
	if (!c)
		return -ENOMEM;
	type = ct_type(ct, m);
	c->full_id = export_utf8(a, ct->id, strlen(ct->id));
	c->id = export_utf8(a, ct->short_id, strlen(ct->short_id));
	c->runtime = export_utf8(a, ct->runtime, strlen(ct->runtime));
	c->pod_uid = export_utf8(a, ct->pod_uid, strlen(ct->pod_uid));
	c->type = export_utf8(a, type, strlen(type));
	if (!c->full_id || !c->id || !c->runtime || !c->pod_uid || !c->type)
		return -ENOMEM;
	if (m && container_meta(a, c, m))
		return -ENOMEM;
	*out = c;
	return 0;
}

/* The metadata of thread @tid's container: looked up (live) or the
 * recording's (a capture file's container table); NULL if not known. */
static const struct kcap_ct_meta *thread_ct_meta(const struct export_ctx *c, struct kcap *h,
						 __u32 tid)
{
	const struct kthread *t;

	if (!c->state || !(t = kcap__thread(c->state, tid)) || !t->ct.id[0])
		return NULL;
	return kcap__ct_meta(c->state, h, t);
}

static char *str_of(struct export_arena *a, const char *s)
{
	return export_utf8(a, s, strlen(s));
}

size_t export_process_size(const struct export_ctx *c, struct kcap *h,
			   const struct kcap_event_hdr *ev)
{
	const struct kcap_ct_meta *m;
	struct kcap_thread_info t;
	size_t ct = 0;

	if (!c->process || !c->state || kcap_state_thread(c->state, ev->tid, &t, sizeof(t)))
		return 0;
	/* every string up to 3 bytes per byte, and the messages */
	m = thread_ct_meta(c, h, ev->tid);
	if (m)
		ct = 3 * sizeof(*m) + 1024 +
		     m->nr_mounts * (3 * sizeof(struct kcap_ct_mount) + 256);
	/* UTF-8 copies take up to 3 bytes per byte; argv also one pointer
	 * per string (at most one per byte) */
	return 3 * (strlen(t.comm) + strlen(t.exe) + strlen(t.cwd) + strlen(t.cgroup) +
		    strlen(t.user)) +
	       (3 + sizeof(char *)) * t.argv_len + 1024 + ct;
}

/* Event.process and .container from the thread table's view of the thread. */
static int fill_from_thread(struct export_arena *a, Kcap__V1__Event *msg,
			    const struct kcap_thread_info *t, const struct kcap_ct_meta *m)
{
	Kcap__V1__Process *p = msg->process;
	size_t i, n = 0, off;

	p->ppid = t->ppid;
	p->uid = t->uid;
	p->gid = t->gid;
	p->euid = t->euid;
	p->loginuid = t->loginuid;
	p->tty = t->tty;
	p->vpid = t->vpid;
	p->vtid = t->vtid;
	p->comm = str_of(a, t->comm);
	p->exe = str_of(a, t->exe);
	p->cwd = str_of(a, t->cwd);
	p->cgroup = str_of(a, t->cgroup);
	p->user = str_of(a, t->user);
	if (!p->comm || !p->exe || !p->cwd || !p->cgroup || !p->user)
		return -ENOMEM;
	for (i = 0; i < t->argv_len; i++)
		n += !t->argv[i];
	n += t->argv_len && t->argv[t->argv_len - 1]; /* last string without its NUL */
	if (n > 1) {
		p->args = export_alloc(a, (n - 1) * sizeof(*p->args));
		if (!p->args)
			return -ENOMEM;
		off = strnlen(t->argv, t->argv_len) + 1; /* argv[0] is in comm/exe */
		while (off < t->argv_len) {
			size_t len = strnlen(t->argv + off, t->argv_len - off);

			p->args[p->n_args] = export_utf8(a, t->argv + off, len);
			if (!p->args[p->n_args++])
				return -ENOMEM;
			off += len + 1;
		}
	}
	return container_msg(a, &msg->container, &t->container, m);
}

/*
 * The process context: from the thread table when the exporter has one,
 * else what the event carries itself: the new image's comm, exe, argv,
 * cwd, credentials and cgroup on exec, the comm on fork and exit. pid and
 * tid always.
 */
static int fill_process(struct export_arena *a, const struct export_ctx *c, struct kcap *h,
			Kcap__V1__Event *msg, const struct kcap_event_hdr *ev)
{
	Kcap__V1__Process *p = new_msg(a, &kcap__v1__process__descriptor);
	Kcap__V1__ExecEvent *x = msg->exec;
	struct kcap_container ct;
	struct kcap_thread_info t;

	if (!p)
		return -ENOMEM;
	p->pid = ev->pid;
	p->tid = ev->tid;
	msg->process = p;
	if (c->state && kcap_state_thread(c->state, ev->tid, &t, sizeof(t)) == 0)
		return fill_from_thread(a, msg, &t, thread_ct_meta(c, h, ev->tid));
	switch (msg->body_case) {
	case KCAP__V1__EVENT__BODY_EXEC:
		p->comm = x->comm;
		if (ev->type == KCAP_EVT_PROC_EXEC || x->res != 0)
			return 0;
		p->exe = x->exe;
		p->cwd = x->cwd;
		p->uid = x->uid;
		p->gid = x->gid;
		p->euid = x->euid;
		p->loginuid = x->loginuid;
		p->tty = x->tty;
		p->vpid = x->vpid;
		p->vtid = x->vtid;
		p->cgroup = x->cgroup;
		if (x->n_argv > 1) {
			p->n_args = x->n_argv - 1;
			p->args = x->argv + 1;
		}
		kcap_container_from_cgroup(x->cgroup, &ct);
		return container_msg(a, &msg->container, &ct, NULL);
	case KCAP__V1__EVENT__BODY_FORK:
		p->comm = msg->fork->comm;
		return 0;
	case KCAP__V1__EVENT__BODY_EXIT:
		p->comm = msg->exit->comm;
		return 0;
	default:
		return 0;
	}
}

static void set_body(Kcap__V1__Event *msg, unsigned int body, void *sub)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(&kcap__v1__event__descriptor, body);

	*(void **)((char *)msg + f->offset) = sub;
	msg->body_case = (Kcap__V1__Event__BodyCase)body;
}

int export_event_msg(const struct export_ctx *c, struct kcap *h, const struct kcap_event_hdr *ev,
		     struct export_arena *a, Kcap__V1__Event *msg)
{
	const struct kcap_event_desc *d = kcap_handle_event_desc(h, ev->type);
	const ProtobufCFieldDescriptor *bf;
	ProtobufCMessage *sub;
	unsigned int body;
	__s64 res;
	int err;

	kcap__v1__event__init(msg);
	msg->mono_ns = ev->ts_ns;
	msg->time_ns = (uint64_t)(c->boot_wall_ns + (__s64)ev->ts_ns);
	msg->cpu = ev->cpu;
	msg->tid = ev->tid;
	msg->pid = ev->pid;
	msg->source = c->source;
	msg->origin = ev->flags & KCAP_EVF_GVISOR ? KCAP__V1__ORIGIN__ORIGIN_GVISOR
						  : KCAP__V1__ORIGIN__ORIGIN_KERNEL;
	msg->type = ev->type;
	msg->flags = ev->flags;
	if (!d || !d->name) {
		char name[32];

		snprintf(name, sizeof(name), "type_%u", ev->type);
		msg->name = export_utf8(a, name, strlen(name));
		return msg->name ? 0 : -ENOMEM;
	}
	msg->name = (char *)d->name;
	body = ev->type < KCAP_EVT_NR ? family_of[ev->type] : 0;
	if (!body && !(d->flags & KCAP_EDF_DECODED))
		return 0; /* a driver event this schema does not know: common fields */
	if (!body)
		body = KCAP__V1__EVENT__BODY_PARAMS;
	bf = protobuf_c_message_descriptor_get_field(&kcap__v1__event__descriptor, body);
	sub = new_msg(a, bf->descriptor);
	if (!sub)
		return -ENOMEM;
	set_body(msg, body, sub);
	if (body == KCAP__V1__EVENT__BODY_SYSCALL)
		err = fill_syscall(a, msg->syscall, ev);
	else if (body == KCAP__V1__EVENT__BODY_PARAMS)
		err = fill_params(a, msg->params, d, ev);
	else
		err = fill_by_name(a, sub, d, ev);
	if (err)
		return err;
	if (body == KCAP__V1__EVENT__BODY_DROP) {
		Kcap__V1__DropNotice *dn = msg->drop;

		dn->count = dn->lost_bulk + dn->lost_protected;
		dn->reason = dn->lost_protected ? KCAP__V1__DROP_REASON__DROP_REASON_RING_FULL_PROTECTED
						: KCAP__V1__DROP_REASON__DROP_REASON_RING_FULL;
		return 0;
	}
	if (body == KCAP__V1__EVENT__BODY_IO)
		msg->io->direction =
			strstr(d->name, "read") || strstr(d->name, "recv")
				? KCAP__V1__IO_EVENT__DIRECTION__DIRECTION_READ
				: KCAP__V1__IO_EVENT__DIRECTION__DIRECTION_WRITE;
	if (body == KCAP__V1__EVENT__BODY_SYSCALL)
		msg->res = msg->syscall->res;
	else if ((d->flags & KCAP_EDF_DECODED) && kcap_event_res(ev, &res) == 0)
		msg->res = res;
	return c->process ? fill_process(a, c, h, msg, ev) : 0;
}

void export_ctx_init(struct export_ctx *c, struct kcap *h)
{
	struct kcap_file_info fi;
	struct timespec rt, mono;

	memset(c, 0, sizeof(*c));
	c->process = true;
	if (h && kcap_file_info(h, &fi, sizeof(fi)) == 0) {
		c->boot_wall_ns = fi.boot_wall_ns;
		c->source = KCAP__V1__SOURCE__SOURCE_FILE;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	c->boot_wall_ns = (rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
	c->source = KCAP__V1__SOURCE__SOURCE_LIVE;
}

int export_alert_msg(const struct kcap_alert *al, const char *hostname,
		     struct export_arena *a, Kcap__V1__Alert *m)
{
	unsigned int i, nn = 0;

	kcap__v1__alert__init(m);
	m->time_ns = (uint64_t)OPTS_GET(al, time_ns, 0);
	m->rule = export_utf8(a, al->rule ? al->rule : "", al->rule ? strlen(al->rule) : 0);
	m->priority = (Kcap__V1__Priority)((unsigned int)al->priority <= KCAP_PRIO_DEBUG
						   ? (unsigned int)al->priority + 1
						   : 0);
	m->output = export_utf8(a, al->output ? al->output : "",
				al->output ? strlen(al->output) : 0);
	m->source = (char *)(al->source ? al->source : "syscall");
	m->hostname = (char *)(al->hostname ? al->hostname : hostname ? hostname : "");
	if (OPTS_GET(al, flight_file, NULL)) {
		m->flight_file = export_utf8(a, al->flight_file, strlen(al->flight_file));
		if (!m->flight_file)
			return -ENOMEM;
	}
	m->tags = export_alloc(a, (al->nr_tags + 1) * sizeof(*m->tags));
	m->output_fields = export_alloc(a, (al->nr_fields + 1) * sizeof(*m->output_fields));
	m->numeric_fields = export_alloc(a, (al->nr_fields + 1) * sizeof(*m->numeric_fields));
	if (!m->rule || !m->output || !m->tags || !m->output_fields || !m->numeric_fields)
		return -ENOMEM;
	for (i = 0; i < al->nr_tags; i++) {
		m->tags[i] = export_utf8(a, al->tags[i], strlen(al->tags[i]));
		if (!m->tags[i])
			return -ENOMEM;
	}
	m->n_tags = al->nr_tags;
	for (i = 0; i < al->nr_fields; i++) {
		Kcap__V1__Alert__OutputFieldsEntry *e =
			new_msg(a, &kcap__v1__alert__output_fields_entry__descriptor);
		const char *v = al->field_values[i] ? al->field_values[i] : "";

		if (!e)
			return -ENOMEM;
		e->key = export_utf8(a, al->field_names[i], strlen(al->field_names[i]));
		e->value = export_utf8(a, v, strlen(v));
		if (!e->key || !e->value)
			return -ENOMEM;
		m->output_fields[i] = e;
		if (al->field_numeric && al->field_numeric[i])
			m->numeric_fields[nn++] = e->key;
	}
	m->n_output_fields = al->nr_fields;
	m->n_numeric_fields = nn;
	return 0;
}
