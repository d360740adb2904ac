/* NumPy .npy and .npz output: see npy.h. */
#include "npy.h"
#include "bytes.h"
#include "featio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NPY_HEAD_MAX 128   /* bytes of an .npy header (magic to "\n"), a multiple of 64 */
#define ZIP_LOCAL 30       /* fixed bytes of a local file header */
#define ZIP_CENTRAL 46     /* ... of a central directory header */
#define ZIP_END 22         /* ... of the end record */
#define ZIP_DATE 0x0021    /* 1980-01-01: no time stamps, so outputs are reproducible */

struct entry {
	char *name;            /* "KEY.npy" */
	uint32_t crc, size, offset;
	uint64_t hash;         /* of the name, for the duplicate check */
};

struct ser_npw {
	FILE *f;
	int zip;
	uint32_t dim;
	int open, written;     /* inside an utterance; utterances written */
	char key[SER_FEAT_KEY_MAX + 1];
	unsigned char *buf;    /* NPY_HEAD_MAX bytes, then (frames, dim) float32 */
	size_t cap, nframes;
	uint64_t off;          /* bytes written */
	struct entry *e;
	size_t ne, ecap;
};

static int put(ser_npw *w, const void *p, size_t n, ser_error *err)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return ser_seterr(err, SER_EIO, "write error: %s", strerror(errno ? errno : EIO));
	w->off += n;
	return 0;
}

ser_npw *ser_npw_new(FILE *f, int zip, uint32_t dim, ser_error *err)
{
	ser_npw *w = calloc(1, sizeof *w);
	if (!w) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	w->f = f;
	w->zip = zip;
	w->dim = dim;
	return w;
}

int ser_npw_begin(ser_npw *w, const char *key, ser_error *err)
{
	if (!w->zip && w->written)
		return ser_seterr(err, SER_EINVAL, "a .npy file holds one utterance, %s is a second (use .npz)", key);
	if (w->zip && w->ne >= SER_NPZ_MAX_ENTRIES)
		return ser_seterr(err, SER_ELIMIT, "more than %d utterances for one .npz", SER_NPZ_MAX_ENTRIES);
	snprintf(w->key, sizeof w->key, "%s", key);
	w->nframes = 0;
	w->open = 1;
	return 0;
}

static int grow(ser_npw *w, size_t need, ser_error *err)
{
	size_t nc = w->cap ? w->cap : NPY_HEAD_MAX + 65536;
	unsigned char *p;
	if (need <= w->cap)
		return 0;
	while (nc < need)
		nc *= 2;
	if (!(p = realloc(w->buf, nc)))
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	w->buf = p;
	w->cap = nc;
	return 0;
}

int ser_npw_frames(ser_npw *w, const float *x, size_t n, ser_error *err)
{
	size_t at = NPY_HEAD_MAX + w->nframes * w->dim * 4, nv = n * w->dim;
	int rc = grow(w, at + nv * 4, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < nv; i++)
		ser_put_le32(w->buf + at + 4 * i, ser_f32_bits(x[i]));
	w->nframes += n;
	return 0;
}

/* The .npy header of the open utterance, ending at buf + NPY_HEAD_MAX;
 * returns its length (a multiple of 64). */
static size_t npy_header(ser_npw *w)
{
	char d[NPY_HEAD_MAX];
	int dl = snprintf(d, sizeof d, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %" PRIu32 "), }",
	                  w->nframes, w->dim);
	size_t total = ((size_t)dl + 11 + 63) / 64 * 64, hl = total - 10;
	unsigned char *p = w->buf + NPY_HEAD_MAX - total;
	memcpy(p, "\x93NUMPY\x01\x00", 8);
	p[8] = (unsigned char)(hl & 0xff);
	p[9] = (unsigned char)(hl >> 8);
	memcpy(p + 10, d, (size_t)dl);
	memset(p + 10 + dl, ' ', hl - (size_t)dl - 1);
	p[total - 1] = '\n';
	return total;
}

