// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the gVisor sink (userspace/lib/capture/gvisor.c):
 * each input is one sandbox's connection. The sink listens on a socket in
 * a temporary directory for the whole run; per input a client connects,
 * handshakes (the input's first byte chooses a valid handshake or the
 * input's own first packet), then sends the rest as packets, each
 * preceded in the input by its length (one byte, times 4: up to 1020
 * bytes), and the sink is read until it has nothing more. The sink must
 * neither crash, leak nor block; everything it hands out must be a valid
 * record of the event table.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kcap.h"

static struct kcap *sink;
static char path[108];

static void cleanup(void)
{
	char dir[108];

	kcap_close(sink);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

static void setup(void)
{
	char dir[] = "/tmp/kcap-fuzz-gvisor-XXXXXX";
	KCAP_OPTS(kcap_gvisor_opts, o, .holdback_ns = KCAP_HOLDBACK_NONE,
		  .poll_timeout_ms = KCAP_POLL_NONBLOCK, .handshake_timeout_ms = 1);

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/sink.sock", dir);
	sink = kcap_open_gvisor(path, &o);
	if (!sink)
		abort();
	atexit(cleanup);
}

/* Hands out everything the sink has; checks each record. */
static void drain(void)
{
	const struct kcap_event_hdr *ev;
	char line[512];
	int i;

	for (i = 0; i < 4096; i++) {
		if (kcap_next(sink, &ev))
			return;
		if (!kcap_event_desc(ev->type) || ev->len > KCAP_EVENT_MAX_LEN ||
		    !(ev->flags & KCAP_EVF_GVISOR))
			abort();
		if (kcap_event_format(sink, ev, line, sizeof(line)) < 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char hs[] = { 0x08, 0x01 }; /* version 1 */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned char reply[64];
	size_t off = 1, len;
	int fd;

	if (!sink)
		setup();
	if (!size)
		return 0;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abort();
	memcpy(sa.sun_path, path, strlen(path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		abort();
	if (data[0] & 1) {
		send(fd, hs, sizeof(hs), MSG_NOSIGNAL);
		drain();
		recv(fd, reply, sizeof(reply), MSG_DONTWAIT);
	}
	while (off < size) {
		len = (size_t)data[off++] * 4;
		if (len > size - off)
			len = size - off;
		if (send(fd, data + off, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
			break;
		off += len;
		drain();
	}
	close(fd);
	drain();
	return 0;
}
