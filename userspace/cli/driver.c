// SPDX-License-Identifier: Apache-2.0
/*
 * kcap driver status|load|unload|check: the kernel module on this machine.
 * check compares a kcap.ko file with the running kernel and this library
 * before anything is loaded, and says what to do about each mismatch; load
 * and unload explain every refusal in one sentence (module.c).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char driver_usage[] =
	"Usage: kcap driver COMMAND [OPTIONS]\n"
	"Inspect, load and unload the kcap kernel module (kcap.ko).\n"
	"\n"
	"Commands:\n"
	"  status   loaded or not, version, parameters, and every session (open file\n"
	"           of /dev/kcap) with its opener, state and counters\n"
	"           (exit status 0 if loaded, 1 if not)\n"
	"  check    compare a module file with the running kernel and libkcap:\n"
	"           kernel release (vermagic), kcap ABI, signature, signing policy\n"
	"           (exit status 0 if it can load here, 1 if not)\n"
	"  load     check, then load the module (finit_module)\n"
	"  unload   unload the module (fails while /dev/kcap is in use)\n"
	"\n"
	"Options:\n"
	"  -m, --module PATH   the module file (check, load); default: where modprobe\n"
	"                      finds kcap.ko for the running kernel (modules.dep)\n"
	"  -p, --param K=V     a module parameter (load; repeatable), e.g.\n"
	"                      --param ring_size=16777216 --param snaplen=512\n"
	"  -f, --force         load: skip the checks and let the kernel decide\n"
	"  -h, --help          show this help\n";

static const struct option driver_opts[] = {
	{ "module", required_argument, NULL, 'm' },
	{ "param", required_argument, NULL, 'p' },
	{ "force", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Resolves the module path: --module, else modprobe's kcap.ko. */
static const char *module_path(const char *given, char *buf, size_t len)
{
	struct kcap_kernel_state ks;

	if (given)
		return given;
	if (!kcap_module_find(NULL, buf, len))
		return buf;
	kcap_kernel_state(&ks, sizeof(ks));
	fprintf(stderr,
		"kcap: no kcap.ko installed for kernel %s: install kcap-dkms (or dkms install "
		"kcap/VERSION -k %s), or give --module PATH\n",
		ks.release, ks.release);
	return NULL;
}

