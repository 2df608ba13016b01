// SPDX-License-Identifier: Apache-2.0
/*
 * kcap profile: the learned model and its path generalisation (profile.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcap.h"
#include "profile.h"

void prof_init(struct prof *p)
{
	memset(p, 0, sizeof(*p));
}

void prof_release(struct prof *p)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++) {
		free(p->files[i].glob);
		free(p->files[i].target);
	}
	free(p->files);
	memset(p, 0, sizeof(*p));
}

int prof_child_name(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t i;

	if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) >= len)
		return -EINVAL;
	for (i = 0; base[i]; i++) {
		char c = base[i];

		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", c) ||
		    (!i && (c == '.' || c == '-')))
			c = '_';
		buf[i] = c;
	}
	buf[i] = '\0';
	return 0;
}

/* ---- Generalisation ------------------------------------------------------------ */

/* Appends @n bytes of @s to out[*o], escaping AppArmor's special characters. */
static int put_lit(char *out, size_t len, size_t *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strchr("*?[]{}^\\\"", s[i]) || (s[i] == '@' && s[i + 1] == '{')) {
			if (*o + 1 >= len)
				return -ENAMETOOLONG;
			out[(*o)++] = '\\';
		}
		if (*o + 1 >= len)
			return -ENAMETOOLONG;
		out[(*o)++] = s[i];
	}
	return 0;
}

static int put_glob(char *out, size_t len, size_t *o, const char *g)
{
	size_t n = strlen(g);

	if (*o + n >= len)
		return -ENAMETOOLONG;
	memcpy(out + *o, g, n);
	*o += n;
	return 0;
}

static bool is_sep(char c)
{
	return c == '.' || c == '-' || c == '_';
}

/* A 6-character mkstemp suffix at s[0..5] (the caller checked the separators). */
static bool looks_random6(const char *s)
{
	int up = 0, lo = 0, dig = 0, i;

	for (i = 0; i < 6; i++) {
		if (isupper((unsigned char)s[i]))
			up = 1;
		else if (islower((unsigned char)s[i]))
			lo = 1;
		else if (isdigit((unsigned char)s[i]))
			dig = 1;
		else
			return false;
	}
	return up + lo + dig >= 2;
}

/* One name below a temporary directory, s[0..n), with the per-run rules. */
static int put_temp_name(char *out, size_t len, size_t *o, const char *s, size_t n,
			 unsigned int pid)
{
	char pidstr[16];
	size_t i = 0, pl;
	int err;

	pl = (size_t)snprintf(pidstr, sizeof(pidstr), "%u", pid);
	while (i < n) {
		bool start = i == 0 || is_sep(s[i - 1]);

		if (isdigit((unsigned char)s[i]) && (i == 0 || !isdigit((unsigned char)s[i - 1]))) {
			size_t j = i;

			while (j < n && isdigit((unsigned char)s[j]))
				j++;
			if (j - i >= 5 || (pid && j - i == pl && !memcmp(s + i, pidstr, pl))) {
				err = put_glob(out, len, o, "[0-9]*");
				if (err)
					return err;
				i = j;
				continue;
			}
		}
		if (start && i + 6 <= n && (i + 6 == n || is_sep(s[i + 6])) && looks_random6(s + i)) {
			err = put_glob(out, len, o, "??????");
			if (err)
				return err;
			i += 6;
			continue;
		}
		err = put_lit(out, len, o, s + i, 1);
		if (err)
			return err;
		i++;
	}
	return 0;
}

static const char *const temp_dirs[] = { "/tmp/", "/var/tmp/", "/dev/shm/", "/run/" };

/* "/proc/N" + "/" or end at @s: the length of the "N" part, else 0. */
static size_t proc_number(const char *s)
{
	size_t n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	return n && (s[n] == '/' || !s[n]) ? n : 0;
}

int prof_generalise(const char *path, unsigned int pid, char *out, size_t len)
{
	size_t o = 0, n, i;
	const char *s = path;
	int err;

	if (!len)
		return -ENAMETOOLONG;
	if (!strncmp(s, "/proc/", 6) && (n = proc_number(s + 6))) {
		err = put_glob(out, len, &o, "/proc/@{pid}");
		if (err)
			return err;
		s += 6 + n;
		if (!strncmp(s, "/task/", 6) && (n = proc_number(s + 6))) {
			err = put_glob(out, len, &o, "/task/@{pid}");
			if (err)
				return err;
			s += 6 + n;
		}
		err = put_lit(out, len, &o, s, strlen(s));
		out[o] = '\0';
		return err;
	}
	for (i = 0; i < sizeof(temp_dirs) / sizeof(temp_dirs[0]); i++) {
		size_t tl = strlen(temp_dirs[i]);

		if (strncmp(s, temp_dirs[i], tl))
			continue;
		err = put_lit(out, len, &o, s, tl);
		s += tl;
		while (!err && *s) {
			const char *slash = strchr(s, '/');

			n = slash ? (size_t)(slash - s) : strlen(s);
			err = put_temp_name(out, len, &o, s, n, pid);
			s += n;
			if (!err && *s) {
				err = put_lit(out, len, &o, "/", 1);
				s++;
			}
		}
		out[o] = '\0';
		return err;
	}
	err = put_lit(out, len, &o, s, strlen(s));
	out[o] = '\0';
	return err;
}

