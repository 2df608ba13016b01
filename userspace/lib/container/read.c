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
#include <strings.h>
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

static int load(struct kcap_ct_meta *m, const char *path, json_t **root, json_type want)
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
	if (json_typeof(*root) != want) {
		json_decref(*root);
		*root = NULL;
		return ct_err(m, EINVAL, "%s: not a JSON %s", path,
			      want == JSON_OBJECT ? "object" : "array");
	}
	return 0;
}

int ct_load(struct kcap_ct_meta *m, const char *path, json_t **root)
{
	return load(m, path, root, JSON_OBJECT);
}

int ct_load_array(struct kcap_ct_meta *m, const char *path, json_t **root)
{
	return load(m, path, root, JSON_ARRAY);
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
 * the pod's in docker labels, and CRI-O copies the same labels into the
 * spec as annotations. container.name of a docker container stays its
 * docker name, as in Falco. */
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
    /* CRI-O (pkg/annotations in its source; docs/containers.md) */
    F("io.kubernetes.cri-o.SandboxID", sandbox_id),
    F("io.kubernetes.cri-o.ContainerType", container_type),
    F("io.kubernetes.cri-o.IP.0", ip),
#undef F
};

/* A JSON annotation value (CRI-O's Metadata and Labels): an object. */
static int ann_json(struct kcap_ct_meta *m, const char *key, const char *value, size_t len,
		    json_t **obj)
{
	json_error_t jerr;

	*obj = json_loadb(value, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*obj)
		return ct_err(m, EINVAL, "annotation %s: column %d: %s", key, jerr.column,
			      jerr.text);
	if (!json_is_object(*obj)) {
		json_decref(*obj);
		*obj = NULL;
		return ct_err(m, EINVAL, "annotation %s is not a JSON object", key);
	}
	return 0;
}

static int ann_crio(struct kcap_ct_meta *m, const char *key, const char *value, size_t len)
{
	const char *k = key + strlen("io.kubernetes.cri-o.");
	char when[64], id[KCAP_CT_DIGEST_LEN];
	json_t *obj;
	int err;

	if (!strcmp(k, "ImageName")) {
		m->crio = true;
		/* "some name of the image": "" for an image run by id */
		return len ? ct_copy(m, m->image, sizeof(m->image), value, len, key) : 0;
	}
	if (!strcmp(k, "Image")) {
		/* the image as the pod asked for it: only without a name */
		m->crio = true;
		return m->image[0] ? 0 : ct_copy(m, m->image, sizeof(m->image), value, len, key);
	}
	if (!strcmp(k, "ImageRef")) {
		m->crio = true;
		if ((err = ct_copy(m, id, sizeof(id), value, len, key)))
			return err;
		snprintf(m->image_id, sizeof(m->image_id), "%s",
			 strncmp(id, "sha256:", 7) ? id : id + 7);
		return 0;
	}
	if (!strcmp(k, "Created")) {
		/* podman writes it too; the runtime's own creation time wins */
		if (m->start_ts)
			return 0;
		if ((err = ct_copy(m, when, sizeof(when), value, len, key)))
			return err;
		if (kcap__ct_parse_time(when, &m->start_ts))
			return ct_err(m, EINVAL, "annotation %s is not an RFC 3339 time", key);
		return 0;
	}
	if (!strcmp(k, "Metadata")) {
		/* {"name": container (or, for the sandbox, pod) name, "attempt": N} */
		m->crio = true;
		if ((err = ann_json(m, key, value, len, &obj)))
			return err;
		err = ct_str(m, obj, "name", m->name, sizeof(m->name), key);
		json_decref(obj);
		return err;
	}
	if (!strcmp(k, "Labels")) {
		/* the sandbox's are the pod's labels; a container's, kubelet's own */
		m->crio = true;
		if ((err = ann_json(m, key, value, len, &obj)))
			return err;
		err = ct_pod_labels(m, obj, key);
		json_decref(obj);
		return err;
	}
	return 0;
}

int ct_annotation(struct kcap_ct_meta *m, const char *key, const char *value, size_t value_len)
{
	size_t i;

	for (i = 0; i < sizeof(ann_fields) / sizeof(ann_fields[0]); i++)
		if (!strcmp(key, ann_fields[i].key)) {
			if (!strncmp(key, "io.kubernetes.cri-o.", 20))
				m->crio = true;
			return ct_copy(m, (char *)m + ann_fields[i].off, ann_fields[i].len, value,
				       value_len, ann_fields[i].key);
		}
	if (!strncmp(key, "io.kubernetes.cri-o.", 20))
		return ann_crio(m, key, value, value_len);
	if (!strcmp(key, "io.podman.annotations.privileged")) {
		/* podman writes "TRUE" or "FALSE" */
		m->ann_privileged = value_len == 4 && !strncasecmp(value, "true", 4) ? 2 : 1;
		return 0;
	}
	return 0;
}

void ct_privileged(struct kcap_ct_meta *m, bool looks)
{
	m->privileged = m->ann_privileged ? m->ann_privileged == 2 : looks;
}

void ct_append(char *dst, size_t len, const char *src)
{
	size_t used = strlen(dst);

	if (used && used + 1 < len)
		dst[used++] = ' ';
	snprintf(dst + used, len - used, "%s", src);
}

struct label {
	const char *key, *value;
};

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->key, ((const struct label *)b)->key);
}

int ct_pod_labels(struct kcap_ct_meta *m, json_t *labels, const char *what)
{
	struct label *l;
	size_t n = json_object_size(labels), i = 0, used = 0, kl, vl;
	const char *key;
	json_t *v;

	m->has_pod_labels = true;
	m->nr_pod_labels = m->nr_pod_labels_total = 0;
	if (!n)
		return 0;
	l = calloc(n, sizeof(*l));
	if (!l)
		return ct_err(m, ENOMEM, "out of memory for %zu labels", n);
	json_object_foreach(labels, key, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			free(l);
			return ct_err(m, EINVAL, "%s: label \"%s\" is not a string", what, key);
		}
		l[i].key = key;
		l[i++].value = json_string_value(v);
	}
	qsort(l, n, sizeof(*l), label_cmp);
	for (i = 0; i < n; i++) {
		kl = strlen(l[i].key);
		vl = strlen(l[i].value);
		m->nr_pod_labels_total++;
		/* the labels that fit, in key order; the count says what is missing */
		if (used + kl + vl + 2 > sizeof(m->pod_labels))
			continue;
		memcpy(m->pod_labels + used, l[i].key, kl + 1);
		memcpy(m->pod_labels + used + kl + 1, l[i].value, vl + 1);
		used += kl + vl + 2;
		m->nr_pod_labels++;
	}
	free(l);
	return 0;
}

const char *kcap__ct_pod_label(const struct kcap_ct_meta *m, const char *key)
{
	const char *p = m->pod_labels;
	unsigned int i;

	for (i = 0; i < m->nr_pod_labels; i++) {
		const char *v = p + strlen(p) + 1;

		if (!strcmp(p, key))
			return v;
		p = v + strlen(v) + 1;
	}
	return NULL;
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
