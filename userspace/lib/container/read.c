// SPDX-License-Identifier: Apache-2.0
/*
 * What every reader of this folder shares: the error sentence, paths under
 * the host root, bounded reading of a state file into a JSON tree, typed
 * and bounded access to its members, RFC 3339 times, image references and
 * the annotations that carry Kubernetes metadata.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ct.h"

int ct_err(struct kcap_ct_meta *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return -err;
}

int ct_path(const struct kcap_ct_paths *p, struct kcap_ct_meta *m, char *buf, const char *fmt, ...)
{
	const char *root = p->host_root ? p->host_root : "";
	size_t rl = strlen(root);
	va_list ap;
	int n;

	if (rl >= PATH_MAX)
		return ct_err(m, ENAMETOOLONG, "host root is longer than PATH_MAX");
	memcpy(buf, root, rl);
	va_start(ap, fmt);
	n = vsnprintf(buf + rl, PATH_MAX - rl, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= PATH_MAX - rl)
		return ct_err(m, ENAMETOOLONG, "a state file's path is longer than PATH_MAX");
	return 0;
}

static int read_all(int fd, char *buf, size_t size, size_t *len)
{
	size_t off = 0;
	ssize_t n;

	while (off < size) {
		n = read(fd, buf + off, size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*len = off;
	return 0;
}

int ct_load(struct kcap_ct_meta *m, const char *path, json_t **root)
{
	json_error_t jerr;
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd, err;

	*root = NULL;
	/* O_NONBLOCK: a FIFO planted as a state file must not stall the caller. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT || err == ENOTDIR)
			return -ENOENT;
		return ct_err(m, err, "%s: %s", path, strerror(err));
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return ct_err(m, err, "%s: %s", path, strerror(err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ct_err(m, EINVAL, "%s: not a regular file", path);
	}
	if (st.st_size > (off_t)KCAP_CT_MAX_FILE) {
		close(fd);
		return ct_err(m, EFBIG, "%s: larger than %u bytes", path, KCAP_CT_MAX_FILE);
	}
	/* One byte more than its size: a file that grew while read is refused;
	 * runc and dockerd replace their state files by rename, not in place. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return ct_err(m, ENOMEM, "%s: out of memory", path);
	}
	err = read_all(fd, buf, (size_t)st.st_size + 1, &len);
	close(fd);
	if (err) {
		free(buf);
		return ct_err(m, -err, "%s: %s", path, strerror(-err));
	}
	if (len > (size_t)st.st_size) {
		free(buf);
		return ct_err(m, EAGAIN, "%s: changed while read", path);
	}
	/* Duplicate keys are refused: which one a runtime meant is unknowable. */
	*root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!*root)
		return ct_err(m, EINVAL, "%s: line %d column %d: %s", path, jerr.line, jerr.column,
			      jerr.text);
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return ct_err(m, EINVAL, "%s: not a JSON object", path);
	}
	return 0;
}

static const char *type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

int ct_get(struct kcap_ct_meta *m, json_t *obj, const char *key, json_type type, json_t **out,
	   const char *what)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	/* true and false are two jansson types; JSON_TRUE stands for both */
	if (json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v))) {
		*out = v;
		return 0;
	}
	return ct_err(m, EINVAL, "%s: \"%s\" is %s, not %s", what, key, type_name(json_typeof(v)),
		      type_name(type));
}

