// SPDX-License-Identifier: Apache-2.0
/*
 * Little-endian encoding and bounds-checked decoding for the capture file
 * format, and its checksum. The checksum is zlib's CRC-32: zlib is in every
 * Debian system (zlib1g is required), is maintained upstream and by Debian
 * security support, and its crc32 is hardware-assisted where the CPU allows;
 * a file can be checked with any CRC-32 tool. It guards against torn and
 * flipped bytes, not against an attacker (the reader's limits do that).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "file_format.h"

bool kbuf_reserve(struct kbuf *b, size_t more)
{
	size_t cap;
	unsigned char *p;

	if (b->oom)
		return false;
	if (b->cap - b->len >= more)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more) {
		if (cap > ((size_t)1 << 40)) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void kbuf_put(struct kbuf *b, const void *p, size_t len)
{
	if (!len || !kbuf_reserve(b, len))
		return;
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

void kbuf_u16(struct kbuf *b, __u16 v)
{
	kbuf_put(b, &v, sizeof(v));
}

void kbuf_u32(struct kbuf *b, __u32 v)
{
	kbuf_put(b, &v, sizeof(v));
}

void kbuf_u64(struct kbuf *b, __u64 v)
{
	kbuf_put(b, &v, sizeof(v));
}

void kbuf_strn(struct kbuf *b, const void *s, size_t len)
{
	if (len > KCAPF_MAX_STR)
		len = KCAPF_MAX_STR;
	kbuf_u16(b, (__u16)len);
	kbuf_put(b, s, len);
}

void kbuf_str(struct kbuf *b, const char *s)
{
	kbuf_strn(b, s ? s : "", s ? strlen(s) : 0);
}

void kbuf_free(struct kbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

const void *kp_bytes(struct kparse *k, size_t len)
{
	const void *p;

	if (k->bad || len > k->len - k->pos) {
		k->bad = true;
		return NULL;
	}
	p = k->p + k->pos;
	k->pos += len;
	return p;
}

__u16 kp_u16(struct kparse *k)
{
	const void *p = kp_bytes(k, 2);
	__u16 v = 0;

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

__u32 kp_u32(struct kparse *k)
{
	const void *p = kp_bytes(k, 4);
	__u32 v = 0;

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

__u64 kp_u64(struct kparse *k)
{
	const void *p = kp_bytes(k, 8);
	__u64 v = 0;

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

const char *kp_strp(struct kparse *k, __u16 *len)
{
	__u16 l = kp_u16(k);
	const char *p;

	if (k->bad || l > KCAPF_MAX_STR) {
		k->bad = true;
		return NULL;
	}
	p = kp_bytes(k, l);
	*len = l;
	return p;
}

bool kp_str(struct kparse *k, char *buf, size_t bufsz)
{
	__u16 l = 0;
	const char *p = kp_strp(k, &l);
	size_t n;

	buf[0] = '\0';
	if (!p)
		return false;
	n = l < bufsz - 1 ? l : bufsz - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

__u32 kcapf_crc(const void *p, size_t len)
{
	return (__u32)crc32_z(crc32_z(0L, Z_NULL, 0), p, len);
}

void kcapf_block_hdr(unsigned char hdr[KCAPF_BLOCK_HDR_LEN], __u32 type, const void *payload,
		     __u32 len)
{
	__u32 crc = kcapf_crc(payload, len), hcrc;

	memcpy(hdr, &type, 4);
	memcpy(hdr + 4, &len, 4);
	memcpy(hdr + 8, &crc, 4);
	hcrc = kcapf_crc(hdr, 12);
	memcpy(hdr + 12, &hcrc, 4);
}