/* ---- The model ------------------------------------------------------------------ */

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct prof_file *)a)->glob, ((const struct prof_file *)b)->glob);
}

int prof_add_file(struct prof *p, const char *path, unsigned int pid, unsigned int perms)
{
	char glob[4096 * 2];
	struct prof_file key = { .glob = glob }, *f;
	size_t lo = 0, hi = p->nfiles;

	if (path[0] != '/' || prof_generalise(path, pid, glob, sizeof(glob)))
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = file_cmp(&key, &p->files[mid]);

		if (!c) {
			p->files[mid].perms |= perms;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (p->nfiles == p->cap_files) {
		size_t cap = p->cap_files ? 2 * p->cap_files : 64;

		f = realloc(p->files, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		p->files = f;
		p->cap_files = cap;
	}
	key.target = NULL;
	key.glob = strdup(glob);
	if (!key.glob)
		return -ENOMEM;
	key.perms = perms;
	memmove(&p->files[lo + 1], &p->files[lo], (p->nfiles - lo) * sizeof(*p->files));
	p->files[lo] = key;
	p->nfiles++;
	return 0;
}

void prof_add_net(struct prof *p, unsigned int family, unsigned int type)
{
	if (family < PROF_NET_FAMILIES && type < PROF_NET_TYPES && prof_family_name(family) &&
	    prof_type_name(type))
		p->net[family][type] = true;
}

void prof_add_cap(struct prof *p, unsigned int cap)
{
	if (cap < PROF_CAPS && prof_cap_name(cap))
		p->caps[cap] = true;
}

int prof_add_syscall(struct prof *p, unsigned int abi, const char *name)
{
	int nr = kcap_syscall_nr(name, abi == PROF_ABI_IA32 ? KCAP_SC_IA32 : KCAP_SC_X86_64);

	if (nr < 0 || nr >= PROF_NR_MAX || abi > PROF_ABI_IA32)
		return -ENOENT;
	p->syscalls[abi][nr] = true;
	if (abi == PROF_ABI_IA32)
		p->seen_ia32 = true;
	return 0;
}

/* ---- Names ---------------------------------------------------------------------- */

/* linux/capability.h's order; AppArmor's names are the lower-case ones. */
static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
	"setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
	"sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
	"audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

/* AppArmor's family names, by AF_* number. */
static const char *const family_names[PROF_NET_FAMILIES] = {
	[1] = "unix", [2] = "inet", [3] = "ax25", [4] = "ipx", [5] = "appletalk",
	[6] = "netrom", [7] = "bridge", [8] = "atmpvc", [9] = "x25", [10] = "inet6",
	[11] = "rose", [13] = "netbeui", [14] = "security", [15] = "key", [16] = "netlink",
	[17] = "packet", [18] = "ash", [19] = "econet", [20] = "atmsvc", [21] = "rds",
	[22] = "sna", [23] = "irda", [24] = "pppox", [25] = "wanpipe", [26] = "llc",
	[27] = "ib", [28] = "mpls", [29] = "can", [30] = "tipc", [31] = "bluetooth",
	[32] = "iucv", [33] = "rxrpc", [34] = "isdn", [35] = "phonet", [36] = "ieee802154",
	[37] = "caif", [38] = "alg", [39] = "nfc", [40] = "vsock", [41] = "kcm", [42] = "qipcrtr",
	[43] = "smc", [44] = "xdp", [45] = "mctp",
};

static const char *const type_names[PROF_NET_TYPES] = {
	[1] = "stream", [2] = "dgram", [3] = "raw", [4] = "rdm", [5] = "seqpacket",
	[6] = "dccp", [10] = "packet",
};

const char *prof_cap_name(unsigned int cap)
{
	return cap < sizeof(cap_names) / sizeof(cap_names[0]) ? cap_names[cap] : NULL;
}

int prof_cap_number(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (!strcmp(name, cap_names[i]))
			return (int)i;
	return -ENOENT;
}

const char *prof_family_name(unsigned int family)
{
	return family < PROF_NET_FAMILIES ? family_names[family] : NULL;
}

int prof_family_number(const char *name)
{
	unsigned int i;

	for (i = 0; i < PROF_NET_FAMILIES; i++)
		if (family_names[i] && !strcmp(name, family_names[i]))
			return (int)i;
	return -ENOENT;
}

const char *prof_type_name(unsigned int type)
{
	return type < PROF_NET_TYPES ? type_names[type] : NULL;
}

int prof_type_number(const char *name)
{
	unsigned int i;

	for (i = 0; i < PROF_NET_TYPES; i++)
		if (type_names[i] && !strcmp(name, type_names[i]))
			return (int)i;
	return -ENOENT;
}

void prof_perms_str(unsigned int perms, char *buf)
{
	char *b = buf;

	if (perms & PROF_M)
		*b++ = 'm';
	if (perms & PROF_R)
		*b++ = 'r';
	if (perms & PROF_W)
		*b++ = 'w';
	else if (perms & PROF_A)
		*b++ = 'a';
	if (perms & PROF_L)
		*b++ = 'l';
	if (perms & PROF_CX) {
		*b++ = 'C';
		*b++ = 'x';
	} else if (perms & PROF_PX) {
		*b++ = 'P';
		*b++ = 'x';
	} else if (perms & PROF_IX) {
		*b++ = 'i';
		*b++ = 'x';
	}
	*b = '\0';
}
