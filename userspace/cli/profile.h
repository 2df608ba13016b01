// SPDX-License-Identifier: Apache-2.0
/*
 * kcap profile: confinement profiles learned from a recording.
 *
 * The model (profile_model.c) holds what a workload was seen to need:
 * file paths with AppArmor permissions, socket families and types,
 * capabilities and syscall names per ABI. Paths are generalised when they
 * are added (prof_generalise()). It is written as an AppArmor profile
 * (profile_apparmor.c, which also reads one back for `kcap profile check`)
 * or as a seccomp allowlist (profile_seccomp.c: OCI JSON, or BPF through
 * libseccomp). profile.c reads the recording and drives both.
 */
#ifndef KCAP_CLI_PROFILE_H
#define KCAP_CLI_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* File permissions, AppArmor's letters. */
#define PROF_R 0x01 /* r: read (also a listed directory) */
#define PROF_W 0x02 /* w: write, create, delete, chmod, rename */
#define PROF_A 0x04 /* a: append only (w covers it) */
#define PROF_M 0x08 /* m: mapped executable */
#define PROF_IX 0x10 /* ix: executed, inheriting the profile */
#define PROF_L 0x20 /* l: hard link made */
#define PROF_PX 0x40 /* Px: executed under its own profile (--px) */
#define PROF_CX 0x80 /* Cx: executed under a child profile (--cx; read back: c, C) */

/* Syscall ABIs of the seccomp part (enum kcap_syscall_abi's values). */
#define PROF_ABI_X86_64 0
#define PROF_ABI_IA32 1
#define PROF_NR_MAX 1024

/* Socket families and types kept (AF_* < 64, SOCK_* < 16). */
#define PROF_NET_FAMILIES 64
#define PROF_NET_TYPES 16
#define PROF_CAPS 64

struct prof_file {
	char *glob; /* AppArmor path, generalised and escaped */
	unsigned int perms;
	char *target; /* read back: the profile of "-> NAME", else NULL */
};

struct prof {
	struct prof_file *files;
	size_t nfiles, cap_files;
	bool net[PROF_NET_FAMILIES][PROF_NET_TYPES];
	bool caps[PROF_CAPS];
	bool syscalls[2][PROF_NR_MAX];
	bool seen_ia32;
};

void prof_init(struct prof *p);
void prof_release(struct prof *p);

/*
 * Adds @path (absolute, as the kernel resolved it) with @perms, generalised
 * by prof_generalise() for process @pid. A path that is not absolute is
 * ignored. 0 or -ENOMEM.
 */
int prof_add_file(struct prof *p, const char *path, unsigned int pid, unsigned int perms);
void prof_add_net(struct prof *p, unsigned int family, unsigned int type);
void prof_add_cap(struct prof *p, unsigned int cap);
/* A syscall by name in @abi; -ENOENT if libkcap does not know the name. */
int prof_add_syscall(struct prof *p, unsigned int abi, const char *name);

/*
 * prof_generalise() - @path as an AppArmor path rule for process @pid,
 * into @out (@len bytes; -ENAMETOOLONG if it does not fit). Literal
 * characters AppArmor would read as glob or quoting are escaped. The rules
 * (docs/profiles.md):
 *  - /proc/N/... and /proc/N/task/M/... become /proc/@{pid}/...
 *  - below /tmp/, /var/tmp/, /dev/shm/ and /run/ (per-run names): a run of
 *    digits equal to @pid or of 5 or more digits becomes [0-9]*; a run of
 *    exactly 6 letters and digits (mkstemp's XXXXXX) between separators
 *    ('.', '-', '_', start or end of the name) that mixes at least two of
 *    upper case, lower case and digits becomes ??????.
 * Nothing is widened across a '/': a rule never holds "**".
 */
int prof_generalise(const char *path, unsigned int pid, char *out, size_t len);

/* AppArmor's names of a capability, a socket family and type (NULL if none). */
const char *prof_cap_name(unsigned int cap);
int prof_cap_number(const char *name);
const char *prof_family_name(unsigned int family);
int prof_family_number(const char *name);
const char *prof_type_name(unsigned int type);
int prof_type_number(const char *name);

/* "r", "w", "a", "mrix"...: @perms as AppArmor letters into @buf (>= 8 bytes). */
void prof_perms_str(unsigned int perms, char *buf);

/* ---- AppArmor (profile_apparmor.c) -------------------------------------------- */

/* A child profile (--cx): what the processes did after their exec of
 * @path (and their children), written inside the parent as
 * "profile NAME { ... }", the parent's exec rule "PATH Cx -> NAME,". */
struct prof_child {
	const char *path;
	char name[256]; /* prof_child_name() of path */
	bool used; /* an exec of path was seen: the parent has the Cx rule */
	struct prof model;
};

/*
 * The child profile's name for --cx @path: its file name, each character
 * other than A-Z a-z 0-9 _ - . replaced by _, and a leading . or - too
 * (so "/usr/bin/my helper" gives "my_helper"). -EINVAL if @path has no
 * file name.
 */
int prof_child_name(const char *path, char *buf, size_t len);

