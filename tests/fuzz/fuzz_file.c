// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the capture file reader: any byte string is opened
 * as a .kcap file (through a memfd), read to the end, every event formatted
 * and every query made; the first events also go through a thread state
 * and the container.* and k8s.* fields, which a file's container table
 * (CONTAINERS blocks) fills. The reader must return errors, never crash, hang
 * or allocate without bound (ASan and UBSan watch; libFuzzer's -rss_limit_mb
 * and -timeout catch the rest).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/source.h"
#include "kcap_detect.h"

#define MAX_EVENTS 200000
#define MAX_RENDERED 2000 /* events that also go through the state and fields */

static const char ct_fields[] =
	"%container.id %container.type %container.name %container.image "
	"%container.image.repository %container.image.tag %container.image.digest "
	"%container.image.id %container.privileged %container.mounts %container.mount[0] "
	"%container.mount[/*] %container.mount.dest[/*] %container.mount.rdwr[1] "
	"%container.start_ts %k8s.pod.name %k8s.ns.name %k8s.pod.uid";

static void read_all(struct kcap *h)
{
	const struct kcap_event_hdr *ev;
	const struct kcap_file_drop *drops;
	struct kcap_file_info fi;
	struct kcap_cpu_stats st;
	__u64 counts[64], u;
	char line[1024];
	unsigned int i, cpu;
	size_t n;

	struct kcap_state *ts = kcap_state_new(NULL);
	struct kcap_output *o = kcap_output_compile(ct_fields, NULL);
	char fields[8192];

	if (ts)
		kcap_state_seed(ts, h);
	for (i = 0; i < MAX_EVENTS && !kcap_next(h, &ev); i++) {
		kcap_event_format(h, ev, line, sizeof(line));
		if (ev->nparams)
			kcap_event_u64(ev, 0, &u);
		if (ts && o && i < MAX_RENDERED) {
			kcap_state_update(ts, h, ev);
			kcap_output_render(o, ts, h, ev, fields, sizeof(fields));
		}
	}
	kcap_output_free(o);
	kcap_state_free(ts);
	kcap_file_info(h, &fi, sizeof(fi));
	kcap_file_drops(h, &drops, &n);
	kcap_file_type_counts(h, counts, 64);
	for (cpu = 0; cpu < kcap_nr_rings(h) && cpu < 4096; cpu++)
		kcap_cpu_stats(h, cpu, &st);
	for (i = 0; i < 128; i++)
		kcap_handle_event_desc(h, i);
}

static struct kcap *open_mem(const uint8_t *data, size_t size, __u64 start, __u64 end)
{
	KCAP_OPTS(kcap_file_opts, o, .start_ns = start, .end_ns = end);
	int fd = memfd_create("kcap-fuzz", MFD_CLOEXEC);
	size_t done = 0;
	ssize_t w;

	if (fd < 0)
		return NULL;
	while (done < size) {
		w = write(fd, data + done, size - done);
		if (w <= 0) {
			close(fd);
			return NULL;
		}
		done += (size_t)w;
	}
	return kcap_open_file_fd(fd, "fuzz-input", &o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcap_file_info fi;
	struct kcap *h = open_mem(data, size, 0, 0);

	if (!h)
		return 0;
	read_all(h);
	kcap_file_info(h, &fi, sizeof(fi));
	kcap_close(h);
	/* Again with a time window: the index and skip paths. */
	if (fi.last_ts > fi.first_ts) {
		h = open_mem(data, size, fi.first_ts + (fi.last_ts - fi.first_ts) / 2, fi.last_ts);
		if (h) {
			read_all(h);
			kcap_close(h);
		}
	}
	return 0;
}
