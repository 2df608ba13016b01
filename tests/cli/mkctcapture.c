// SPDX-License-Identifier: Apache-2.0
/*
 * mkctcapture ROOT OUT: a capture file with a container table, written as
 * a recorder writes one with the SDK: a thread state whose lookups read
 * the container runtimes' files under the host root ROOT (the unit tests'
 * fixtures, tests/unit/fixtures/ct) hands what it finds to the writer with
 * kcap_state_write_containers(). Five threads exec in four fixture
 * containers (runc and crun with a pod's annotations, docker, privileged
 * runc) and on the host; then each closes a descriptor, after the table.
 * For tests/cli/run.sh: kcap detect/read/export -r on the file must give
 * the containers' fields on a machine whose runtimes know none of them.
 *
 * mkctcapture ROOT OUT late: first a batch of host execs, so that the
 * container table comes after the file's first batch (for
 * tests/fleet/run.sh: the table is not in the exporter's first snapshot
 * and goes in a containers message). mkctcapture ROOT OUT none: the same
 * events without the table (tests/fleet/ctpublish looks them up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kcap.h"
#include "kcap_detect.h"
#include "ctwait.h"
#include "evbuild.h"

static const char *const cgroups[] = {
	"0::/kubepods/besteffort/pod0f6e7a52-3c1d-4a7e-9b8f-2d5c6e7f8a9b/"
	"e1f819fabf7946c4beb36aceb5cf7b814797aaf49c34b65db91b3290713d5c98",
	"0::/system.slice/docker-3f9c2b7a5d6e4f1a8b0c9d2e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a"
	".scope",
	"0::/6a7eb6766f747160e9d56fa45bdff3e33d5e395cf495401759fe8afe9a30278d",
	"0::/kubepods/pod0f6e7a52-3c1d-4a7e-9b8f-2d5c6e7f8a9b/"
	"499d924c47d83a79206b70213a07273ae03066b14c53aa39a6bfba2a9ab4ec8f",
	"0::/user.slice/session-1.scope",
};
#define NR 5

static int die(const char *what, const char *why)
{
	fprintf(stderr, "mkctcapture: %s: %s\n", what, why);
	return 1;
}

/* The lookups that finished, to writer @w. */
static int hand_over(struct kcap_state *st, void *w)
{
	if (kcap_state_write_containers(st, w))
		return die("kcap_state_write_containers", "failed");
	return 0;
}

int main(int argc, char **argv)
{
	static const char args[] = "sh";
	char errbuf[256] = "";
	struct kcap_state *st;
	struct kcap_writer *w;
	struct evb e;
	__u64 ts = 1000000000ull;
	unsigned int i;
	bool late, none;

	if (argc != 3 && (argc != 4 || (strcmp(argv[3], "late") && strcmp(argv[3], "none")))) {
		fprintf(stderr, "usage: mkctcapture ROOT OUT [late|none]\n");
		return 2;
	}
	late = argc == 4 && !strcmp(argv[3], "late");
	none = argc == 4 && !strcmp(argv[3], "none");
	{
		struct kcap_state_opts so = { .sz = sizeof(so),
					      .container_lookup = KCAP_CT_LOOKUP_ALWAYS,
					      .container_root = argv[1] };
		KCAP_OPTS(kcap_writer_opts, wo, .flags = KCAP_WRITER_NO_PROCS,
			  .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

		st = kcap_state_new(&so);
		if (!st)
			return die("kcap_state_new", "failed");
		w = kcap_writer_open(argv[2], &wo);
		if (!w)
			return die(argv[2], errbuf);
	}
	for (i = 0; late && i < NR; i++) {
		struct p exec[] = { { S64(0) },	  { STR("/bin/sh") }, { args, sizeof(args) },
				    { STR("/") }, { STR("/bin/sh") }, { STR("sh") },
				    { U32(0) },	  { U32(0) },	      { U32(0) },
				    { U32(0) },	  { U32(0) },	      { U32(1) },
				    { U32(1) },	  { STR(cgroups[NR - 1]) } };
		const struct kcap_event_hdr *ev =
		    mk_tid(&e, KCAP_EVT_EXECVE, 800 + i, ts += 1000, 14, exec);

		kcap_state_update(st, NULL, ev);
		if (kcap_writer_write(w, ev))
			return die("write", kcap_writer_errmsg(w));
	}
	if (late && kcap_writer_flush(w))
		return die("flush", kcap_writer_errmsg(w));
	for (i = 0; i < NR; i++) {
		struct p exec[] = { { S64(0) },	  { STR("/bin/sh") }, { args, sizeof(args) },
				    { STR("/") }, { STR("/bin/sh") }, { STR("sh") },
				    { U32(0) },	  { U32(0) },	      { U32(0) },
				    { U32(0) },	  { U32(0) },	      { U32(1) },
				    { U32(1) },	  { STR(cgroups[i]) } };
		const struct kcap_event_hdr *ev =
		    mk_tid(&e, KCAP_EVT_EXECVE, 900 + i, ts += 1000, 14, exec);

		kcap_state_update(st, NULL, ev);
		if (kcap_writer_write(w, ev))
			return die("write", kcap_writer_errmsg(w));
	}
	/* the lookups answer in the background: hand each result over as it
	 * comes, as a recorder does between events (10 s at most) */
	if (!none && ct_fixtures_wait("mkctcapture", st, hand_over, w))
		return 1;
	for (i = 0; i < NR; i++) {
		struct p clos[] = { { S64(0) }, { S64(3) } };
		const struct kcap_event_hdr *ev = mk_tid(&e, KCAP_EVT_CLOSE, 900 + i, ts += 1000, 2,
							 clos);

		kcap_state_update(st, NULL, ev);
		if (kcap_writer_write(w, ev))
			return die("write", kcap_writer_errmsg(w));
	}
	if (kcap_writer_finish(w))
		return die("finish", kcap_writer_errmsg(w));
	kcap_writer_close(w);
	kcap_state_free(st);
	return 0;
}
