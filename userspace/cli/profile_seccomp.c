// SPDX-License-Identifier: Apache-2.0
/*
 * kcap profile: seccomp allowlists from the model. The OCI JSON that runc,
 * crun, docker and podman read, the BPF program through libseccomp (never
 * hand-assembled), and the JSON read back (jansson) for the check.
 */
#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "kcap.h"
#include "profile.h"

static const char *abi_name(unsigned int nr, unsigned int abi)
{
	return kcap_syscall_name(nr, abi == PROF_ABI_IA32 ? KCAP_SC_IA32 : KCAP_SC_X86_64);
}

/* Names of both ABIs as one sorted, duplicate-free list: runc applies a
 * rule's names to every architecture the profile lists. */
static size_t union_names(const struct prof *p, const char **names, size_t max)
{
	size_t n = 0, i, j;
	unsigned int abi, nr;

	for (abi = 0; abi < 2; abi++)
		for (nr = 0; nr < PROF_NR_MAX; nr++) {
			const char *s = p->syscalls[abi][nr] ? abi_name(nr, abi) : NULL;

			if (!s || n == max)
				continue;
			for (i = 0; i < n && strcmp(names[i], s) < 0; i++)
				;
			if (i < n && !strcmp(names[i], s))
				continue;
			for (j = n; j > i; j--)
				names[j] = names[j - 1];
			names[i] = s;
			n++;
		}
	return n;
}

int prof_write_seccomp_json(const struct prof *p, FILE *out)
{
	static const char *names[2 * PROF_NR_MAX];
	size_t n = union_names(p, names, sizeof(names) / sizeof(names[0])), i;

	fprintf(out, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"defaultErrnoRet\": 1,\n");
	fprintf(out, "  \"architectures\": [\"SCMP_ARCH_X86_64\"%s],\n",
		p->seen_ia32 ? ", \"SCMP_ARCH_X86\"" : "");
	fprintf(out, "  \"syscalls\": [\n    {\n      \"names\": [");
	for (i = 0; i < n; i++)
		fprintf(out, "%s\n        \"%s\"", i ? "," : "", names[i]);
	fprintf(out, "\n      ],\n      \"action\": \"SCMP_ACT_ALLOW\"\n    }\n  ]\n}\n");
	return ferror(out) ? -EIO : 0;
}

