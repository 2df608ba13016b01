// SPDX-License-Identifier: Apache-2.0
/*
 * JSON output: any protobuf-c message in the proto3 JSON mapping (field
 * names in lowerCamelCase, 64-bit integers as strings, enums by name, bytes
 * in base64, default values left out, maps as objects), walked through the
 * message descriptors, and alerts in Falco's JSON alert format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export.h"

void export_buf_free(struct export_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static bool reserve(struct export_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->cap - b->len > n)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len <= n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void put(struct export_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct export_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct export_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct export_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!reserve(b, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < b->cap - b->len ? (size_t)n : 0;
}

/* A JSON string; the input is UTF-8 (export_utf8() made it so). */
static void put_str(struct export_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	char *o;

	if (!reserve(b, 6 * n + 2))
		return;
	o = b->p + b->len;
	*o++ = '"';
	for (; *p; p++) {
		switch (*p) {
		case '"':
		case '\\':
			*o++ = '\\';
			*o++ = (char)*p;
			break;
		case '\n':
			*o++ = '\\';
			*o++ = 'n';
			break;
		case '\t':
			*o++ = '\\';
			*o++ = 't';
			break;
		case '\r':
			*o++ = '\\';
			*o++ = 'r';
			break;
		default:
			if (*p < 0x20) {
				memcpy(o, "\\u00", 4);
				o[4] = hex[*p >> 4];
				o[5] = hex[*p & 15];
				o += 6;
			} else {
				*o++ = (char)*p;
			}
		}
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->p);
}

static void put_base64(struct export_buf *b, const ProtobufCBinaryData *d)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	char *o;

	if (!reserve(b, d->len / 3 * 4 + 8))
		return;
	o = b->p + b->len;
	*o++ = '"';
	for (i = 0; i + 2 < d->len; i += 3) {
		uint32_t v = (uint32_t)d->data[i] << 16 | (uint32_t)d->data[i + 1] << 8 |
			     d->data[i + 2];

		*o++ = tab[v >> 18];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
		*o++ = tab[v & 63];
	}
	if (i < d->len) {
		uint32_t v = (uint32_t)d->data[i] << 16 |
			     (i + 1 < d->len ? (uint32_t)d->data[i + 1] << 8 : 0);

		*o++ = tab[v >> 18];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < d->len ? tab[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->p);
}

/* "output_fields" -> "outputFields" (protoc's json_name rule). */
static void put_json_name(struct export_buf *b, const char *name)
{
	bool up = false;

	put(b, "\"", 1);
	for (; *name; name++) {
		if (*name == '_') {
			up = true;
			continue;
		}
		if (up && *name >= 'a' && *name <= 'z') {
			char c = (char)(*name - 'a' + 'A');

			put(b, &c, 1);
		} else {
			put(b, name, 1);
		}
		up = false;
	}
	put(b, "\":", 2);
}

static void put_msg(struct export_buf *b, const ProtobufCMessage *m);

/* One value of field @f at @v; @key: a map key (always a string). */
static void put_value(struct export_buf *b, const ProtobufCFieldDescriptor *f, const void *v,
		      bool key)
{
	const ProtobufCEnumValue *ev;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		putf(b, key ? "\"%" PRId32 "\"" : "%" PRId32, *(const int32_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		putf(b, key ? "\"%" PRIu32 "\"" : "%" PRIu32, *(const uint32_t *)v);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		putf(b, "\"%" PRId64 "\"", *(const int64_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		putf(b, "\"%" PRIu64 "\"", *(const uint64_t *)v);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		puts_(b, *(const protobuf_c_boolean *)v ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		putf(b, "%.9g", *(const float *)v);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		putf(b, "%.17g", *(const double *)v);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)v);
		if (ev)
			put_str(b, ev->name);
		else
			putf(b, "%d", *(const int *)v);
		break;
	case PROTOBUF_C_TYPE_STRING:
		put_str(b, *(char *const *)v ? *(char *const *)v : "");
		break;
	case PROTOBUF_C_TYPE_BYTES:
		put_base64(b, v);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		put_msg(b, *(ProtobufCMessage *const *)v);
		break;
	}
}

static size_t value_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

/* True if the singular field at @v holds its type's default (left out). */
static bool is_default(const ProtobufCFieldDescriptor *f, const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return !*(char *const *)v || !**(char *const *)v;
	case PROTOBUF_C_TYPE_MESSAGE:
		return !*(void *const *)v;
	case PROTOBUF_C_TYPE_BYTES:
		return !((const ProtobufCBinaryData *)v)->len;
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)v;
	default: {
		static const unsigned char zero[8];

		return !memcmp(v, zero, value_size(f));
	}
	}
}

/* A map<K, V> field: repeated K/V entry messages, written as an object. */
static bool is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	size_t n;

	if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED)
		return false;
	n = strlen(d->name);
	return n > 5 && !strcmp(d->name + n - 5, "Entry") && d->n_fields == 2 &&
	       !strcmp(d->fields[0].name, "key") && !strcmp(d->fields[1].name, "value");
}

