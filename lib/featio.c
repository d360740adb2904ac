/* The ser feature stream: writer (ser, Kaldi text/binary archive, raw
 * float32) and reader. Byte layout in ser-formats(5), summarised here:
 *
 *   header  "SERFEAT" u8 version, u32 dim, rate, shift, length,
 *           u64 fingerprint, u32 settings bytes, settings, u32 crc32
 *   record  tag[4], u32 count, u32 ~count, body, u32 crc32
 *           "BEGN" count = key bytes, body = key
 *           "FRMS" count = frames n, body = n * dim float32
 *           "END " count = frames in the utterance, no body
 *           "ABRT" count = frames written before the producer stopped, no
 *                  body: the utterance is cut short, never to be labelled
 *
 * Little-endian throughout; every crc32 covers the bytes of its header or
 * record before it. */
#include "featio.h"
#include "bytes.h"
#include "kaldi.h"
#include "npy.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define HDR_FIXED 36            /* header bytes before the settings text */
#define REC_HEAD 12             /* tag, count, ~count */
#define WREC_BYTES 262144       /* the writer's FRAMES records stay near this */
#define RCHUNK 65536            /* the reader grows its buffer by what it read */
#define TEXT_VAL 16             /* bytes of one "%.7g " value, at most */
#define ARK_PREFIX (SER_FEAT_KEY_MAX + 16) /* "KEY " "\0B" "FM " 4 rows 4 cols */

static const char tag_begin[4] = { 'B', 'E', 'G', 'N' };
static const char tag_frames[4] = { 'F', 'R', 'M', 'S' };
static const char tag_end[4] = { 'E', 'N', 'D', ' ' };
static const char tag_abort[4] = { 'A', 'B', 'R', 'T' };

uint64_t ser_fingerprint_more(uint64_t h, const void *p, size_t n)
{
	return ser_fnv1a64_more(h, p, n);
}

uint64_t ser_fingerprint(const void *p, size_t n)
{
	return ser_fingerprint_more(SER_FINGERPRINT_BASIS, p, n);
}

/* CRC-32, reflected 0xedb88320 (ISO-HDLC, as zlib), slice-by-8: crc_tab[0]
 * is the byte table, crc_tab[j][b] the CRC of byte b followed by j zero
 * bytes; eight input bytes per step. Tables built once (pthread_once). */
static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = b;
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xedb88320u & (0u - (c & 1)));
		crc_tab[0][b] = c;
	}
	for (int b = 0; b < 256; b++)
		for (int j = 1; j < 8; j++)
			crc_tab[j][b] = crc_tab[j - 1][b] >> 8 ^ crc_tab[0][crc_tab[j - 1][b] & 0xff];
}

static uint32_t crc_update(uint32_t c, const void *p, size_t n)
{
	const unsigned char *s = p;
	pthread_once(&crc_once, crc_init);
	for (; n >= 8; n -= 8, s += 8) {
		uint32_t lo = c ^ ((uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24);
		c = crc_tab[7][lo & 0xff] ^ crc_tab[6][lo >> 8 & 0xff] ^ crc_tab[5][lo >> 16 & 0xff] ^
		    crc_tab[4][lo >> 24] ^ crc_tab[3][s[4]] ^ crc_tab[2][s[5]] ^ crc_tab[1][s[6]] ^
		    crc_tab[0][s[7]];
	}
	for (; n > 0; n--, s++)
		c = c >> 8 ^ crc_tab[0][(c ^ *s) & 0xff];
	return c;
}

uint32_t ser_crc32(const void *p, size_t n)
{
	return ~crc_update(0xffffffffu, p, n);
}

/* n floats as little-endian float32 at p */
static void putfs(unsigned char *p, const float *x, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, x, n * 4);
#else
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, x + i, 4);
		ser_put_le32(p + 4 * i, u);
	}
#endif
}

/* No NaN or infinity in x[0..n-1]: exponent bits not all ones (one
 * branch-free pass; the caller looks for the culprit when this fails). */
static int all_finite(const float *x, size_t n)
{
	uint32_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, x + i, 4);
		bad |= (u & 0x7f800000u) == 0x7f800000u;
	}
	return !bad;
}

