// SPDX-License-Identifier: Apache-2.0
/*
 * consume MODE KIND N [CPUS]: the recorder's per-event cost in user space, over
 * rings in memory laid out like the driver's (tests/unit/producer.c), for
 * consume.sh (run under callgrind; the difference between two N gives
 * instructions per event without start-up).
 *   MODE  fill   the test producer only (subtracted)
 *         next   + kcap_next(): the live source's ring reader
 *         write  + kcap_writer_write() into a capture file (kcap record -w)
 *   KIND  getppid  a generic syscall record (39 bytes, as the ABI 3 driver's)
 *         read1    read() of 1 byte (decoded read event)
 *         write256 write() of 256 bytes (a pipe write at the default snaplen)
 * CPUS rings (default 1) of 8 MiB, written in turn (one event each, in time
 * order), filled to three quarters and drained, as a reader woken at the
 * watermark would: the reader merges them by timestamp.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcap.h"
#include "producer.h"

#define RING (8ULL << 20)
#define MAX_CPUS 64

static int produce(struct tring *r, int kind, __u64 ts, unsigned int *made)
{
	static unsigned char data[256];
	__s64 res = kind == 'r' ? 1 : kind == 'w' ? 256 : 1234;
	__u64 fd = 3, size = kind == 'r' ? 1 : 4096;
	struct tparam p[4] = {
		{ &res, 8 }, { &fd, 8 }, { &size, 8 }, { data, kind == 'r' ? 1 : 256 },
	};

	(*made)++;
	if (kind == 'g')
		return tring_syscall3(r, ts, 4242, 4242, true, 110, 0, NULL, res);
	return tring_write(r, kind == 'r' ? KCAP_EVT_READ : KCAP_EVT_WRITE, ts, 4242, 4242, 0,
			   4, p);
}

int main(int argc, char **argv)
{
	const struct kcap_event_hdr *ev;
	struct kcap_writer *w = NULL;
	char err[256] = "", path[] = "/tmp/kcap-consume-XXXXXX";
	unsigned long long n, done = 0;
	unsigned int made = 0;
	struct kcap_mem_ring m[MAX_CPUS];
	static struct tring rs[MAX_CPUS];
	unsigned int cpus = 1, c, next = 0;
	struct kcap *h;
	int mode, kind, fd, rc;
	__u64 ts = 1000000;

	if (argc == 5)
		cpus = (unsigned int)strtoul(argv[4], NULL, 10);
	if ((argc != 4 && argc != 5) || !cpus || cpus > MAX_CPUS || !strchr("fnw", argv[1][0]) || !strchr("grw", argv[2][0]) ||
	    (argv[2][0] == 'w' && strcmp(argv[2], "write256")) || !(n = strtoull(argv[3], NULL, 10))) {
		fprintf(stderr, "usage: consume fill|next|write getppid|read1|write256 N [CPUS]\n");
		return 2;
	}
	mode = argv[1][0];
	kind = argv[2][0];
	for (c = 0; c < cpus; c++) {
		if (tring_init(&rs[c], RING, c)) {
			perror("consume: ring");
			return 1;
		}
		m[c] = tring_mem(&rs[c]);
	}
	KCAP_OPTS(kcap_open_opts, o, .errbuf = err, .errbuf_sz = sizeof(err));
	h = kcap__open_mem(m, cpus, &o);
	if (!h || kcap_start(h)) {
		fprintf(stderr, "consume: %s\n", err);
		return 1;
	}
	if (mode == 'w') {
		KCAP_OPTS(kcap_writer_opts, wo, .level = 1, .source = h, .errbuf = err,
			  .errbuf_sz = sizeof(err));
		fd = mkstemp(path);
		if (fd < 0) {
			perror("consume: mkstemp");
			return 1;
		}
		close(fd);
		w = kcap_writer_open(path, &wo);
		if (!w) {
			fprintf(stderr, "consume: %s\n", err);
			return 1;
		}
	}
	while (done < n) {
		while (done + made < n && tring_free(&rs[next]) > RING / 4) {
			if (produce(&rs[next], kind, ts += 300, &made))
				break;
			next = (next + 1) % cpus;
		}
		if (mode == 'f') {
			/* drop what was made, as a reader that skips it */
			for (c = 0; c < cpus; c++)
				__atomic_store_n(&rs[c].cons.tail, rs[c].prod.head, __ATOMIC_RELEASE);
			done += made;
			made = 0;
			continue;
		}
		while (made && (rc = kcap_next(h, &ev)) == 0) {
			made--;
			done++;
			if (w && kcap_writer_write(w, ev)) {
				fprintf(stderr, "consume: %s\n", kcap_writer_errmsg(w));
				return 1;
			}
		}
		if (made) {
			fprintf(stderr, "consume: %llu events read, %u missing: %s\n", done, made,
				kcap_errmsg(h));
			return 1;
		}
	}
	if (w) {
		if (kcap_writer_finish(w)) {
			fprintf(stderr, "consume: %s\n", kcap_writer_errmsg(w));
			return 1;
		}
		kcap_writer_close(w);
		unlink(path);
	}
	kcap_close(h);
	for (c = 0; c < cpus; c++)
		tring_fini(&rs[c]);
	printf("events=%llu\n", done);
	return 0;
}
