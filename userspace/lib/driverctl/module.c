// SPDX-License-Identifier: Apache-2.0
/*
 * The driver as a file and as a loaded module: reading kcap.ko's .modinfo
 * and signature trailer (libelf), the kernel's module-loading policy
 * (sig_enforce, lockdown, Secure Boot), finit_module()/delete_module() with
 * each failure turned into a sentence that says what to do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"

/* The trailer a signed module ends with (scripts/sign-file). */
static const char sig_magic[] = "~Module signature appended~\n";
#define SIG_MAGIC_LEN (sizeof(sig_magic) - 1)

/* struct module_signature of the kernel, just before the magic. */
struct modsig_trailer {
	__u8 algo, hash, id_type, signer_len, key_id_len, pad[3];
	__u32 sig_len; /* big endian */
};

static int set_err(char *buf, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set_err(char *buf, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return -err;
}

/* Copies the value of KEY=value into @dst (first occurrence wins). */
static void modinfo_field(const char *kv, const char *key, char *dst, size_t len)
{
	size_t klen = strlen(key);

	if (!dst[0] && !strncmp(kv, key, klen) && kv[klen] == '=')
		snprintf(dst, len, "%s", kv + klen + 1);
}

static void parse_modinfo(const char *p, size_t n, struct kcap_module_info *mi)
{
	char abi[16] = "";
	const char *end = p + n;
	unsigned int maj, min;

	while (p < end) {
		size_t l = strnlen(p, (size_t)(end - p));

		if (l == (size_t)(end - p))
			break; /* not NUL-terminated: ignore the rest */
		modinfo_field(p, "name", mi->name, sizeof(mi->name));
		modinfo_field(p, "version", mi->version, sizeof(mi->version));
		modinfo_field(p, "srcversion", mi->srcversion, sizeof(mi->srcversion));
		modinfo_field(p, "license", mi->license, sizeof(mi->license));
		modinfo_field(p, "vermagic", mi->vermagic, sizeof(mi->vermagic));
		modinfo_field(p, "kcap_abi", abi, sizeof(abi));
		p += l + 1;
	}
	snprintf(mi->release, sizeof(mi->release), "%.*s", (int)strcspn(mi->vermagic, " "),
		 mi->vermagic);
	if (sscanf(abi, "%u.%u", &maj, &min) == 2 && maj <= 0xffff && min <= 0xffff) {
		mi->flags |= KCAP_MODULE_HAS_ABI;
		mi->abi_major = (__u16)maj;
		mi->abi_minor = (__u16)min;
	}
}

/* Reads the signature trailer, if any, at the end of the open file @fd. */
static void read_signature(int fd, struct kcap_module_info *mi)
{
	char tail[sizeof(struct modsig_trailer) + SIG_MAGIC_LEN];
	struct modsig_trailer t;
	off_t size = (off_t)mi->file_size;

	if (size < (off_t)sizeof(tail) ||
	    pread(fd, tail, sizeof(tail), size - (off_t)sizeof(tail)) != (ssize_t)sizeof(tail))
		return;
	if (memcmp(tail + sizeof(t), sig_magic, SIG_MAGIC_LEN))
		return;
	memcpy(&t, tail, sizeof(t));
	mi->flags |= KCAP_MODULE_SIGNED;
	mi->sig_id_type = t.id_type;
	mi->sig_len = __builtin_bswap32(t.sig_len);
}

int kcap_module_inspect(const char *path, struct kcap_module_info *info, size_t sz,
			const struct kcap_module_opts *opts)
{
	char *errbuf = OPTS_GET(opts, errbuf, NULL);
	size_t errbuf_sz = OPTS_GET(opts, errbuf_sz, 0);
	struct kcap_module_info mi;
	struct stat st;
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t shstrndx;
	bool found = false;
	int fd, err = 0;

	if (!path || !info || !sz ||
	    (opts && (opts->sz < sizeof(size_t) || !kcap__opts_valid(opts, sizeof(*opts), opts->sz))))
		return set_err(errbuf, errbuf_sz, EINVAL, "kcap_module_inspect: bad arguments");
	memset(&mi, 0, sizeof(mi));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = errno;
		if (fd >= 0)
			close(fd);
		return set_err(errbuf, errbuf_sz, err, "%s: %s", path, strerror(err));
	}
	mi.file_size = (__u64)st.st_size;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		err = set_err(errbuf, errbuf_sz, ENOSYS, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		err = set_err(errbuf, errbuf_sz, ENOEXEC,
			      "%s: not a kernel module: not an ELF file (truncated or damaged?)", path);
		goto out;
	}
	if (eh.e_type != ET_REL || eh.e_machine != EM_X86_64) {
		err = set_err(errbuf, errbuf_sz, ENOEXEC,
			      "%s: not an x86_64 kernel module (ELF type %u, machine %u)", path,
			      eh.e_type, eh.e_machine);
		goto out;
	}
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		err = set_err(errbuf, errbuf_sz, ENOEXEC, "%s: damaged ELF section table: %s", path,
			      elf_errmsg(-1));
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			break;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".modinfo"))
			continue;
		if (sh.sh_offset + sh.sh_size > mi.file_size || !(d = elf_getdata(scn, NULL)) ||
		    !d->d_buf) {
			err = set_err(errbuf, errbuf_sz, ENOEXEC,
				      "%s: .modinfo section cut short (truncated file?)", path);
			goto out;
		}
		parse_modinfo(d->d_buf, d->d_size, &mi);
		found = true;
		break;
	}
	if (!found || !mi.vermagic[0]) {
		err = set_err(errbuf, errbuf_sz, ENOEXEC,
			      "%s: not a kernel module: no .modinfo with a vermagic (truncated or damaged?)",
			      path);
		goto out;
	}
	read_signature(fd, &mi);
	memset(info, 0, sz);
	memcpy(info, &mi, sz < sizeof(mi) ? sz : sizeof(mi));
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* Reads the first line of @path into @buf without the newline; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	buf[0] = 0;
	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/* The sessions file, whole (it fits: the driver keeps it under a page). */