/* The rules of one ABI into a filter of that architecture only. */
static int add_abi_rules(scmp_filter_ctx ctx, const struct prof *p, unsigned int abi,
			 char *err, size_t errlen)
{
	uint32_t arch = abi == PROF_ABI_IA32 ? SCMP_ARCH_X86 : SCMP_ARCH_X86_64;
	unsigned int nr;
	int rc;

	for (nr = 0; nr < PROF_NR_MAX; nr++) {
		const char *name = p->syscalls[abi][nr] ? abi_name(nr, abi) : NULL;
		int sys;

		if (!name)
			continue;
		sys = seccomp_syscall_resolve_name_arch(arch, name);
		if (sys == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "libseccomp does not know syscall %s", name);
			return -ENOENT;
		}
		/* libseccomp takes the native number or its own pseudo-number */
		sys = seccomp_syscall_resolve_name(name);
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sys, 0);
		if (rc) {
			snprintf(err, errlen, "seccomp_rule_add(%s): %s", name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int prof_write_seccomp_bpf(const struct prof *p, int fd, char *err, size_t errlen)
{
	scmp_filter_ctx ctx, ctx32 = NULL;
	int rc;

	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -ENOMEM;
	}
	rc = add_abi_rules(ctx, p, PROF_ABI_X86_64, err, errlen);
	if (!rc && p->seen_ia32) {
		/* ia32 names in a filter of their own architecture, merged: each
		 * ABI allows only what it was seen to use */
		ctx32 = seccomp_init(SCMP_ACT_ERRNO(EPERM));
		rc = ctx32 ? seccomp_arch_add(ctx32, SCMP_ARCH_X86) : -ENOMEM;
		if (!rc)
			rc = seccomp_arch_remove(ctx32, SCMP_ARCH_NATIVE);
		if (!rc)
			rc = add_abi_rules(ctx32, p, PROF_ABI_IA32, err, errlen);
		if (!rc) {
			rc = seccomp_merge(ctx, ctx32);
			ctx32 = NULL; /* released by the merge, success or not */
		}
		if (rc && !err[0])
			snprintf(err, errlen, "ia32 filter: %s", strerror(-rc));
	}
	if (!rc) {
		rc = seccomp_export_bpf(ctx, fd);
		if (rc)
			snprintf(err, errlen, "seccomp_export_bpf: %s", strerror(-rc));
	}
	if (ctx32)
		seccomp_release(ctx32);
	seccomp_release(ctx);
	return rc;
}

static int mark_names(json_t *names, struct sc_profile *sp, bool allow, char *err, size_t errlen)
{
	size_t i;
	json_t *v;

	if (!json_is_array(names)) {
		snprintf(err, errlen, "a syscalls entry without a \"names\" array");
		return -EINVAL;
	}
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v);
		unsigned int abi;

		if (!name) {
			snprintf(err, errlen, "a syscall name that is not a string");
			return -EINVAL;
		}
		for (abi = 0; abi < 2; abi++) {
			int nr = kcap_syscall_nr(name, abi ? KCAP_SC_IA32 : KCAP_SC_X86_64);

			if (nr >= 0 && nr < PROF_NR_MAX)
				sp->allowed[abi][nr] = allow;
		}
	}
	return 0;
}

int sc_parse(const char *text, struct sc_profile *sp, char *err, size_t errlen)
{
	json_t *root, *arches, *rules, *v;
	json_error_t je;
	const char *def;
	bool def_allow;
	size_t i;
	int rc = 0;

	memset(sp, 0, sizeof(*sp));
	root = json_loads(text, 0, &je);
	if (!root) {
		snprintf(err, errlen, "line %d: %s", je.line, je.text);
		return -EINVAL;
	}
	def = json_string_value(json_object_get(root, "defaultAction"));
	arches = json_object_get(root, "architectures");
	rules = json_object_get(root, "syscalls");
	if (!def || (rules && !json_is_array(rules))) {
		snprintf(err, errlen, "not a seccomp profile (defaultAction, syscalls)");
		json_decref(root);
		return -EINVAL;
	}
	def_allow = !strcmp(def, "SCMP_ACT_ALLOW") || !strcmp(def, "SCMP_ACT_LOG");
	memset(sp->allowed, def_allow, sizeof(sp->allowed));
	/* no list: the native architecture only */
	sp->arch[PROF_ABI_X86_64] = !json_is_array(arches);
	json_array_foreach(arches, i, v) {
		const char *a = json_string_value(v);

		if (a && !strcmp(a, "SCMP_ARCH_X86_64"))
			sp->arch[PROF_ABI_X86_64] = true;
		else if (a && !strcmp(a, "SCMP_ARCH_X86"))
			sp->arch[PROF_ABI_IA32] = true;
	}
	json_array_foreach(rules, i, v) {
		const char *act = json_string_value(json_object_get(v, "action"));
		bool allow;

		if (!act) {
			snprintf(err, errlen, "syscalls entry %zu without an action", i);
			rc = -EINVAL;
			break;
		}
		/* a rule with argument conditions allows some calls: counted as
		 * allowing the syscall (the check names syscalls, not arguments) */
		allow = !strcmp(act, "SCMP_ACT_ALLOW") || !strcmp(act, "SCMP_ACT_LOG");
		rc = mark_names(json_object_get(v, "names"), sp, allow, err, errlen);
		if (rc)
			break;
	}
	json_decref(root);
	return rc;
}