static void put_field(struct export_buf *b, const ProtobufCMessage *m,
		      const ProtobufCFieldDescriptor *f, bool *first)
{
	const char *base = (const char *)m;
	const void *v = base + f->offset;
	size_t n = 0, i;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		n = *(const size_t *)(base + f->quantifier_offset);
		if (!n)
			return;
	} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
			return;
	} else if (is_default(f, v)) {
		return;
	}
	if (!*first)
		put(b, ",", 1);
	*first = false;
	put_json_name(b, f->name);
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		put_value(b, f, v, false);
		return;
	}
	if (is_map(f)) {
		const ProtobufCMessageDescriptor *d = f->descriptor;

		put(b, "{", 1);
		for (i = 0; i < n; i++) {
			const char *e = (*(char *const *const *)v)[i];

			if (i)
				put(b, ",", 1);
			put_value(b, &d->fields[0], e + d->fields[0].offset, true);
			put(b, ":", 1);
			put_value(b, &d->fields[1], e + d->fields[1].offset, false);
		}
		put(b, "}", 1);
		return;
	}
	put(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i)
			put(b, ",", 1);
		put_value(b, f, *(const char *const *)v + i * value_size(f), false);
	}
	put(b, "]", 1);
}

static void put_msg(struct export_buf *b, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;
	unsigned int i;

	put(b, "{", 1);
	for (i = 0; i < d->n_fields; i++)
		put_field(b, m, &d->fields[i], &first);
	put(b, "}", 1);
}

int export_json_msg(struct export_buf *b, const ProtobufCMessage *m)
{
	put_msg(b, m);
	return b->oom ? -ENOMEM : 0;
}

/* Falco's priority names, by kcap.v1.Priority - 1. */
static const char *const falco_prio[] = { "Emergency", "Alert",	 "Critical",	  "Error",
					  "Warning",   "Notice", "Informational", "Debug" };

/* An integer the way JSON writes it: optional '-', digits, no leading 0. */
static bool is_json_int(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s || (*s == '0' && s[1]))
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * An output field's value as Falco writes it: null where the event has no
 * value ("<NA>"), a number or boolean bare when the field is one (and the
 * text is one: anything else stays a string, so the line stays JSON).
 */
static void put_field_value(struct export_buf *b, const char *v, bool numeric)
{
	if (!strcmp(v, "<NA>"))
		puts_(b, "null");
	else if (numeric && (is_json_int(v) || !strcmp(v, "true") || !strcmp(v, "false")))
		puts_(b, v);
	else
		put_str(b, v);
}

int export_json_alert(struct export_buf *b, const Kcap__V1__Alert *m)
{
	const char *prio = m->priority >= 1 && m->priority <= 8 ? falco_prio[m->priority - 1]
								 : "Debug";
	time_t secs = (time_t)(m->time_ns / 1000000000ULL);
	struct tm tm;
	char when[64], *line;
	size_t i, j;

	/* Falco: {"hostname", "output", "priority", "rule", "source", "tags",
	 * "time" (RFC 3339, nanoseconds), "output_fields"}; "output" is its
	 * text line, "TIME: Priority OUTPUT" with the local time of day. */
	localtime_r(&secs, &tm);
	snprintf(when, sizeof(when), "%02d:%02d:%02d.%09u: %s ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(m->time_ns % 1000000000U), prio);
	line = malloc(strlen(when) + strlen(m->output) + 1);
	if (!line)
		return -ENOMEM;
	strcpy(line, when);
	strcat(line, m->output);
	puts_(b, "{\"hostname\":");
	put_str(b, m->hostname);
	puts_(b, ",\"output\":");
	put_str(b, line);
	free(line);
	puts_(b, ",\"priority\":");
	put_str(b, prio);
	puts_(b, ",\"rule\":");
	put_str(b, m->rule);
	puts_(b, ",\"source\":");
	put_str(b, m->source);
	puts_(b, ",\"tags\":[");
	for (i = 0; i < m->n_tags; i++) {
		if (i)
			put(b, ",", 1);
		put_str(b, m->tags[i]);
	}
	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	putf(b, "],\"time\":\"%s.%09" PRIu64 "Z\",\"output_fields\":{", when,
	     m->time_ns % 1000000000U);
	for (i = 0; i < m->n_output_fields; i++) {
		const Kcap__V1__Alert__OutputFieldsEntry *e = m->output_fields[i];
		bool num = false;

		for (j = 0; j < m->n_numeric_fields && !num; j++)
			num = !strcmp(m->numeric_fields[j], e->key);
		if (i)
			put(b, ",", 1);
		put_str(b, e->key);
		put(b, ":", 1);
		put_field_value(b, e->value, num);
	}
	puts_(b, "}");
	/* kcap's own, after Falco's fields: the flight recorder's file */
	if (m->flight_file && m->flight_file[0]) {
		puts_(b, ",\"flight_file\":");
		put_str(b, m->flight_file);
	}
	puts_(b, "}");
	return b->oom ? -ENOMEM : 0;
}