/* Header checks shared by writer and reader; SER_ELIMIT/SER_EFORMAT. */
static int check_fields(uint32_t dim, uint32_t rate, uint32_t shift, uint32_t length, ser_error *err)
{
	if (dim < 1 || dim > SER_FEAT_DIM_MAX)
		return ser_seterr(err, SER_ELIMIT, "dimension %" PRIu32 " is out of range 1..%d", dim, SER_FEAT_DIM_MAX);
	if (rate < SER_RATE_MIN || rate > SER_RATE_MAX)
		return ser_seterr(err, SER_ELIMIT, "sample rate %" PRIu32 " is out of range %d..%d", rate, SER_RATE_MIN, SER_RATE_MAX);
	if (shift > SER_FEAT_FRAME_MAX)
		return ser_seterr(err, SER_ELIMIT, "frame shift %" PRIu32 " is out of range 0..%d", shift, SER_FEAT_FRAME_MAX);
	if (length < 1 || length > SER_FEAT_FRAME_MAX)
		return ser_seterr(err, SER_ELIMIT, "frame length %" PRIu32 " is out of range 1..%d", length, SER_FEAT_FRAME_MAX);
	return 0;
}

/* Printable ASCII (0x20..0x7e); returns the index of the first other byte or n. */
static size_t text_bad(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return i;
	return n;
}

/* ------------------------------------------------------------------ writer */

struct ser_fw {
	FILE *f;
	int fmt;
	uint32_t dim;
	int open;                 /* inside an utterance */
	uint64_t nframes;         /* frames of the open utterance */
	char key[SER_FEAT_KEY_MAX + 1];
	size_t keylen;
	unsigned char *buf;       /* one record (binary, raw) or frames of text */
	size_t per_rec;           /* frames per record / per text write */
	unsigned char *ark;       /* ARK_PREFIX bytes, then (nframes, dim) float32 */
	size_t arkcap;            /* bytes */
	ser_npw *np;              /* SER_FW_NPY, SER_FW_NPZ */
};

static int wr(ser_fw *w, const void *p, size_t n, ser_error *err)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return ser_seterr(err, SER_EIO, "write error: %s", strerror(errno ? errno : EIO));
	return 0;
}

/* Kaldi IsToken: non-empty, no ASCII white space or control byte, no 0xff.
 * ref: Kaldi util/text-utils.cc IsToken. */
static int kaldi_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == 0xff || (c < 0x80 && (c <= 0x20 || c == 0x7f)))
			return 0;
	}
	return 1;
}

