// SPDX-License-Identifier: Apache-2.0
/*
 * kcap profile: AppArmor and seccomp profiles learned from a recording,
 * and the check of another recording against a profile: the arguments,
 * reading the capture with a thread table (each event of the selected
 * processes goes to profile_events.c), and writing the profile or the
 * check's verdict.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "kcap_detect.h"
#include "profile.h"

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
	"      --cx PATH        apparmor: PATH runs under a child profile (Cx)\n"
	"      --raw            seccomp: the BPF program instead of JSON\n"
	"      --profile FILE   check: the profile (AppArmor or seccomp JSON)\n"
	"  -h, --help           show this help (kcap profile COMMAND --help: more)\n"
	"\n"
	"A selection takes the children of the selected processes too, whatever\n"
	"they execute. Exit status: 0, 1 runtime error (also: no process\n"
	"matches), 2 bad arguments, 3 check: the profile would deny an event.\n";

static const char apparmor_usage[] =
	"Usage: kcap profile apparmor -r CAPTURE SELECTION [-o FILE] [--name NAME]\n"
	"                             [--px PATH]... [--cx PATH]...\n"
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
	"      --cx PATH    an exec of PATH gets Cx -> NAME: what the process does\n"
	"                   after it (and its children) goes into the child profile\n"
	"                   NAME nested in this one, learnt by the same rules; NAME\n"
	"                   is PATH's file name, characters other than A-Z a-z 0-9\n"
	"                   _ - . (and a leading . or -) made _ (repeatable, 16 at\n"
	"                   most, different file names)\n"
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
	"After an exec allowed by a Cx rule naming a child profile of the file\n"
	"(profile NAME { ... } inside the profile, as --cx writes it), the process\n"
	"and its children are checked against that child profile, their DENIED\n"
	"lines ending in profile=PARENT//NAME as the kernel names it; after an exec\n"
	"a Px rule (or a Cx rule without such a child) allows, the process is no\n"
	"longer checked (another profile confines it).\n"
	"AppArmor checks successful events (the kernel checks a file after\n"
	"finding it); seccomp checks every syscall. SELECTION (--exe PATH, --comm\n"
	"NAME, --container ID) defaults to the AppArmor profile's attachment;\n"
	"a seccomp profile needs one. Exit status 3 when an event would be\n"
	"denied, 0 when none.\n";

enum { OPT_EXE = OPT_COMMAND, OPT_COMM, OPT_CONTAINER, OPT_NAME, OPT_RAW, OPT_PROFILE, OPT_PX,
       OPT_CX };


/* ---- The command ------------------------------------------------------------------- */

static int read_events(struct prof_run *r)
{
	const struct kcap_event_hdr *ev;
	KCAP_OPTS(kcap_file_opts, fo);
	unsigned int i;
	int err;

	r->h = open_capture("profile", r->in, &fo);
	if (!r->h)
		return EXIT_RUNTIME;
	r->st = cli_state_new(NULL, NULL);
	r->fdname = kcap_output_compile("%fd.typechar %fd.name", NULL);
	r->pids = calloc(PROF_PID_LIMIT / 8, 1);
	r->pidprof = calloc(PROF_PID_LIMIT, 1);
	if (!r->st || !r->fdname || !r->pids || !r->pidprof) {
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
		if (!prof_selected(r, ev))
			continue;
		err = prof_event_needs(r, ev);
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
	for (i = 0; i < r->ncx; i++)
		if (!r->cx[i].used)
			fprintf(stderr, "kcap profile: warning: --cx %s: no selected process executed it: "
					"no child profile\n", r->cx[i].path);
	return 0;
}

/* An output file appears complete or not at all: a temporary beside it. */
static FILE *open_out(const struct prof_run *r, char *tmp, size_t len)
{
	FILE *f;
	int fd;

	if (!r->out)
		return stdout;
	tmp[0] = '\0'; /* stays empty when written in place */
	if (out_in_place(r->out)) {
		f = fopen(r->out, "w");
		if (!f)
			fprintf(stderr, "kcap profile: %s: %s\n", r->out, strerror(errno));
		return f;
	}
	snprintf(tmp, len, "%s.kcap-tmp-XXXXXX", r->out);
	fd = mkstemp(tmp);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f)
		fprintf(stderr, "kcap profile: %s: %s\n", r->out, strerror(errno));
	return f;
}