int ser_npw_end(ser_npw *w, ser_error *err)
{
	size_t hl, len, kl = strlen(w->key);
	unsigned char *p, lh[ZIP_LOCAL];
	struct entry *e;
	int rc;
	if (!w->open)
		return ser_seterr(err, SER_EINVAL, "end outside an utterance");
	w->open = 0;
	if ((rc = grow(w, NPY_HEAD_MAX, err)) < 0)
		return rc;
	hl = npy_header(w);
	p = w->buf + NPY_HEAD_MAX - hl;
	len = hl + w->nframes * w->dim * 4;
	w->written++;
	if (!w->zip)
		return put(w, p, len, err);
	if (len > UINT32_MAX || w->off + ZIP_LOCAL + kl + 4 + len > UINT32_MAX)
		return ser_seterr(err, SER_ELIMIT, "an .npz beyond 4 GiB (zip64) is not written: utterance %s", w->key);
	if (w->ne == w->ecap) {
		size_t nc = w->ecap ? 2 * w->ecap : 64;
		struct entry *ne = realloc(w->e, nc * sizeof *ne);
		if (!ne)
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		w->e = ne;
		w->ecap = nc;
	}
	e = &w->e[w->ne];
	if (!(e->name = malloc(kl + 5)))
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	memcpy(e->name, w->key, kl);
	memcpy(e->name + kl, ".npy", 5);
	e->hash = ser_fingerprint(e->name, kl + 4);
	for (size_t i = 0; i < w->ne; i++)
		if (w->e[i].hash == e->hash && !strcmp(w->e[i].name, e->name)) {
			free(e->name);
			return ser_seterr(err, SER_EINVAL, "key %s twice: an .npz holds each key once", w->key);
		}
	e->crc = ser_crc32(p, len);
	e->size = (uint32_t)len;
	e->offset = (uint32_t)w->off;
	w->ne++;
	memset(lh, 0, sizeof lh);
	ser_put_le32(lh, 0x04034b50);
	lh[4] = 20;                                       /* version needed 2.0 */
	for (size_t i = 0; i < kl; i++)
		if ((unsigned char)w->key[i] >= 0x80)
			lh[7] = 0x08;                             /* flag bit 11: UTF-8 name */
	lh[12] = ZIP_DATE & 0xff;
	ser_put_le32(lh + 14, e->crc);
	ser_put_le32(lh + 18, e->size);
	ser_put_le32(lh + 22, e->size);
	lh[26] = (unsigned char)((kl + 4) & 0xff);
	lh[27] = (unsigned char)((kl + 4) >> 8);
	if ((rc = put(w, lh, ZIP_LOCAL, err)) < 0 || (rc = put(w, e->name, kl + 4, err)) < 0)
		return rc;
	return put(w, p, len, err);
}

void ser_npw_abort(ser_npw *w)
{
	w->open = 0;
	w->nframes = 0;
}

int ser_npw_finish(ser_npw *w, ser_error *err)
{
	unsigned char h[ZIP_CENTRAL];
	uint64_t start = w->off;
	int rc;
	if (!w->zip) {
		if (w->written)
			return 0;
		w->open = 1;
		return ser_npw_end(w, err);
	}
	for (size_t i = 0; i < w->ne; i++) {
		size_t nl = strlen(w->e[i].name);
		memset(h, 0, sizeof h);
		ser_put_le32(h, 0x02014b50);
		h[4] = 20;                                   /* made by 2.0, MS-DOS */
		h[6] = 20;
		for (size_t j = 0; j < nl; j++)
			if ((unsigned char)w->e[i].name[j] >= 0x80)
				h[9] = 0x08;
		h[14] = ZIP_DATE & 0xff;
		ser_put_le32(h + 16, w->e[i].crc);
		ser_put_le32(h + 20, w->e[i].size);
		ser_put_le32(h + 24, w->e[i].size);
		h[28] = (unsigned char)(nl & 0xff);
		h[29] = (unsigned char)(nl >> 8);
		ser_put_le32(h + 42, w->e[i].offset);
		if ((rc = put(w, h, ZIP_CENTRAL, err)) < 0 || (rc = put(w, w->e[i].name, nl, err)) < 0)
			return rc;
	}
	if (w->off > UINT32_MAX)
		return ser_seterr(err, SER_ELIMIT, "an .npz beyond 4 GiB (zip64) is not written");
	memset(h, 0, ZIP_END);
	ser_put_le32(h, 0x06054b50);
	h[8] = h[10] = (unsigned char)(w->ne & 0xff);
	h[9] = h[11] = (unsigned char)(w->ne >> 8);
	ser_put_le32(h + 12, (uint32_t)(w->off - start));
	ser_put_le32(h + 16, (uint32_t)start);
	return put(w, h, ZIP_END, err);
}

void ser_npw_free(ser_npw *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->ne; i++)
		free(w->e[i].name);
	free(w->e);
	free(w->buf);
	free(w);
}