static void read_sessions(struct kcap_driver_status *s)
{
	FILE *f = fopen("/sys/class/misc/kcap/sessions", "re");
	size_t n;

	if (!f)
		return;
	n = fread(s->sessions, 1, sizeof(s->sessions) - 1, f);
	s->sessions[n] = 0;
	fclose(f);
	for (n = 0; s->sessions[n]; n++)
		if (s->sessions[n] == '\n')
			s->nr_sessions++;
}

static int read_flag(const char *path)
{
	char v[16];

	if (!read_line(path, v, sizeof(v)))
		return -1;
	return v[0] == 'Y' || v[0] == '1';
}

/* The UEFI SecureBoot variable: 4 attribute bytes, then the value. */
static int secure_boot_state(void)
{
	unsigned char v[5];
	int fd = open("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
		      O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return access("/sys/firmware/efi", F_OK) ? 0 : -1;
	n = read(fd, v, sizeof(v));
	close(fd);
	return n == (ssize_t)sizeof(v) ? v[4] == 1 : -1;
}

int kcap_kernel_state(struct kcap_kernel_state *ks, size_t sz)
{
	struct kcap_kernel_state k;
	struct utsname u;
	char lock[128], *a, *b;

	if (!ks || !sz)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	if (!uname(&u))
		snprintf(k.release, sizeof(k.release), "%s", u.release);
	k.modules = access("/proc/modules", F_OK) == 0;
	k.sig_enforce = read_flag("/sys/module/module/parameters/sig_enforce");
	k.modules_disabled = read_flag("/proc/sys/kernel/modules_disabled");
	k.secure_boot = secure_boot_state();
	/* "[none] integrity confidentiality": the bracketed one is in force. */
	if (read_line("/sys/kernel/security/lockdown", lock, sizeof(lock)) &&
	    (a = strchr(lock, '[')) && (b = strchr(a, ']')))
		snprintf(k.lockdown, sizeof(k.lockdown), "%.*s", (int)(b - a - 1), a + 1);
	memset(ks, 0, sz);
	memcpy(ks, &k, sz < sizeof(k) ? sz : sizeof(k));
	return 0;
}

int kcap_driver_status(struct kcap_driver_status *st, size_t sz)
{
	struct kcap_driver_status s;
	char path[512], val[128];
	struct dirent **names;
	size_t used = 0;
	int n, i;

	if (!st || !sz)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.refcnt = -1;
	s.loaded = access("/sys/module/kcap", F_OK) == 0;
	if (s.loaded) {
		read_line("/sys/module/kcap/version", s.version, sizeof(s.version));
		read_line("/sys/module/kcap/srcversion", s.srcversion, sizeof(s.srcversion));
		if (read_line("/sys/module/kcap/refcnt", val, sizeof(val)))
			s.refcnt = atoi(val);
		read_line("/sys/class/misc/kcap/holder", s.holder, sizeof(s.holder));
		read_sessions(&s);
		n = scandir("/sys/module/kcap/parameters", &names, NULL, alphasort);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "/sys/module/kcap/parameters/%s",
				 names[i]->d_name);
			if (names[i]->d_name[0] != '.' && read_line(path, val, sizeof(val)) &&
			    used < sizeof(s.params))
				used += (size_t)snprintf(s.params + used, sizeof(s.params) - used,
							 "%s%s=%s", used ? " " : "",
							 names[i]->d_name, val);
			free(names[i]);
		}
		if (n >= 0)
			free(names);
	}
	memset(st, 0, sz);
	memcpy(st, &s, sz < sizeof(s) ? sz : sizeof(s));
	return 0;
}

