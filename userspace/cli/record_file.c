// SPDX-License-Identifier: Apache-2.0
/*
 * kcap record -w FILE: live capture into a capture file (or a rotating
 * series of them), with a progress line on stderr when it is a terminal.
 * record's own helper: only record.c calls it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kcap_detect.h"

static double ratio(const struct kcap_writer_stats *st)
{
	return st->stored_bytes ? (double)st->raw_bytes / (double)st->stored_bytes : 0.0;
}

struct progress {
	bool on;
	bool shown;
	double last_t;
	unsigned long long last_events;
};

static void show_progress(struct progress *p, struct kcap_writer *w, bool force)
{
	struct kcap_writer_stats st;
	double now = mono_seconds(), dt = now - p->last_t;

	if (!p->on || (!force && dt < 1.0))
		return;
	kcap_writer_stats(w, &st, sizeof(st));
	fprintf(stderr, "\rkcap: %llu events (%.0f/s), drops %llu, %.1f MB written, ratio %.1fx   ",
		(unsigned long long)st.events,
		dt > 0 ? (double)(st.events - p->last_events) / dt : 0.0,
		(unsigned long long)st.drops, (double)st.file_bytes / 1e6, ratio(&st));
	p->shown = true;
	p->last_t = now;
	p->last_events = st.events;
}

/*
 * The thread table of a recording without a filter sees the events that
 * change which container a thread is in (fork, exec, exit): enough to
 * learn the containers, at the cost of a table lookup for the others.
 */
static bool track(struct kcap_filter *expr, struct kcap_state *threads, struct kcap *h,
		  const struct kcap_event_hdr *ev)
{
	const struct kcap_event_desc *d;

	if (expr || !threads)
		return expr && threads;
	d = kcap_handle_event_desc(h, ev->type);
	if (!d || !(d->flags & KCAP_EDF_LIFECYCLE))
		return false;
	kcap_state_update(threads, h, ev);
	return true;
}

/* The containers learnt since the last call, for the next batch. */
static int containers(struct kcap_state *threads, struct kcap_writer *w)
{
	return threads ? kcap_state_write_containers(threads, w) : 0;
}

/* Writes events until -n, a signal or an error; then drains the rings. */
static int pump(struct kcap *h, struct kcap_writer *w, unsigned long long count,
		volatile int *stop, unsigned long long *seen, struct progress *pr,
		struct kcap_filter *expr, struct kcap_state *threads)
{
	const struct kcap_event_hdr *ev;
	bool stopped = false, tracked;
	int err;

	for (;;) {
		if (count && *seen >= count)
			return containers(threads, w);
		if (!stopped && *stop) {
			err = kcap_stop(h);
			if (err)
				return err;
			stopped = true;
		}
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			err = containers(threads, w);
			if (!err)
				err = kcap_writer_tick(w);
			if (err)
				return err;
			show_progress(pr, w, false);
			continue;
		}
		if (err == -ENODATA && stopped)
			return containers(threads, w);
		if (err)
			return err;
		tracked = track(expr, threads, h, ev);
		if (!keep_event(expr, expr ? threads : NULL, h, ev))
			continue;
		/* what the thread table has just learnt (a lookup it took in
		 * at this event) goes before the batch this event is in */
		if (tracked || !(*seen & 4095)) {
			err = containers(threads, w);
			if (err)
				return err;
		}
		err = kcap_writer_write(w, ev);
		if (err)
			return err;
		if (!(++*seen & 4095))
			show_progress(pr, w, false);
	}
}

int record_to_file(struct kcap *h, const struct write_opts *ro, unsigned long long count,
		   volatile int *stop, struct kcap_filter *expr, struct kcap_state *threads)
{
	char errbuf[256] = "";
	unsigned long long seen = 0;
	struct progress pr = { .on = isatty(STDERR_FILENO) == 1, .last_t = mono_seconds() };
	struct kcap_writer_stats st;
	struct kcap_writer *w;
	int err, ferr, status = 0;
	KCAP_OPTS(kcap_writer_opts, o, .level = ro->level, .rotate_bytes = ro->rotate_bytes,
		  .rotate_secs = ro->rotate_secs, .rotate_keep = ro->keep, .source = h,
		  .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

	w = kcap_writer_open(ro->path, &o);
	if (!w) {
		fprintf(stderr, "kcap: %s\n", errbuf);
		return EXIT_RUNTIME;
	}
	err = pump(h, w, count, stop, &seen, &pr, expr, threads);
	if (err && err != -ENODATA) {
		/* A writer error has its message on the writer, others on h. */
		const char *msg = kcap_writer_errmsg(w);

		fprintf(stderr, "%skcap: %s\n", pr.shown ? "\n" : "", *msg ? msg : kcap_errmsg(h));
		pr.shown = false;
		status = EXIT_RUNTIME;
	}
	ferr = kcap_writer_finish(w);
	if (ferr && !status) {
		fprintf(stderr, "%skcap: %s\n", pr.shown ? "\n" : "", kcap_writer_errmsg(w));
		pr.shown = false;
		status = EXIT_RUNTIME;
	}
	show_progress(&pr, w, true);
	if (pr.shown)
		fputc('\n', stderr);
	kcap_writer_stats(w, &st, sizeof(st));
	fprintf(stderr,
		"kcap: %llu events to %s%s (%u file%s), %llu bytes, %.1f bytes/event, ratio %.1fx, drops %llu, containers %u\n",
		(unsigned long long)st.events, ro->path,
		(ro->rotate_bytes || ro->rotate_secs) ? ".N" : "", st.files, st.files == 1 ? "" : "s",
		(unsigned long long)st.file_bytes,
		st.events ? (double)st.file_bytes / (double)st.events : 0.0, ratio(&st),
		(unsigned long long)st.drops, st.containers);
	kcap_writer_close(w);
	return status;
}