struct prof_source {
	const char *capture; /* the recording's name as given */
	const char *selection; /* "--exe /bin/x" */
	unsigned long long events, processes, drops;
};

/*
 * Writes @p as an AppArmor profile named @name attached to @attach (NULL:
 * no attachment, applied by name, e.g. by a container runtime), rules in
 * sorted order so the same recording gives the same text. Returns 0 or -EIO.
 */
int prof_write_apparmor(const struct prof *p, FILE *out, const char *name, const char *attach,
			const struct prof_source *src);
/* The same with child profiles @kids (those @used are written). */
int prof_write_apparmor_cx(const struct prof *p, FILE *out, const char *name, const char *attach,
			   const struct prof_source *src, const struct prof_child *kids,
			   size_t nkids);

/* A profile read back: its rules, variables expanded. */
struct aa_profile {
	char *name;
	char *attach; /* NULL: none */
	struct prof_file *files; /* globs with variables expanded */
	size_t nfiles;
	bool net_all;
	bool net[PROF_NET_FAMILIES][PROF_NET_TYPES + 1]; /* [f][PROF_NET_TYPES]: any type */
	bool caps[PROF_CAPS];
	struct aa_profile *children; /* nested "profile NAME { }" (one level) */
	size_t nchildren;
};

/*
 * Reads an AppArmor profile (one profile and its child profiles, one level
 * deep; the rules kcap writes: file, network, capability, variables, exec
 * rules with "-> NAME"). 0, or -EINVAL with "line N: what" in @err.
 */
int aa_parse(const char *text, struct aa_profile *ap, char *err, size_t errlen);
void aa_release(struct aa_profile *ap);

/* AppArmor's path glob @glob (variables expanded) matched against @path. */
bool aa_glob_match(const char *glob, const char *path);

/* Whether @ap grants @perms on @path, socket @family/@type, capability @cap.
 * Any exec rule (ix, Px, ...) grants PROF_IX; aa_exec_px() says whether the
 * program then runs under a profile of its own (P or C): its events are no
 * longer this profile's. */
bool aa_allows_file(const struct aa_profile *ap, const char *path, unsigned int perms);
bool aa_allows_net(const struct aa_profile *ap, unsigned int family, unsigned int type);
bool aa_allows_cap(const struct aa_profile *ap, unsigned int cap);
bool aa_exec_px(const struct aa_profile *ap, const char *path);
/* The child profile of @ap an exec of @path switches to (a Cx rule whose
 * "-> NAME" names a child, or without a target a child attached to a glob
 * matching @path): its index in ap->children, or -1. */
int aa_exec_child(const struct aa_profile *ap, const char *path);

/* ---- seccomp (profile_seccomp.c) ---------------------------------------------- */

/* The OCI seccomp JSON (runc, crun, docker, podman): an allowlist, EPERM
 * otherwise. 0 or -EIO. */
int prof_write_seccomp_json(const struct prof *p, FILE *out);

/* The same filter as a BPF program (libseccomp's seccomp_export_bpf) on
 * @fd. 0 or a negative errno, with a message in @err. */
int prof_write_seccomp_bpf(const struct prof *p, int fd, char *err, size_t errlen);

/* An OCI seccomp JSON read back: whether each syscall is allowed. */
struct sc_profile {
	bool allowed[2][PROF_NR_MAX];
	bool arch[2]; /* x86_64, ia32 listed in "architectures" */
};

/* 0, or -EINVAL with the reason in @err. */
int sc_parse(const char *text, struct sc_profile *sp, char *err, size_t errlen);

/* ---- Reading a recording (profile_events.c) -------------------------------------- */

struct kcap;
struct kcap_state;
struct kcap_output;
struct kcap_event_hdr;

#define PROF_PID_LIMIT 4194304 /* PID_MAX_LIMIT on 64-bit */

enum prof_sel { SEL_NONE, SEL_EXE, SEL_COMM, SEL_CONTAINER };
enum prof_mode { MODE_APPARMOR, MODE_SECCOMP, MODE_CHECK };

/* kcap profile's run: its arguments, the recording, what was learnt or
 * the profile checked. */
struct prof_run {
	enum prof_mode mode;
	enum prof_sel sel;
	const char *what; /* the selection's argument */
	const char *in, *out, *name, *profile;
	const char *px[16]; /* --px: programs run under their own profile */
	unsigned int npx;
	struct prof_child cx[16]; /* --cx: programs run under a child profile */
	unsigned int ncx;
	/* the profile each selected pid is confined by: 0 the profile, k the
	 * child profile k-1 (r->cx[] when learning, r->ap.children[] when
	 * checking) */
	unsigned char *pidprof;
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

/*
 * Whether @ev (the thread table has seen it) belongs to a selected process:
 * one matching the selection, or a child of a selected one (selected by
 * this call).
 */
bool prof_selected(struct prof_run *r, const struct kcap_event_hdr *ev);

/* What @ev needs (a syscall; if it succeeded: files, sockets, capabilities):
 * into r->model, or checked against r->ap / r->sp (a DENIED line each).
 * 0 or -ENOMEM. */
int prof_event_needs(struct prof_run *r, const struct kcap_event_hdr *ev);

#endif /* KCAP_CLI_PROFILE_H */