static int close_out(const struct prof_run *r, FILE *f, const char *tmp, int rc)
{
	if (!r->out)
		return rc;
	if (!rc && *tmp && fchmod(fileno(f), 0644))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && *tmp && rename(tmp, r->out))
		rc = -errno;
	if (rc) {
		if (*tmp)
			unlink(tmp);
		fprintf(stderr, "kcap profile: %s: %s\n", r->out, strerror(-rc));
		return EXIT_RUNTIME;
	}
	return 0;
}

static void profile_name(const struct prof_run *r, char *buf, size_t len)
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

static int write_profile(struct prof_run *r)
{
	char tmp[4200], name[256], sel[16384];
	struct prof_source src = { .capture = strcmp(r->in, "-") ? r->in : "standard input",
				   .selection = sel, .events = r->events,
				   .processes = r->processes, .drops = r->drops };
	const char *attach = NULL;
	FILE *f = open_out(r, tmp, sizeof(tmp));
	unsigned int i;
	int rc;

	if (!f)
		return EXIT_RUNTIME;
	snprintf(sel, sizeof(sel), "%s %s",
		 r->sel == SEL_EXE ? "--exe" : r->sel == SEL_COMM ? "--comm" : "--container", r->what);
	/* the options that shape the exec rules, so the header says how to
	 * make the profile again */
	for (i = 0; i < r->npx; i++)
		snprintf(sel + strlen(sel), sizeof(sel) - strlen(sel), " --px %s", r->px[i]);
	for (i = 0; i < r->ncx; i++)
		snprintf(sel + strlen(sel), sizeof(sel) - strlen(sel), " --cx %s", r->cx[i].path);
	if (r->mode == MODE_APPARMOR) {
		profile_name(r, name, sizeof(name));
		if (r->sel == SEL_EXE)
			attach = r->what;
		else if (r->sel == SEL_COMM && !r->many_exes && r->exe[0] == '/')
			attach = r->exe;
		rc = prof_write_apparmor_cx(&r->model, f, name, attach, &src, r->cx, r->ncx);
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

static int load_profile(struct prof_run *r)
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

static int parse_args(struct prof_run *r, int argc, char **argv, const char *usage)
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
		{ "cx", required_argument, NULL, OPT_CX },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = r->mode == MODE_APPARMOR ? "profile apparmor"
			  : r->mode == MODE_SECCOMP ? "profile seccomp" : "profile check";
	unsigned int i;
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
		case OPT_CX: {
			struct prof_child *k = &r->cx[r->ncx];

			if (optarg[0] != '/')
				return usage_error(cmd, "--cx needs an absolute path");
			if (r->ncx == sizeof(r->cx) / sizeof(r->cx[0]))
				return usage_error(cmd, "at most 16 --cx programs");
			if (prof_child_name(optarg, k->name, sizeof(k->name)))
				return usage_error(cmd, "--cx %s: no file name to name a child profile",
						   optarg);
			for (i = 0; i < r->ncx; i++)
				if (!strcmp(r->cx[i].name, k->name))
					return usage_error(cmd, "--cx %s and %s: the same child profile name %s",
							   r->cx[i].path, optarg, k->name);
			k->path = optarg;
			r->ncx++;
			break;
		}
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
	if (r->ncx && r->mode != MODE_APPARMOR)
		return usage_error(cmd, "--cx is an option of apparmor");
	for (i = 0; i < r->npx; i++)
		for (c = 0; c < (int)r->ncx; c++)
			if (!strcmp(r->px[i], r->cx[c].path))
				return usage_error(cmd, "%s: both --px and --cx", r->px[i]);
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
	struct prof_run r = { 0 };
	const char *usage;
	unsigned int i;
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
	for (i = 0; i < r.ncx; i++)
		prof_release(&r.cx[i].model);
	aa_release(&r.ap);
	free(r.pids);
	free(r.pidprof);
	kcap_output_free(r.fdname);
	if (r.st)
		kcap_state_free(r.st);
	if (r.h)
		kcap_close(r.h);
	return rc;
}
