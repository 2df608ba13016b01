// SPDX-License-Identifier: Apache-2.0
/*
 * mkcolseed IN OUT: a fuzz seed from a format 1.3 capture file whose column
 * batches (compression 2) hold their image in zstd frames of raw
 * (uncompressed) blocks, so that a mutation of the image's bytes reaches
 * the column decoder instead of breaking the zstd frame. The closing block
 * and the trailer are left out (the batches moved): the seed reads as a
 * file that was not closed cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "capture/file_format.h"

#define ZSTD_RAW_MAX (128u << 10)

/* A zstd frame of raw blocks holding @len bytes of @p; its length. */
static size_t raw_frame(unsigned char *out, const unsigned char *p, size_t len)
{
	static const unsigned char magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	unsigned char *o = out;
	__u32 fcs = (__u32)len;

	memcpy(o, magic, 4);
	o += 4;
	*o++ = 0xa0; /* 4-byte content size, single segment, no checksum */
	memcpy(o, &fcs, 4);
	o += 4;
	do {
		size_t n = len < ZSTD_RAW_MAX ? len : ZSTD_RAW_MAX;
		__u32 bh = (__u32)(n << 3) | (n == len ? 1u : 0u); /* type 0: raw */

		o[0] = (unsigned char)bh;
		o[1] = (unsigned char)(bh >> 8);
		o[2] = (unsigned char)(bh >> 16);
		o += 3;
		memcpy(o, p, n);
		o += n;
		p += n;
		len -= n;
	} while (len);
	return (size_t)(o - out);
}

int main(int argc, char **argv)
{
	FILE *in, *out;
	unsigned char *f, *img = NULL, *blk = NULL, hdr[KCAPF_BLOCK_HDR_LEN];
	size_t size, off = KCAPF_HEADER_LEN;
	long n;

	if (argc != 3) {
		fprintf(stderr, "usage: mkcolseed IN OUT\n");
		return 2;
	}
	in = fopen(argv[1], "rb");
	if (!in || fseek(in, 0, SEEK_END) || (n = ftell(in)) < KCAPF_HEADER_LEN) {
		perror(argv[1]);
		return 1;
	}
	size = (size_t)n;
	rewind(in);
	f = malloc(size);
	if (!f || fread(f, 1, size, in) != size) {
		perror(argv[1]);
		return 1;
	}
	fclose(in);
	out = fopen(argv[2], "wb");
	if (!out || fwrite(f, 1, KCAPF_HEADER_LEN, out) != KCAPF_HEADER_LEN) {
		perror(argv[2]);
		return 1;
	}
	while (off + KCAPF_BLOCK_HDR_LEN <= size) {
		__u32 type, len, comp, ilen;
		const unsigned char *p = f + off + KCAPF_BLOCK_HDR_LEN;
		size_t plen;

		memcpy(&type, f + off, 4);
		memcpy(&len, f + off + 4, 4);
		if (len > size - off - KCAPF_BLOCK_HDR_LEN || type == KCAPF_BLK_END)
			break;
		memcpy(&comp, p + 24, 4);
		if (type != KCAPF_BLK_BATCH || comp != KCAPF_COMP_ZSTD_COLS ||
		    len < KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX) {
			if (fwrite(f + off, 1, KCAPF_BLOCK_HDR_LEN + len, out) !=
			    KCAPF_BLOCK_HDR_LEN + len)
				goto fail;
			off += KCAPF_BLOCK_HDR_LEN + len;
			continue;
		}
		memcpy(&ilen, p + KCAPF_BATCH_HDR_LEN, 4);
		img = realloc(img, ilen ? ilen : 1);
		blk = realloc(blk, KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX + 9 + ilen +
					   3 * (ilen / ZSTD_RAW_MAX + 1));
		if (!img || !blk)
			goto fail;
		if (ZSTD_decompress(img, ilen, p + KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX,
				    len - KCAPF_BATCH_HDR_LEN - KCAPF_COLS_PREFIX) != ilen) {
			fprintf(stderr, "%s: offset %zu: the batch does not decompress\n", argv[1],
				off);
			return 1;
		}
		memcpy(blk, p, KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX);
		plen = KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX +
		       raw_frame(blk + KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX, img, ilen);
		kcapf_block_hdr(hdr, KCAPF_BLK_BATCH, blk, (__u32)plen);
		if (fwrite(hdr, 1, sizeof(hdr), out) != sizeof(hdr) ||
		    fwrite(blk, 1, plen, out) != plen)
			goto fail;
		off += KCAPF_BLOCK_HDR_LEN + len;
	}
	if (fclose(out))
		goto fail;
	free(f);
	free(img);
	free(blk);
	return 0;
fail:
	perror(argv[2]);
	return 1;
}