static void line(const char *what, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void line(const char *what, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%-11s %s: ", what, ok ? "ok" : "MISMATCH");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/*
 * Prints the check report of @path; returns the number of problems that
 * stop it loading here (kernel release, ABI major, module support), or -1
 * if the file is not a readable module.
 */
static int check_module(const char *path, bool quiet)
{
	struct kcap_module_info mi;
	struct kcap_kernel_state ks;
	char err[512];
	struct kcap_module_opts mo = { .sz = sizeof(mo), .errbuf = err, .errbuf_sz = sizeof(err) };
	bool need_sig;
	int bad = 0;

	if (kcap_module_inspect(path, &mi, sizeof(mi), &mo)) {
		fprintf(stderr, "kcap: %s\n", err);
		return -1;
	}
	kcap_kernel_state(&ks, sizeof(ks));
	if (quiet) {
		bad += strcmp(mi.release, ks.release) != 0;
		bad += !(mi.flags & KCAP_MODULE_HAS_ABI) || mi.abi_major != KCAP_ABI_MAJOR;
		if (bad)
			fprintf(stderr,
				"kcap: %s cannot load here (built for kernel %s, ABI %u.%u; running %s, "
				"libkcap ABI %u.x): see kcap driver check --module %s\n",
				path, mi.release, mi.abi_major, mi.abi_minor, ks.release,
				KCAP_ABI_MAJOR, path);
		return bad;
	}
	printf("module:     %s (%llu bytes)\n", path, (unsigned long long)mi.file_size);
	printf("name:       %s, version %s, srcversion %s, license %s\n",
	       mi.name[0] ? mi.name : "?", mi.version[0] ? mi.version : "?",
	       mi.srcversion[0] ? mi.srcversion : "?", mi.license[0] ? mi.license : "?");
	printf("vermagic:   %s\n", mi.vermagic);
	if (!strcmp(mi.release, ks.release)) {
		line("kernel", true, "built for %s, the running kernel", ks.release);
	} else {
		line("kernel", false,
		     "built for %s, running %s: the kernel would refuse it (Invalid module "
		     "format); install linux-headers-%s and rebuild (dkms install kcap/VERSION -k %s)",
		     mi.release, ks.release, ks.release, ks.release);
		bad++;
	}
	if (!(mi.flags & KCAP_MODULE_HAS_ABI)) {
		line("abi", false, "no kcap_abi in .modinfo: not a kcap driver, or one older than "
				   "ABI 2.0; use the kcap.ko of this release");
		bad++;
	} else if (mi.abi_major != KCAP_ABI_MAJOR) {
		line("abi", false,
		     "module speaks kcap ABI %u.%u, libkcap %u.%u: install the driver and tools of "
		     "the same kcap release",
		     mi.abi_major, mi.abi_minor, KCAP_ABI_MAJOR, KCAP_ABI_MINOR);
		bad++;
	} else {
		line("abi", true, "module %u.%u, libkcap %u.%u", mi.abi_major, mi.abi_minor,
		     KCAP_ABI_MAJOR, KCAP_ABI_MINOR);
	}
	need_sig = ks.sig_enforce == 1 || ks.secure_boot == 1 ||
		   (ks.lockdown[0] && strcmp(ks.lockdown, "none"));
	if (mi.flags & KCAP_MODULE_SIGNED)
		printf("signature:  signed (%s, %u bytes); whether the kernel trusts the key is "
		       "known only when loading\n",
		       mi.sig_id_type == 2 ? "PKCS#7" : "unknown format", mi.sig_len);
	else
		printf("signature:  unsigned\n");
	printf("policy:     sig_enforce=%s secure_boot=%s lockdown=%s\n",
	       ks.sig_enforce < 0 ? "unknown" : ks.sig_enforce ? "yes" : "no",
	       ks.secure_boot < 0 ? "unknown" : ks.secure_boot ? "yes" : "no",
	       ks.lockdown[0] ? ks.lockdown : "unknown");
	if (need_sig && !(mi.flags & KCAP_MODULE_SIGNED)) {
		line("signing", false,
		     "this kernel requires signed modules and the module is unsigned: sign it with "
		     "an enrolled key (packaging/sign-module; docs/install.md)");
		bad++;
	} else {
		line("signing", true, "%s",
		     need_sig ? "signatures are required and the module is signed" :
				"signatures are not required here");
	}
	if (!ks.modules) {
		line("modules", false, "the running kernel has no loadable module support; this "
				       "file can only be checked here");
		bad++;
	} else if (ks.modules_disabled == 1) {
		line("modules", false, "module loading is disabled (kernel.modules_disabled=1) "
				       "until the next boot");
		bad++;
	}
	printf("result:     %s\n", bad ? "cannot load here" : "can load here");
	return bad;
}

static int cmd_check(const char *path)
{
	int bad = check_module(path, false);

	if (check_output("driver"))
		return EXIT_RUNTIME;
	return bad ? EXIT_RUNTIME : 0;
}

static int cmd_load(const char *path, const char *params, bool force)
{
	char err[512];
	KCAP_OPTS(kcap_module_load_opts, o, .params = params, .errbuf = err,
		  .errbuf_sz = sizeof(err));
	struct kcap_driver_status ds;

	if (!force && check_module(path, true))
		return EXIT_RUNTIME;
	if (kcap_module_load(path, &o)) {
		fprintf(stderr, "kcap: %s\n", err);
		return EXIT_RUNTIME;
	}
	kcap_driver_status(&ds, sizeof(ds));
	printf("kcap loaded from %s (version %s%s%s)\n", path, ds.version,
	       ds.params[0] ? "; " : "", ds.params);
	return 0;
}

static int cmd_unload(void)
{
	char err[512];
	struct kcap_module_opts mo = { .sz = sizeof(mo), .errbuf = err, .errbuf_sz = sizeof(err) };

	if (kcap_module_unload(&mo)) {
		fprintf(stderr, "kcap: %s\n", err);
		return EXIT_RUNTIME;
	}
	printf("kcap unloaded\n");
	return 0;
}

/* Config and per-CPU counters of a query-only open of the device. */
static void print_device(void)
{
	char errbuf[256] = "";
	struct kcap_cpu_stats st;
	struct kcap_config cfg;
	struct kcap_version v;
	struct kcap *h;
	unsigned int cpu;
	KCAP_OPTS(kcap_open_opts, o, .flags = KCAP_OPEN_QUERY_ONLY, .errbuf = errbuf,
		  .errbuf_sz = sizeof(errbuf));

	h = kcap_open_live(&o);
	if (!h) {
		printf("device:     %s\n", errbuf);
		return;
	}
	if (!kcap_driver_version(h, &v))
		printf("abi:        %u.%u (libkcap %u.%u)\n", v.major, v.minor, KCAP_ABI_MAJOR,
		       KCAP_ABI_MINOR);
	if (!kcap_config(h, &cfg)) {
		printf("config:     ring_size=%llu snaplen=%u watermark=%llu rings=%u\n",
		       (unsigned long long)cfg.ring_size, cfg.snaplen,
		       (unsigned long long)cfg.watermark, cfg.nr_rings);
		/* Counters belong to an open file's rings: this one has none yet. */
		printf("cpu  online     events      drops   (this open file; `kcap stats -d N` "
		       "samples a capture)\n");
		for (cpu = 0; cpu < cfg.nr_rings; cpu++) {
			__u64 drops = 0;
			unsigned int i;

			if (kcap_cpu_stats(h, cpu, &st))
				continue;
			for (i = 0; i < KCAP_DROP_NR_SLOTS; i++)
				drops += st.drops[i];
			printf("%-4u %-6s %10llu %10llu\n", cpu, st.online ? "yes" : "no",
			       (unsigned long long)st.events, (unsigned long long)drops);
		}
	}
	kcap_close(h);
}

/* The driver's sessions file as a table (ABI 2.3; nothing from an older driver). */
static void print_sessions(const struct kcap_driver_status *ds)
{
	unsigned long long v[9];
	unsigned int id, pid;
	char state[16], *line, *save = NULL, buf[sizeof(ds->sessions)];
	int off;

	if (!ds->nr_sessions)
		return;
	printf("sessions:   %u\n", ds->nr_sessions);
	printf("  %4s %7s %-9s %10s %7s %12s %14s %10s %10s %6s %6s  %s\n", "id", "pid", "state",
	       "ring", "snaplen", "events", "bytes", "full", "protected", "fault", "other", "comm");
	memcpy(buf, ds->sessions, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u %u %15s %llu %llu %llu %llu %llu %llu %llu %llu %n", &id, &pid,
			   state, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
			   &off) != 11) {
			printf("  %s\n", line);
			continue;
		}
		printf("  %4u %7u %-9s %10llu %7llu %12llu %14llu %10llu %10llu %6llu %6llu  %s\n", id,
		       pid, state, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], line + off);
	}
}