int ct_copy(struct kcap_ct_meta *m, char *dst, size_t len, const char *src, size_t n,
	    const char *what)
{
	if (n >= len)
		return ct_err(m, ENAMETOOLONG, "%s is longer than %zu bytes", what, len - 1);
	if (memchr(src, '\0', n))
		return ct_err(m, EINVAL, "%s contains a NUL byte", what);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int ct_str(struct kcap_ct_meta *m, json_t *obj, const char *key, char *dst, size_t len,
	   const char *what)
{
	json_t *v;
	int err;

	dst[0] = '\0';
	err = ct_get(m, obj, key, JSON_STRING, &v, what);
	if (err || !v)
		return err;
	return ct_copy(m, dst, len, json_string_value(v), json_string_length(v), what);
}

int ct_mount_new(struct kcap_ct_meta *m, struct kcap_ct_mount **mt)
{
	struct kcap_ct_mount *grown;
	unsigned int cap;

	*mt = NULL;
	m->nr_mounts_total++;
	if (m->nr_mounts >= KCAP_CT_MAX_MOUNTS)
		return 0;
	/* capacity doubles from 8: 8, 16, 32 */
	if (m->nr_mounts >= 8 && !(m->nr_mounts & (m->nr_mounts - 1)))
		cap = m->nr_mounts * 2;
	else if (!m->nr_mounts)
		cap = 8;
	else
		cap = 0;
	if (cap) {
		grown = realloc(m->mounts, cap * sizeof(*grown));
		if (!grown)
			return ct_err(m, ENOMEM, "out of memory for %u mounts", cap);
		m->mounts = grown;
	}
	*mt = &m->mounts[m->nr_mounts++];
	memset(*mt, 0, sizeof(**mt));
	return 0;
}

void kcap__ct_meta_release(struct kcap_ct_meta *m)
{
	free(m->mounts);
	m->mounts = NULL;
	m->nr_mounts = m->nr_mounts_total = 0;
}

/* Kubernetes metadata: containerd's CRI plugin writes these annotations into
 * the OCI spec; kubelet's docker integration (dockershim, cri-dockerd) puts
 * the pod's in docker labels. container.name of a docker container stays
 * its docker name, as in Falco. */
static const struct {
	const char *key;
	size_t off, len;
} ann_fields[] = {
#define F(k, f)                                                                                    \
	{                                                                                          \
		k, offsetof(struct kcap_ct_meta, f), sizeof(((struct kcap_ct_meta *)0)->f)         \
	}
    F("io.kubernetes.cri.container-name", name),
    F("io.kubernetes.cri.image-name", image),
    F("io.kubernetes.cri.sandbox-name", pod_name),
    F("io.kubernetes.cri.sandbox-namespace", pod_namespace),
    F("io.kubernetes.cri.sandbox-uid", pod_uid),
    F("io.kubernetes.cri.sandbox-id", sandbox_id),
    F("io.kubernetes.cri.container-type", container_type),
    F("io.kubernetes.pod.name", pod_name),
    F("io.kubernetes.pod.namespace", pod_namespace),
    F("io.kubernetes.pod.uid", pod_uid),
#undef F
};

int ct_annotation(struct kcap_ct_meta *m, const char *key, const char *value, size_t value_len)
{
	size_t i;

	for (i = 0; i < sizeof(ann_fields) / sizeof(ann_fields[0]); i++)
		if (!strcmp(key, ann_fields[i].key))
			return ct_copy(m, (char *)m + ann_fields[i].off, ann_fields[i].len, value,
				       value_len, ann_fields[i].key);
	return 0;
}

static int digits(const char **s, int n, int *v)
{
	*v = 0;
	while (n--) {
		if (**s < '0' || **s > '9')
			return -1;
		*v = *v * 10 + (*(*s)++ - '0');
	}
	return 0;
}

int kcap__ct_parse_time(const char *s, uint64_t *ns)
{
	int year, mon, mday, hour, min, sec, oh = 0, om = 0, sign = 0;
	uint64_t frac = 0, scale = 1000000000ull;
	struct tm tm = {0};
	time_t t;

	if (digits(&s, 4, &year) || *s++ != '-' || digits(&s, 2, &mon) || *s++ != '-' ||
	    digits(&s, 2, &mday) || (*s != 'T' && *s != 't' && *s != ' ') || !*s++ ||
	    digits(&s, 2, &hour) || *s++ != ':' || digits(&s, 2, &min) || *s++ != ':' ||
	    digits(&s, 2, &sec))
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		/* digits past nanoseconds are dropped */
		for (; *s >= '0' && *s <= '9'; s++)
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*s - '0') * scale;
			}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*s || year < 1970 || mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 ||
	    min > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	t -= (time_t)sign * (oh * 3600 + om * 60);
	if (t < 0)
		return -EINVAL;
	*ns = (uint64_t)t * 1000000000ull + frac;
	return 0;
}

int kcap__ct_image_split(struct kcap_ct_meta *m)
{
	const char *img = m->image, *at, *slash, *colon, *end;
	int err;

	m->image_repository[0] = m->image_tag[0] = m->image_digest[0] = '\0';
	if (!img[0])
		return 0;
	at = strchr(img, '@');
	end = at ? at : img + strlen(img);
	if (at && (err = ct_copy(m, m->image_digest, sizeof(m->image_digest), at + 1,
				 strlen(at + 1), "the image digest")))
		return err;
	slash = memrchr(img, '/', (size_t)(end - img));
	colon = memrchr(img, ':', (size_t)(end - img));
	/* "host:5000/app" has a port, not a tag */
	if (colon && (!slash || colon > slash)) {
		err = ct_copy(m, m->image_tag, sizeof(m->image_tag), colon + 1,
			      (size_t)(end - colon - 1), "the image tag");
		if (err)
			return err;
		end = colon;
	}
	return ct_copy(m, m->image_repository, sizeof(m->image_repository), img,
		       (size_t)(end - img), "the image repository");
}
