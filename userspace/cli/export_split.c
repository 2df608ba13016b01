// SPDX-License-Identifier: Apache-2.0
/*
 * kcap export --split DIR: every message of the protobuf stream in a file
 * of its own, DIR/00000000.pb (the header), DIR/00000001.pb, ..., without
 * the length prefix: what protoc --decode and a protobuf library's plain
 * parser read. The exporter writes the delimited stream into an unlinked
 * temporary file in the output directory; its complete frames are cut
 * into files as they arrive, and the space they took is given back (hole
 * punching), so a long live export does not keep the stream twice.
 * With -r, the files go into a temporary directory beside DIR, renamed to
 * DIR when the export is complete; live, into DIR as they come.
 * export's own helper: only export.c calls it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Whether @path is a directory with nothing in it; errno set if not. */
static bool empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	if (!empty)
		errno = ENOTEMPTY;
	return empty;
}

/* DIR/.BASE.XXXXXX beside @dir, created; false after a message. */
static bool make_tmp_dir(struct export_split *s, const char *dir)
{
	size_t len = strlen(dir);
	const char *base;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	base = memrchr(dir, '/', len);
	base = base ? base + 1 : dir;
	if (snprintf(s->path, sizeof(s->path), "%.*s.%.*s.XXXXXX", (int)(base - dir), dir,
		     (int)(len - (size_t)(base - dir)), base) >= (int)sizeof(s->path)) {
		fprintf(stderr, "kcap export: %s: name too long\n", dir);
		return false;
	}
	if (!mkdtemp(s->path)) {
		fprintf(stderr, "kcap export: %s: %s\n", dir, strerror(errno));
		return false;
	}
	s->tmp = true;
	return true;
}

int split_open(struct export_split *s, const char *dir, bool atomic)
{
	char name[PATH_MAX + 32];
	struct stat st;
	int fd;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (strlen(dir) + 32 >= sizeof(s->path)) {
		fprintf(stderr, "kcap export: %s: name too long\n", dir);
		return EXIT_RUNTIME;
	}
	/* -r: DIR appears when complete, by rename(), which replaces an
	 * empty directory. Live: DIR is written in place. */
	if (atomic ? stat(dir, &st) == 0 && !empty_dir(dir)
		   : mkdir(dir, 0700) && (errno != EEXIST || !empty_dir(dir))) {
		fprintf(stderr, "kcap export: --split %s: %s (need a new or empty directory)\n",
			dir, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (atomic && !make_tmp_dir(s, dir))
		return EXIT_RUNTIME;
	if (!atomic)
		snprintf(s->path, sizeof(s->path), "%s", dir);
	snprintf(name, sizeof(name), "%s/.stream.XXXXXX", s->path);
	fd = mkostemp(name, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kcap export: %s: %s\n", s->path, strerror(errno));
		if (atomic)
			rmdir(s->path);
		return EXIT_RUNTIME;
	}
	unlink(name);
	s->fd = fd;
	s->dir = dir;
	return 0;
}

/* Writes message @p (@n bytes) as the next file; false after a message. */
static bool write_message(struct export_split *s, const unsigned char *p, size_t n)
{
	char name[PATH_MAX + 32];
	ssize_t w = 0;
	int fd, err = 0;

	snprintf(name, sizeof(name), "%s/%08llu.pb", s->path, s->count);
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "kcap export: %s: %s\n", name, strerror(errno));
		return false;
	}
	while (n && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
	if (n)
		err = w < 0 ? errno : ENOSPC;
	if (close(fd) && !err)
		err = errno;
	if (err) {
		fprintf(stderr, "kcap export: %s: %s\n", name, strerror(err));
		unlink(name);
		return false;
	}
	s->count++;
	return true;
}

/*
 * One frame at the start of @p (@have bytes): its message's offset and
 * length. 1 if complete, 0 if more bytes are needed (*need: how many in
 * all), -1 if the length prefix is malformed.
 */
static int parse_frame(const unsigned char *p, size_t have, size_t *off, size_t *len, size_t *need)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; i < have && i < 10; i++) {
		v |= (unsigned long long)(p[i] & 0x7f) << (7 * i);
		if (p[i] < 0x80)
			break;
	}
	if (i == 10 || (i < have && v > (8ULL << 30)))
		return -1;
	if (i == have) {
		*need = have + 1;
		return 0;
	}
	*off = i + 1;
	*len = (size_t)v;
	*need = *off + *len;
	return have >= *need;
}

int split_drain(struct export_split *s)
{
	size_t pos, off, len, need = 0;
	unsigned char *nb;
	ssize_t n;
	int r;

	for (;;) {
		if (need > s->cap || s->have == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 1 << 16;

			while (cap < need)
				cap *= 2;
			nb = realloc(s->buf, cap);
			if (!nb) {
				fprintf(stderr, "kcap export: --split: %s\n", strerror(errno));
				return EXIT_RUNTIME;
			}
			s->buf = nb;
			s->cap = cap;
		}
		n = pread(s->fd, s->buf + s->have, s->cap - s->have, (off_t)(s->off + s->have));
		if (n < 0) {
			fprintf(stderr, "kcap export: --split: reading the stream: %s\n",
				strerror(errno));
			return EXIT_RUNTIME;
		}
		s->have += (size_t)n;
		pos = 0;
		while ((r = parse_frame(s->buf + pos, s->have - pos, &off, &len, &need)) == 1) {
			if (!write_message(s, s->buf + pos + off, len))
				return EXIT_RUNTIME;
			pos += off + len;
		}
		if (r < 0) {
			fprintf(stderr, "kcap export: --split: malformed length at byte %llu\n",
				s->off + pos);
			return EXIT_RUNTIME;
		}
		memmove(s->buf, s->buf + pos, s->have - pos);
		s->have -= pos;
		s->off += pos;
		/* The split part of the stream is not needed any more; failing
		 * (a file system without holes) only costs space. */
		if (pos && s->off >= 1 << 20)
			(void)fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
					(off_t)(s->off & ~0xfffffULL));
		if (n == 0)
			return 0;
	}
}

/* Removes the files written and the temporary directory. */
static void remove_tmp(struct export_split *s)
{
	char name[PATH_MAX + 32];

	while (s->count) {
		snprintf(name, sizeof(name), "%s/%08llu.pb", s->path, --s->count);
		unlink(name);
	}
	rmdir(s->path);
}

int split_close(struct export_split *s, int status, bool keep_partial)
{
	char partial[PATH_MAX + 16];

	if (s->fd >= 0 && (!status || keep_partial)) {
		int err = split_drain(s);

		status = status ? status : err;
	}
	if (!status && s->have) {
		fprintf(stderr, "kcap export: --split: the stream ends inside a message\n");
		status = EXIT_RUNTIME;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
	if (!status && s->tmp && rename(s->path, s->dir)) {
		fprintf(stderr, "kcap export: %s: %s\n", s->dir, strerror(errno));
		status = EXIT_RUNTIME;
	}
	if (!status) {
		fprintf(stderr, "kcap export: %llu messages in %s/00000000.pb..%08llu.pb\n",
			s->count, s->dir, s->count ? s->count - 1 : 0);
		return 0;
	}
	if (!s->tmp)
		return status;
	snprintf(partial, sizeof(partial), "%s.partial", s->dir);
	if (keep_partial && !rename(s->path, partial)) {
		fprintf(stderr, "kcap export: %s not written; what was, is in %s\n", s->dir,
			partial);
		return status;
	}
	remove_tmp(s);
	fprintf(stderr, "kcap export: %s not written\n", s->dir);
	return status;
}