int kcap_module_find(const char *release, char *path, size_t len)
{
	char dep[256], line[1024];
	struct utsname u;
	FILE *f;
	int err = -ENOENT;

	if (!path || !len)
		return -EINVAL;
	if (!release) {
		if (uname(&u))
			return -errno;
		release = u.release;
	}
	/* modules.dep, as modprobe reads it: "updates/dkms/kcap.ko: deps". */
	snprintf(dep, sizeof(dep), "/lib/modules/%s/modules.dep", release);
	f = fopen(dep, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *base;

		if (!colon)
			continue;
		*colon = 0;
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		if (strcmp(base, "kcap.ko"))
			continue;
		if (line[0] == '/')
			snprintf(path, len, "%s", line);
		else
			snprintf(path, len, "/lib/modules/%s/%s", release, line);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* Explains a failed finit_module() in one sentence in @buf; returns -err. */
static int explain_load(int err, const char *path, const struct kcap_module_info *mi,
			const struct kcap_kernel_state *ks, char *buf, size_t len)
{
	struct kcap_driver_status ds;
	bool sig_required = ks->sig_enforce == 1 || ks->secure_boot == 1 ||
			    (ks->lockdown[0] && strcmp(ks->lockdown, "none"));
	const char *why = ks->sig_enforce == 1 ? "module.sig_enforce=1" :
			  ks->secure_boot == 1 ? "Secure Boot" :
						 "kernel lockdown";

	switch (err) {
	case ENOEXEC:
		return set_err(buf, len, err,
			       "%s: Invalid module format: it was built for kernel %s, this is %s; "
			       "build it for this kernel (dkms install kcap/VERSION -k %s)",
			       path, mi->release[0] ? mi->release : "unknown", ks->release,
			       ks->release);
	case EKEYREJECTED:
	case ENOKEY:
	case EKEYEXPIRED:
	case EBADMSG:
		if (!(mi->flags & KCAP_MODULE_SIGNED))
			return set_err(buf, len, err,
				       "%s: refused: this kernel requires signed modules (%s) and the "
				       "module is unsigned; sign it with a key the kernel trusts "
				       "(packaging/sign-module, a MOK enrolled with mokutil; see "
				       "docs/install.md)",
				       path, sig_required ? why : "module.sig_enforce or Secure Boot");
		return set_err(buf, len, err,
			       "%s: refused: %s; enroll the signing certificate (mokutil --import "
			       "CERT, then reboot and confirm) or sign with an enrolled key",
			       path,
			       err == EKEYEXPIRED ? "its signing key has expired" :
			       err == EBADMSG	  ? "its signature is malformed" :
						    "its signature is not from a key the kernel trusts");
	case EPERM:
		if (ks->modules_disabled == 1)
			return set_err(buf, len, err,
				       "%s: refused: module loading is disabled on this machine "
				       "(kernel.modules_disabled=1) until the next boot",
				       path);
		if (ks->lockdown[0] && strcmp(ks->lockdown, "none"))
			return set_err(buf, len, err,
				       "%s: refused by kernel lockdown (%s): only modules signed with a "
				       "trusted key load; sign it (see docs/install.md)",
				       path, ks->lockdown);
		return set_err(buf, len, err,
			       "%s: permission denied: loading a module needs root (CAP_SYS_MODULE)",
			       path);
	case ENOENT:
		return set_err(buf, len, err,
			       "%s: the kernel lacks a symbol the module needs (see `dmesg | grep "
			       "kcap` for 'Unknown symbol'); rebuild it against this kernel's headers",
			       path);
	case EEXIST:
		kcap_driver_status(&ds, sizeof(ds));
		return set_err(buf, len, err,
			       "kcap is already loaded (version %s, srcversion %s; this file: %s, "
			       "srcversion %s); unload it first (kcap driver unload)",
			       ds.version[0] ? ds.version : "unknown",
			       ds.srcversion[0] ? ds.srcversion : "unknown",
			       mi->version[0] ? mi->version : "unknown", mi->srcversion);
	case EINVAL:
		return set_err(buf, len, err,
			       "%s: the kernel refused the module or a parameter (see `dmesg | tail`)",
			       path);
	case ENOSYS:
		return set_err(buf, len, err, "this kernel was built without loadable module support");
	default:
		return set_err(buf, len, err, "%s: loading failed: %s", path, strerror(err));
	}
}

int kcap_module_load(const char *path, const struct kcap_module_load_opts *opts)
{
	struct kcap_module_load_opts o = { 0 };
	struct kcap_module_info mi;
	struct kcap_kernel_state ks;
	char tmp[KCAP_ERRMSG_LEN];
	int fd, err;

	if (opts) {
		if (!kcap__opts_valid(opts, sizeof(o), opts->sz))
			return -EINVAL;
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	if (!o.errbuf) {
		o.errbuf = tmp;
		o.errbuf_sz = sizeof(tmp);
	}
	if (!path)
		return set_err(o.errbuf, o.errbuf_sz, EINVAL, "no module path given");
	{
		struct kcap_module_opts io = { .sz = sizeof(io), .errbuf = o.errbuf,
					       .errbuf_sz = o.errbuf_sz };

		err = kcap_module_inspect(path, &mi, sizeof(mi), &io);
	}
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_err(o.errbuf, o.errbuf_sz, errno, "%s: %s", path, strerror(errno));
	err = (int)syscall(SYS_finit_module, fd, o.params ? o.params : "", 0) ? errno : 0;
	close(fd);
	if (!err)
		return 0;
	kcap_kernel_state(&ks, sizeof(ks));
	return explain_load(err, path, &mi, &ks, o.errbuf, o.errbuf_sz);
}

int kcap_module_unload(const struct kcap_module_opts *opts)
{
	char *errbuf = OPTS_GET(opts, errbuf, NULL);
	size_t errbuf_sz = OPTS_GET(opts, errbuf_sz, 0);
	struct kcap_driver_status ds;
	int err;

	if (opts && (opts->sz < sizeof(size_t) || !kcap__opts_valid(opts, sizeof(*opts), opts->sz)))
		return set_err(errbuf, errbuf_sz, EINVAL, "kcap_module_opts: bad size or unknown fields");

	if (!syscall(SYS_delete_module, "kcap", O_NONBLOCK))
		return 0;
	err = errno;
	switch (err) {
	case ENOENT:
		return set_err(errbuf, errbuf_sz, err, "kcap is not loaded");
	case EWOULDBLOCK:
		kcap_driver_status(&ds, sizeof(ds));
		if (ds.nr_sessions > 1)
			return set_err(errbuf, errbuf_sz, err,
				       "kcap is in use: /dev/kcap has %u sessions, the first opened "
				       "by pid %s (kcap driver status lists them); stop them first",
				       ds.nr_sessions, ds.holder);
		if (ds.holder[0] && strcmp(ds.holder, "none"))
			return set_err(errbuf, errbuf_sz, err,
				       "kcap is in use: /dev/kcap is held by pid %s; stop that "
				       "process first",
				       ds.holder);
		return set_err(errbuf, errbuf_sz, err,
			       "kcap is in use (%d references; /dev/kcap may still be mapped by "
			       "a process); stop its readers first",
			       ds.refcnt);
	case EPERM:
		return set_err(errbuf, errbuf_sz, err,
			       "permission denied: unloading a module needs root (CAP_SYS_MODULE)");
	case ENOSYS:
		return set_err(errbuf, errbuf_sz, err,
			       "this kernel was built without loadable module support");
	default:
		return set_err(errbuf, errbuf_sz, err, "unloading kcap: %s", strerror(err));
	}
}