static int cmd_status(void)
{
	struct kcap_driver_status ds;
	struct kcap_kernel_state ks;

	kcap_driver_status(&ds, sizeof(ds));
	kcap_kernel_state(&ks, sizeof(ks));
	if (!ds.loaded) {
		printf("driver:     not loaded (kernel %s): kcap driver load, or modprobe kcap\n",
		       ks.release);
		check_output("driver");
		return 1;
	}
	printf("driver:     loaded, version %s, srcversion %s, %d reference(s)\n",
	       ds.version[0] ? ds.version : "?", ds.srcversion[0] ? ds.srcversion : "?",
	       ds.refcnt);
	printf("parameters: %s\n", ds.params[0] ? ds.params : "(none)");
	printf("holder:     %s\n", ds.holder[0] ? ds.holder : "unknown");
	if (!strcmp(ds.holder, "none"))
		print_device();
	print_sessions(&ds);
	return check_output("driver");
}

struct driver_args {
	const char *module;
	char params[512];
	size_t used;
	bool force;
};

/* One option into @a; 0, or EXIT_USAGE after the message. */
static int driver_opt(int c, struct driver_args *a)
{
	switch (c) {
	case 'm':
		a->module = optarg;
		return 0;
	case 'p':
		if (!strchr(optarg, '=') || optarg[0] == '=' || strchr(optarg, ' '))
			return usage_error("driver", "--param %s: need NAME=VALUE", optarg);
		if (a->used + strlen(optarg) + 2 > sizeof(a->params))
			return usage_error("driver", "--param: too many parameters");
		a->used += (size_t)snprintf(a->params + a->used, sizeof(a->params) - a->used,
					    "%s%s", a->used ? " " : "", optarg);
		return 0;
	case 'f':
		a->force = true;
		return 0;
	default:
		return usage_error("driver", "bad option");
	}
}

int cmd_driver(int argc, char **argv)
{
	struct driver_args a = { 0 };
	const char *sub = NULL, *path;
	char found[512];
	int c, err;

	/* Options may come before or after the command: kcap driver load -m X. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "m:p:fh", driver_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(driver_usage, stdout);
			return 0;
		}
		if (c == '?')
			return bad_option("driver", argc, argv, "m:p:fh");
		err = driver_opt(c, &a);
		if (err)
			return err;
	}
	if (optind < argc)
		sub = argv[optind++];
	if (!sub)
		return usage_error("driver", "no command given (status, check, load, unload)");
	if (optind < argc)
		return usage_error("driver", "unexpected argument '%s'", argv[optind]);
	if (!strcmp(sub, "status") || !strcmp(sub, "unload")) {
		if (a.module || a.used || a.force)
			return usage_error("driver", "%s takes no --module, --param or --force", sub);
		return sub[0] == 's' ? cmd_status() : cmd_unload();
	}
	if (strcmp(sub, "check") && strcmp(sub, "load"))
		return usage_error("driver", "unknown command '%s'", sub);
	if (!strcmp(sub, "check") && (a.used || a.force))
		return usage_error("driver", "check takes no --param or --force");
	path = module_path(a.module, found, sizeof(found));
	if (!path)
		return EXIT_RUNTIME;
	if (!strcmp(sub, "check"))
		return cmd_check(path);
	return cmd_load(path, a.used ? a.params : NULL, a.force);
}