ser_fw *ser_fw_new(FILE *f, int format, const ser_feat_info *info, ser_error *err)
{
	ser_fw *w;
	size_t cap;
	if (format < SER_FW_BINARY || format > SER_FW_NPZ) {
		ser_seterr(err, SER_EINVAL, "unknown output format %d", format);
		return NULL;
	}
	if (!info || info->dim < 1 || info->dim > SER_FEAT_DIM_MAX) {
		ser_seterr(err, SER_EINVAL, "dimension %" PRIu32 " is out of range 1..%d",
		           info ? info->dim : 0, SER_FEAT_DIM_MAX);
		return NULL;
	}
	if (format == SER_FW_BINARY) {
		size_t sl;
		ser_error e;
		if (check_fields(info->dim, info->rate, info->shift, info->length, &e) < 0) {
			ser_seterr(err, SER_EINVAL, "%s", e.msg);
			return NULL;
		}
		if (!info->settings || (sl = strlen(info->settings)) > SER_FEAT_SETTINGS_MAX) {
			ser_seterr(err, SER_EINVAL, "settings text missing or longer than %d bytes", SER_FEAT_SETTINGS_MAX);
			return NULL;
		}
		if (text_bad(info->settings, sl) != sl) {
			ser_seterr(err, SER_EINVAL, "settings text is not printable ASCII");
			return NULL;
		}
		if (ser_fingerprint(info->settings, sl) != info->fingerprint) {
			ser_seterr(err, SER_EINVAL, "fingerprint %016" PRIx64 " is not that of the settings text", info->fingerprint);
			return NULL;
		}
	}
	if (!(w = calloc(1, sizeof *w))) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	w->f = f;
	w->fmt = format;
	w->dim = info->dim;
	if (format >= SER_FW_NPY && !(w->np = ser_npw_new(f, format == SER_FW_NPZ, w->dim, err))) {
		free(w);
		return NULL;
	}
	w->per_rec = WREC_BYTES / (4 * (size_t)w->dim);
	if (w->per_rec < 1)
		w->per_rec = 1;
	if (format == SER_FW_TEXT) {
		w->per_rec = 64;
		cap = w->per_rec * (3 + TEXT_VAL * (size_t)w->dim);
	} else {
		cap = REC_HEAD + 4 + w->per_rec * 4 * (size_t)w->dim;
		if (cap < REC_HEAD + SER_FEAT_KEY_MAX + 4)
			cap = REC_HEAD + SER_FEAT_KEY_MAX + 4;       /* a BEGIN record */
	}
	if (format == SER_FW_BINARY) {
		size_t sl = strlen(info->settings), need = HDR_FIXED + sl + 4;
		if (need > cap)
			cap = need;
	}
	if (!(w->buf = malloc(cap))) {
		free(w);
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	if (format == SER_FW_BINARY) {
		size_t sl = strlen(info->settings);
		unsigned char *p = w->buf;
		memcpy(p, SER_FEAT_MAGIC, 7);
		p[7] = SER_FEAT_VERSION;
		ser_put_le32(p + 8, info->dim);
		ser_put_le32(p + 12, info->rate);
		ser_put_le32(p + 16, info->shift);
		ser_put_le32(p + 20, info->length);
		ser_put_le64(p + 24, info->fingerprint);
		ser_put_le32(p + 32, (uint32_t)sl);
		memcpy(p + HDR_FIXED, info->settings, sl);
		ser_put_le32(p + HDR_FIXED + sl, ser_crc32(p, HDR_FIXED + sl));
		if (wr(w, p, HDR_FIXED + sl + 4, err) < 0) {
			ser_fw_free(w);
			return NULL;
		}
	}
	return w;
}

/* One record with an empty or given body: tag, count, ~count, body, crc. */
static int wr_record(ser_fw *w, const char tag[4], uint32_t count, const void *body, size_t blen,
                     ser_error *err)
{
	unsigned char *p = w->buf;
	memcpy(p, tag, 4);
	ser_put_le32(p + 4, count);
	ser_put_le32(p + 8, ~count);
	if (blen)
		memcpy(p + REC_HEAD, body, blen);
	ser_put_le32(p + REC_HEAD + blen, ser_crc32(p, REC_HEAD + blen));
	return wr(w, p, REC_HEAD + blen + 4, err);
}

int ser_fw_key_check(const ser_fw *w, const char *key, ser_error *err)
{
	size_t kl = strlen(key);
	if (kl < 1 || kl > SER_FEAT_KEY_MAX)
		return ser_seterr(err, SER_EINVAL, "key is empty or longer than %d bytes", SER_FEAT_KEY_MAX);
	if ((w->fmt == SER_FW_TEXT || w->fmt == SER_FW_ARK) && !kaldi_token(key))
		return ser_seterr(err, SER_EINVAL, "key '%s' has white space or control bytes, "
		                  "which a Kaldi archive cannot hold", key);
	return 0;
}

int ser_fw_begin(ser_fw *w, const char *key, ser_error *err)
{
	size_t kl = strlen(key);
	int krc;
	if (w->open)
		return ser_seterr(err, SER_EINVAL, "utterance %s is still open", w->key);
	if ((krc = ser_fw_key_check(w, key, err)) < 0)
		return krc;
	memcpy(w->key, key, kl + 1);
	w->keylen = kl;
	w->nframes = 0;
	if (w->np) {
		int rc = ser_npw_begin(w->np, key, err);
		if (rc < 0)
			return rc;
	} else if (w->fmt == SER_FW_BINARY) {
		int rc = wr_record(w, tag_begin, (uint32_t)kl, key, kl, err);
		if (rc < 0)
			return rc;
	} else if (w->fmt == SER_FW_TEXT) {
		int rc;
		if ((rc = wr(w, key, kl, err)) < 0 || (rc = wr(w, "  [", 3, err)) < 0)
			return rc;
	}
	w->open = 1;
	return 0;
}

static int grow_ark(ser_fw *w, size_t bytes, ser_error *err)
{
	size_t nc = w->arkcap ? w->arkcap : ARK_PREFIX + 65536;
	unsigned char *p;
	if (bytes <= w->arkcap)
		return 0;
	while (nc < bytes)
		nc *= 2;
	if (!(p = realloc(w->ark, nc)))
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	w->ark = p;
	w->arkcap = nc;
	return 0;
}

int ser_fw_frames(ser_fw *w, const float *x, size_t n, ser_error *err)
{
	size_t d = w->dim;
	if (!w->open)
		return ser_seterr(err, SER_EINVAL, "frames outside an utterance");
	if (n > (size_t)SER_FEAT_UTT_MAX - w->nframes)
		return ser_seterr(err, SER_ELIMIT, "utterance %s exceeds %d frames", w->key, SER_FEAT_UTT_MAX);
	if (!all_finite(x, n * d))
		for (size_t i = 0; i < n * d; i++)
			if (!isfinite(x[i]))
				return ser_seterr(err, SER_EINVAL, "utterance %s frame %" PRIu64 " value %zu is %s",
				                  w->key, w->nframes + i / d, i % d, isnan(x[i]) ? "NaN" : "infinite");
	if (w->np) {
		int rc = ser_npw_frames(w->np, x, n, err);
		if (rc == 0)
			w->nframes += n;
		return rc;
	}
	if (w->fmt == SER_FW_ARK) {
		size_t at = ARK_PREFIX + (size_t)w->nframes * d * 4;
		int rc = grow_ark(w, at + n * d * 4, err);
		if (rc < 0)
			return rc;
		putfs(w->ark + at, x, n * d);
		w->nframes += n;
		return 0;
	}
	while (n > 0) {
		size_t k = n < w->per_rec ? n : w->per_rec, len = 0;
		unsigned char *p = w->buf;
		int rc;
		if (w->fmt == SER_FW_BINARY) {
			memcpy(p, tag_frames, 4);
			ser_put_le32(p + 4, (uint32_t)k);
			ser_put_le32(p + 8, ~(uint32_t)k);
			putfs(p + REC_HEAD, x, k * d);
			len = REC_HEAD + k * d * 4;
			ser_put_le32(p + len, ser_crc32(p, len));
			len += 4;
		} else if (w->fmt == SER_FW_RAW) {
			putfs(p, x, k * d);
			len = k * d * 4;
		} else { /* text: ref: Kaldi kaldi-matrix.cc MatrixBase::Write, precision 7 */
			char *s = (char *)p;
			for (size_t t = 0; t < k; t++) {
				memcpy(s + len, "\n  ", 3);
				len += 3;
				for (size_t j = 0; j < d; j++)
					len += (size_t)snprintf(s + len, TEXT_VAL, "%.7g ", (double)x[t * d + j]);
			}
		}
		if ((rc = wr(w, p, len, err)) < 0)
			return rc;
		w->nframes += k;
		x += k * d;
		n -= k;
	}
	return 0;
}

int ser_fw_end(ser_fw *w, ser_error *err)
{
	int rc = 0;
	if (!w->open)
		return ser_seterr(err, SER_EINVAL, "end outside an utterance");
	w->open = 0;
	if (w->np) {
		rc = ser_npw_end(w->np, err);
	} else if (w->fmt == SER_FW_BINARY) {
		rc = wr_record(w, tag_end, (uint32_t)w->nframes, NULL, 0, err);
	} else if (w->fmt == SER_FW_TEXT) {
		rc = w->nframes ? wr(w, "]\n", 2, err) : wr(w, " ]\n", 3, err);
	} else if (w->fmt == SER_FW_ARK) {
		/* ref: Kaldi kaldi-table-inl.h (key, space), io-funcs-inl.h
		 * InitKaldiOutputStream ("\0B"), kaldi-matrix.cc Write ("FM ",
		 * then rows and cols as WriteBasicType: size byte 4, int32) */
		uint32_t rows = (uint32_t)w->nframes, cols = rows ? w->dim : 0;
		size_t pl = w->keylen + 1 + 2 + 3 + 10, data = (size_t)rows * cols * 4;
		unsigned char *p;
		if ((rc = grow_ark(w, ARK_PREFIX, err)) < 0)
			return rc;
		p = w->ark + ARK_PREFIX - pl;
		memcpy(p, w->key, w->keylen);
		memcpy(p + w->keylen, " \0BFM \4", 7);
		ser_put_le32(p + w->keylen + 7, rows);
		p[w->keylen + 11] = 4;
		ser_put_le32(p + w->keylen + 12, cols);
		rc = wr(w, p, pl + data, err);
	}
	w->nframes = 0;
	return rc;
}

int ser_fw_abort(ser_fw *w, ser_error *err)
{
	int rc = 0;
	if (!w->open)
		return ser_seterr(err, SER_EINVAL, "abort outside an utterance");
	w->open = 0;
	if (w->np)
		ser_npw_abort(w->np);
	else if (w->fmt == SER_FW_BINARY)
		rc = wr_record(w, tag_abort, (uint32_t)w->nframes, NULL, 0, err);
	else if (w->fmt == SER_FW_TEXT)   /* not a number: a Kaldi reader refuses the matrix */
		rc = wr(w, " ABORTED ]\n", 11, err);
	/* SER_FW_ARK: the utterance was only buffered and is dropped; SER_FW_RAW
	 * has no way to say it */
	w->nframes = 0;
	return rc;
}

int ser_fw_finish(ser_fw *w, ser_error *err)
{
	return w->np ? ser_npw_finish(w->np, err) : 0;
}

void ser_fw_free(ser_fw *w)
{
	if (w) {
		ser_npw_free(w->np);
		free(w->buf);
		free(w->ark);
		free(w);
	}
}

/* ------------------------------------------------------------------ reader */

struct ser_fr {
	FILE *f;
	char *name;
	ser_feat_info info;
	char *settings;           /* of the first header, NUL-terminated */
	uint64_t off;             /* bytes consumed */
	int open;                 /* inside an utterance */
	uint64_t nframes;         /* frames of the open utterance so far */
	char key[SER_FEAT_KEY_MAX + 1];
	unsigned char *buf;       /* record bodies; FRAMES decoded in place to float */
	size_t cap;               /* bytes */
	ser_error failed;         /* sticky status (code 0: none) */
	void *src;                /* another format's reader (ser_fr_from), or NULL */
	int (*src_next)(void *, ser_fr_ev *, ser_error *);
	void (*src_free)(void *);
};

/* A failed fread: SER_EINTR when a caught signal interrupted it (the
 * stream cannot go on: part of a record may be lost), else SER_EIO. */
static int read_error(ser_fr *r, ser_error *err)
{
	if (errno == EINTR)
		return ser_setfail(&r->failed, err, SER_EINTR, "interrupted at byte offset %" PRIu64, r->off);
	return ser_setfail(&r->failed, err, SER_EIO, "read error at byte offset %" PRIu64 ": %s", r->off,
	            strerror(errno ? errno : EIO));
}

/* Reads n bytes or fails: SER_EIO, or SER_ETRUNC naming the offset where
 * the input ended and what was being read. */
static int rd(ser_fr *r, void *p, size_t n, const char *what, ser_error *err)
{
	size_t got;
	errno = 0;
	got = fread(p, 1, n, r->f);
	r->off += got;
	if (got == n)
		return 0;
	if (ferror(r->f))
		return read_error(r, err);
	if (r->open)
		return ser_setfail(&r->failed, err, SER_ETRUNC, "truncated at byte offset %" PRIu64 " inside %s of utterance %s",
		            r->off, what, r->key);
	return ser_setfail(&r->failed, err, SER_ETRUNC, "truncated at byte offset %" PRIu64 " inside %s", r->off, what);
}

/* Makes room for n bytes of body (n within the limits already). */
static int reserve(ser_fr *r, size_t n, ser_error *err)
{
	unsigned char *p;
	size_t nc;
	if (n <= r->cap)
		return 0;
	nc = r->cap ? r->cap : 4096;
	while (nc < n)
		nc *= 2;
	if (!(p = realloc(r->buf, nc)))
		return ser_setfail(&r->failed, err, SER_ENOMEM, "out of memory");
	r->buf = p;
	r->cap = nc;
	return 0;
}

/* Reads a body of n bytes, growing the buffer only as bytes arrive (so a
 * damaged count on a short input allocates no more than the input). */
static int rd_body(ser_fr *r, size_t n, const char *what, ser_error *err)
{
	size_t got = 0;
	while (got < n) {
		size_t k = n - got < RCHUNK ? n - got : RCHUNK;
		int rc;
		if ((rc = reserve(r, got + k, err)) < 0 || (rc = rd(r, r->buf + got, k, what, err)) < 0)
			return rc;
		got += k;
	}
	return 0;
}

/* The first space-separated token where a and b differ, for messages. */
static void first_diff(const char *a, const char *b, char *out, size_t n)
{
	size_t i = 0, s = 0, ea, eb;
	while (a[i] && a[i] == b[i]) {
		if (a[i] == ' ')
			s = i + 1;
		i++;
	}
	ea = s + strcspn(a + s, " ");
	eb = s + strcspn(b + s, " ");
	snprintf(out, n, "'%.*s' vs '%.*s'", (int)(ea - s < 60 ? ea - s : 60), a + s,
	         (int)(eb - s < 60 ? eb - s : 60), b + s);
}

/* Reads a header after its first 4 bytes ("SERF"), at byte offset start.
 * The first header sets r->info; a later one must equal it. */
static int rd_header(ser_fr *r, uint64_t start, ser_error *err)
{
	unsigned char h[HDR_FIXED], cb[4];
	ser_error e;
	uint32_t dim, rate, shift, length, sl, crc;
	uint64_t fp;
	size_t bad;
	int rc;
	memcpy(h, "SERF", 4);
	if ((rc = rd(r, h + 4, HDR_FIXED - 4, "the stream header", err)) < 0)
		return rc;
	if (memcmp(h, SER_FEAT_MAGIC, 7) != 0)
		return ser_setfail(&r->failed, err, SER_EFORMAT, "not a ser feature stream (bad magic at byte offset %" PRIu64 ")", start);
	if (h[7] != SER_FEAT_VERSION)
		return ser_setfail(&r->failed, err, SER_EFORMAT, "feature stream version %u is not supported (this reader: %d)",
		            h[7], SER_FEAT_VERSION);
	dim = ser_get_le32(h + 8);
	rate = ser_get_le32(h + 12);
	shift = ser_get_le32(h + 16);
	length = ser_get_le32(h + 20);
	fp = ser_get_le64(h + 24);
	sl = ser_get_le32(h + 32);
	if (sl > SER_FEAT_SETTINGS_MAX)
		return ser_setfail(&r->failed, err, SER_ELIMIT, "header at byte offset %" PRIu64 ": settings text of %" PRIu32
		            " bytes exceeds %d", start, sl, SER_FEAT_SETTINGS_MAX);
	if ((rc = rd_body(r, sl, "the stream header", err)) < 0 || (rc = rd(r, cb, 4, "the stream header", err)) < 0)
		return rc;
	crc = ~crc_update(crc_update(0xffffffffu, h, HDR_FIXED), r->buf, sl);
	if (crc != ser_get_le32(cb))
		return ser_setfail(&r->failed, err, SER_EFORMAT, "header at byte offset %" PRIu64 " is damaged (CRC mismatch)", start);
	if (check_fields(dim, rate, shift, length, &e) < 0)
		return ser_setfail(&r->failed, err, e.code, "header at byte offset %" PRIu64 ": %s", start, e.msg);
	if ((bad = text_bad((const char *)r->buf, sl)) != sl)
		return ser_setfail(&r->failed, err, SER_EFORMAT, "header at byte offset %" PRIu64 ": settings byte %zu is not printable ASCII",
		            start, bad);
	if (ser_fingerprint(r->buf, sl) != fp)
		return ser_setfail(&r->failed, err, SER_EFORMAT, "header at byte offset %" PRIu64 ": fingerprint does not match the settings",
		            start);
	if (!r->settings) {
		if (!(r->settings = malloc((size_t)sl + 1)))
			return ser_setfail(&r->failed, err, SER_ENOMEM, "out of memory");
		memcpy(r->settings, r->buf, sl);
		r->settings[sl] = '\0';
		r->info.dim = dim;
		r->info.rate = rate;
		r->info.shift = shift;
		r->info.length = length;
		r->info.fingerprint = fp;
		r->info.settings = r->settings;
		return 0;
	}
#define SAME(field, what) \
	if (field != r->info.field) \
		return ser_setfail(&r->failed, err, SER_EMISMATCH, "concatenated stream at byte offset %" PRIu64 " has " what \
		            " %" PRIu32 ", the first has %" PRIu32, start, field, r->info.field)
	SAME(dim, "dimension");
	SAME(rate, "sample rate");
	SAME(shift, "frame shift");
	SAME(length, "frame length");
#undef SAME
	if (sl != strlen(r->settings) || memcmp(r->buf, r->settings, sl) != 0) {
		char d[160], *b = malloc((size_t)sl + 1);
		if (!b)
			return ser_setfail(&r->failed, err, SER_ENOMEM, "out of memory");
		memcpy(b, r->buf, sl);
		b[sl] = '\0';
		first_diff(b, r->settings, d, sizeof d);
		free(b);
		return ser_setfail(&r->failed, err, SER_EMISMATCH, "concatenated stream at byte offset %" PRIu64
		            " has other feature settings than the first: %s", start, d);
	}
	return 0;
}

ser_fr *ser_fr_open(FILE *f, const char *name, ser_error *err)
{
	return ser_fr_open_as(f, name, NULL, err);
}

ser_fr *ser_fr_open_as(FILE *f, const char *name, const ser_feat_info *as, ser_error *err)
{
	ser_fr *r = calloc(1, sizeof *r);
	unsigned char m[4];
	size_t got, nl = strlen(name ? name : "-");
	if (!r || !(r->name = malloc(nl + 1))) {
		free(r);
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(r->name, name ? name : "-", nl + 1);
	r->f = f;
	errno = 0;
	got = fread(m, 1, 4, f);
	r->off = got;
	if (got == 0 && !ferror(f)) {
		ser_seterr(err, SER_EFORMAT, "empty input");
	} else if (got < 4 && ferror(f)) {
		ser_seterr(err, errno == EINTR ? SER_EINTR : SER_EIO, "read error: %s", strerror(errno ? errno : EIO));
	} else if (memcmp(m, SER_FEAT_MAGIC, got) != 0) {
		ser_fr_free(r);
		return ser_kaldi_open(f, m, got, name, as, err);
	} else if (got < 4) {
		ser_seterr(err, SER_ETRUNC, "truncated at byte offset %zu inside the stream header", got);
	} else if (rd_header(r, 0, err) == 0) {
		return r;
	}
	ser_fr_free(r);
	return NULL;
}

const ser_feat_info *ser_fr_info(const ser_fr *r)
{
	return &r->info;
}

int ser_fr_foreign(const ser_fr *r)
{
	return r->src != NULL;
}

ser_fr *ser_fr_from(void *p, int (*next)(void *, ser_fr_ev *, ser_error *), void (*free_p)(void *),
                    const char *name, const ser_feat_info *info, ser_error *err)
{
	ser_fr *r = calloc(1, sizeof *r);
	size_t sl = strlen(info->settings), nl = strlen(name ? name : "-");
	if (!r || !(r->name = malloc(nl + 1)) || !(r->settings = malloc(sl + 1))) {
		if (r)
			free(r->name);
		free(r);
		free_p(p);
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(r->name, name ? name : "-", nl + 1);
	memcpy(r->settings, info->settings, sl + 1);
	r->info = *info;
	r->info.settings = r->settings;
	r->src = p;
	r->src_next = next;
	r->src_free = free_p;
	return r;
}

static const char *tag_name(const unsigned char *t)
{
	return !memcmp(t, tag_begin, 4) ? "BEGIN" : !memcmp(t, tag_frames, 4) ? "FRAMES"
	       : !memcmp(t, tag_abort, 4) ? "ABORT" : "END";
}

/* The body length of a record of tag h with count, checked against the
 * state of the stream (an utterance open or not) and the limits. */
static int rec_body_len(ser_fr *r, const unsigned char *h, uint32_t count, uint64_t start,
                        size_t *blen, ser_error *err)
{
	if (!memcmp(h, tag_begin, 4)) {
		if (r->open)
			return ser_setfail(&r->failed, err, SER_EFORMAT, "utterance %s has no END before the BEGIN at byte offset %"
			            PRIu64, r->key, start);
		if (count < 1 || count > SER_FEAT_KEY_MAX)
			return ser_setfail(&r->failed, err, count ? SER_ELIMIT : SER_EFORMAT, "key of %" PRIu32
			            " bytes at byte offset %" PRIu64 " (1..%d allowed)", count, start, SER_FEAT_KEY_MAX);
		*blen = count;
	} else if (!memcmp(h, tag_frames, 4)) {
		if (!r->open)
			return ser_setfail(&r->failed, err, SER_EFORMAT, "FRAMES record outside an utterance at byte offset %" PRIu64, start);
		if (count < 1 || count > SER_FEAT_BLOCK_MAX || (uint64_t)count * r->info.dim > SER_FEAT_BLOCK_VALUES_MAX)
			return ser_setfail(&r->failed, err, count ? SER_ELIMIT : SER_EFORMAT, "FRAMES record at byte offset %" PRIu64
			            " of %" PRIu32 " frames (1..%d, and at most %d values, allowed)", start, count,
			            SER_FEAT_BLOCK_MAX, SER_FEAT_BLOCK_VALUES_MAX);
		if (r->nframes + count > SER_FEAT_UTT_MAX)
			return ser_setfail(&r->failed, err, SER_ELIMIT, "utterance %s exceeds %d frames", r->key, SER_FEAT_UTT_MAX);
		*blen = (size_t)count * r->info.dim * 4;
	} else if (!r->open) {
		return ser_setfail(&r->failed, err, SER_EFORMAT, "%s record outside an utterance at byte offset %" PRIu64,
		            tag_name(h), start);
	}
	return 0;
}

/* The frames of a FRAMES record read into r->buf: decoded in place, each
 * value finite. */
static int frames_event(ser_fr *r, ser_fr_ev *ev, uint32_t count, ser_error *err)
{
	size_t nv = (size_t)count * r->info.dim;
	float *x = (float *)(void *)r->buf;    /* malloc'd: aligned, no declared type */
	for (size_t i = 0; i < nv; i++) {
		uint32_t u = ser_get_le32(r->buf + 4 * i);
		float v;
		memcpy(&v, &u, 4);
		if (!isfinite(v))
			return ser_setfail(&r->failed, err, SER_EFORMAT, "utterance %s frame %" PRIu64 " value %zu is %s",
			            r->key, r->nframes + i / r->info.dim, i % r->info.dim,
			            isnan(v) ? "NaN" : "infinite");
		x[i] = v;
	}
	r->nframes += count;
	ev->type = SER_FR_FRAMES;
	ev->key = r->key;
	ev->x = x;
	ev->n = count;
	return SER_FR_FRAMES;
}

int ser_fr_next(ser_fr *r, ser_fr_ev *ev, ser_error *err)
{
	if (r->src)
		return r->src_next(r->src, ev, err);
	for (;;) {
		unsigned char h[REC_HEAD], cb[4];
		uint64_t start = r->off;
		uint32_t count, crc;
		size_t got, blen = 0;
		int rc;
		if (r->failed.code)
			return ser_seterr(err, r->failed.code, "%s", r->failed.msg);
		errno = 0;
		got = fread(h, 1, 4, r->f);
		r->off += got;
		if (got == 0 && !ferror(r->f)) {
			if (r->open)
				return ser_setfail(&r->failed, err, SER_ETRUNC, "stream ended inside utterance %s", r->key);
			ev->type = SER_FR_EOF;
			ev->key = NULL;
			ev->x = NULL;
			ev->n = 0;
			return SER_FR_EOF;
		}
		if (got < 4) {
			if (ferror(r->f))
				return read_error(r, err);
			return ser_setfail(&r->failed, err, SER_ETRUNC, "truncated at byte offset %" PRIu64 " inside a record tag", r->off);
		}
		if (!memcmp(h, "SERF", 4)) {
			if (r->open)
				return ser_setfail(&r->failed, err, SER_EFORMAT, "stream header at byte offset %" PRIu64
				            " inside utterance %s", start, r->key);
			if ((rc = rd_header(r, start, err)) < 0)
				return rc;
			continue;
		}
		if (memcmp(h, tag_begin, 4) && memcmp(h, tag_frames, 4) && memcmp(h, tag_end, 4) &&
		    memcmp(h, tag_abort, 4))
			return ser_setfail(&r->failed, err, SER_EFORMAT, "unknown record tag %02x %02x %02x %02x at byte offset %" PRIu64,
			            h[0], h[1], h[2], h[3], start);
		if ((rc = rd(r, h + 4, 8, tag_name(h), err)) < 0)
			return rc;
		count = ser_get_le32(h + 4);
		if (ser_get_le32(h + 8) != ~count)
			return ser_setfail(&r->failed, err, SER_EFORMAT, "%s record at byte offset %" PRIu64 " is damaged (count check)",
			            tag_name(h), start);
		if ((rc = rec_body_len(r, h, count, start, &blen, err)) < 0)
			return rc;
		if ((rc = rd_body(r, blen, tag_name(h), err)) < 0 || (rc = rd(r, cb, 4, tag_name(h), err)) < 0)
			return rc;
		crc = ~crc_update(crc_update(0xffffffffu, h, REC_HEAD), r->buf, blen);
		if (crc != ser_get_le32(cb))
			return ser_setfail(&r->failed, err, SER_EFORMAT, "%s record at byte offset %" PRIu64 " is damaged (CRC mismatch)",
			            tag_name(h), start);
		if (!memcmp(h, tag_begin, 4)) {
			if (memchr(r->buf, 0, blen))
				return ser_setfail(&r->failed, err, SER_EFORMAT, "key at byte offset %" PRIu64 " has a NUL byte", start);
			memcpy(r->key, r->buf, blen);
			r->key[blen] = '\0';
			r->open = 1;
			r->nframes = 0;
			ev->type = SER_FR_BEGIN;
			ev->key = r->key;
			ev->x = NULL;
			ev->n = 0;
			return SER_FR_BEGIN;
		}
		if (!memcmp(h, tag_frames, 4))
			return frames_event(r, ev, count, err);
		if (count != r->nframes)
			return ser_setfail(&r->failed, err, SER_EFORMAT, "%s of utterance %s says %" PRIu32 " frames, %" PRIu64
			            " were read", tag_name(h), r->key, count, r->nframes);
		r->open = 0;
		ev->type = memcmp(h, tag_abort, 4) ? SER_FR_END : SER_FR_ABORT;
		ev->key = r->key;
		ev->x = NULL;
		ev->n = count;
		return ev->type;
	}
}

void ser_fr_free(ser_fr *r)
{
	if (r) {
		if (r->src)
			r->src_free(r->src);
		free(r->name);
		free(r->settings);
		free(r->buf);
		free(r);
	}
}
