/* Kaldi archives and scp files as feature streams: see kaldi.h. */
#include "kaldi.h"
#include "bytes.h"
#include "mfcc.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_VALUES 65536   /* values per FRAMES event, at most */
#define NUM_MAX 64           /* bytes of one number in a text matrix */

enum { K_BETWEEN, K_BINARY, K_TEXT, K_END };

typedef struct kr {
	FILE *f;                 /* the archive (for an scp: the file last opened) */
	unsigned char head[8];   /* bytes already read by ser_fr_open_as */
	size_t nhead, phead;
	int back;                /* a byte pushed back, or -1 */
	uint64_t off;            /* bytes consumed from the archive */
	uint32_t dim;
	FILE *scp;               /* scp mode: the list, else NULL */
	char *line;              /* its current line */
	size_t linecap;
	long lineno;
	char *path;              /* name of k->f in scp mode */
	int state;
	int dbl;                 /* binary values are float64 */
	uint64_t left;           /* binary rows still to read */
	uint64_t nframes;        /* frames of the open utterance so far */
	char key[SER_FEAT_KEY_MAX + 1];
	float *x;                /* (BLOCK_VALUES / dim, dim) */
	unsigned char *raw;      /* binary rows as read */
	ser_error failed;        /* sticky status (code 0: none) */
} kr;

static int kgetc(kr *k)
{
	int c;
	if (k->back >= 0) {
		c = k->back;
		k->back = -1;
	} else if (k->phead < k->nhead) {
		c = k->head[k->phead++];
	} else if ((c = getc(k->f)) == EOF) {
		return EOF;
	}
	k->off++;
	return c;
}

static void kunget(kr *k, int c)
{
	if (c != EOF) {
		k->back = c;
		k->off--;
	}
}

static size_t kread(kr *k, void *p, size_t n)
{
	unsigned char *s = p;
	size_t got = 0;
	int c;
	while (got < n && (k->back >= 0 || k->phead < k->nhead) && (c = kgetc(k)) != EOF)
		s[got++] = (unsigned char)c;
	if (got < n) {
		size_t r = fread(s + got, 1, n - got, k->f);
		k->off += r;
		got += r;
	}
	return got;
}

/* An input error: read error or the end of the input. */
static int kshort(kr *k, const char *what, ser_error *err)
{
	if (ferror(k->f))
		return ser_setfail(&k->failed, err, errno == EINTR ? SER_EINTR : SER_EIO, "read error at byte offset %" PRIu64 ": %s",
		             k->off, strerror(errno ? errno : EIO));
	return ser_setfail(&k->failed, err, SER_ETRUNC, "truncated at byte offset %" PRIu64 " inside %s of utterance %s", k->off,
	             what, k->key);
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Binary int32 as Kaldi's WriteBasicType writes it: size byte 4, value. */
static int rd_int(kr *k, const char *what, int32_t *v, ser_error *err)
{
	unsigned char b[5];
	uint32_t u;
	if (kread(k, b, 5) != 5)
		return kshort(k, what, err);
	if (b[0] != 4)
		return ser_setfail(&k->failed, err, SER_EFORMAT, "utterance %s: %s has size byte %u, not 4 (byte offset %" PRIu64 ")",
		             k->key, what, b[0], k->off - 5);
	u = ser_get_le32(b + 1);
	memcpy(v, &u, 4);
	return 0;
}

/* The object after "KEY ": its header; sets k->state. */
static int rd_object(kr *k, ser_error *err)
{
	uint64_t at = k->off;
	int c = kgetc(k);
	if (c == '\0') {
		char tok[8];
		size_t t = 0;
		int32_t rows = 1, cols;
		int rc;
		if (kgetc(k) != 'B')
			return ser_setfail(&k->failed, err, SER_EFORMAT, "utterance %s: bad binary marker at byte offset %" PRIu64, k->key, at);
		while ((c = kgetc(k)) != EOF && c != ' ' && t < sizeof tok - 1)
			tok[t++] = (char)c;
		tok[t] = '\0';
		if (c == EOF)
			return kshort(k, "the object header", err);
		if (!strncmp(tok, "CM", 2))
			return ser_setfail(&k->failed, err, SER_EFORMAT, "utterance %s: compressed matrix (%s) is not supported: write it "
			             "with copy-feats --compress=false", k->key, tok);
		if (strcmp(tok, "FM") && strcmp(tok, "DM") && strcmp(tok, "FV") && strcmp(tok, "DV"))
			return ser_setfail(&k->failed, err, SER_EFORMAT, "utterance %s: object '%s' at byte offset %" PRIu64
			             " is not a float matrix or vector (FM, DM, FV, DV)", k->key, tok, at);
		k->dbl = tok[0] == 'D';
		if (tok[1] == 'M' && (rc = rd_int(k, "the row count", &rows, err)) < 0)
			return rc;
		if ((rc = rd_int(k, "the column count", &cols, err)) < 0)
			return rc;
		if (tok[1] == 'V' && cols == 0)
			rows = 0;
		if (rows < 0 || cols < 0)
			return ser_setfail(&k->failed, err, SER_EFORMAT, "utterance %s: negative size %" PRId32 " x %" PRId32, k->key, rows, cols);
		if (rows > SER_FEAT_UTT_MAX)
			return ser_setfail(&k->failed, err, SER_ELIMIT, "utterance %s exceeds %d frames", k->key, SER_FEAT_UTT_MAX);
		if (rows > 0 && (uint32_t)cols != k->dim)
			return ser_setfail(&k->failed, err, SER_EMISMATCH, "utterance %s has %" PRId32 " values per frame, the settings give %"
			             PRIu32, k->key, cols, k->dim);
		k->left = (uint64_t)rows;
		k->state = K_BINARY;
		return 0;
	}
	while (c != EOF && is_space(c))
		c = kgetc(k);
	if (c != '[')
		return c == EOF ? kshort(k, "the object", err)
		       : ser_setfail(&k->failed, err, SER_EFORMAT, "utterance %s: neither a binary object (\\0B) nor a text matrix ([) at "
		               "byte offset %" PRIu64, k->key, at);
	k->state = K_TEXT;
	return 0;
}

/* Up to max frames of a binary matrix into k->x; returns the count. */
static int rd_binary(kr *k, size_t max, ser_error *err)
{
	size_t n = k->left < max ? (size_t)k->left : max, nv = n * k->dim, vb = k->dbl ? 8 : 4;
	if (kread(k, k->raw, nv * vb) != nv * vb)
		return kshort(k, "the values", err);
	for (size_t i = 0; i < nv; i++) {
		float v;
		if (k->dbl) {
			double d = ser_bits_f64(ser_get_le64(k->raw + 8 * i));
			v = fabs(d) <= FLT_MAX ? (float)d : (float)INFINITY;   /* NaN and beyond: refused below */
		} else {
			v = ser_bits_f32(ser_get_le32(k->raw + 4 * i));
		}
		if (!isfinite(v))
			return ser_setfail(&k->failed, err, SER_EFORMAT, "utterance %s frame %" PRIu64 " value %zu is %s", k->key,
			             k->nframes + i / k->dim, i % k->dim, isnan(v) ? "NaN" : "infinite (or beyond float32)");
		k->x[i] = v;
	}
	k->left -= n;
	return (int)n;
}

/* Up to max rows of a text matrix into k->x; at "]" the state becomes
 * K_END. Returns the count. */
static int rd_text(kr *k, size_t max, ser_error *err)
{
	size_t n = 0, col = 0;
	while (n < max) {
		char num[NUM_MAX + 1], *end;
		size_t l = 0;
		int c = kgetc(k);
		if (c == EOF)
			return kshort(k, "the text matrix", err);
		if (c == '\n' || c == ']') {
			if (col) {
				if (col != k->dim)
					return ser_setfail(&k->failed, err, SER_EMISMATCH, "utterance %s frame %" PRIu64 " has %zu values, the "
					             "settings give %" PRIu32, k->key, k->nframes + n, col, k->dim);
				n++;
				col = 0;
			}
			if (c == ']') {
				k->state = K_END;
				break;
			}
			continue;
		}
		if (is_space(c))
			continue;
		while (c != EOF && !is_space(c) && c != ']' && l < NUM_MAX) {
			num[l++] = (char)c;
			c = kgetc(k);
		}
		kunget(k, c);
		num[l] = '\0';
		if (col >= k->dim)
			return ser_setfail(&k->failed, err, SER_EMISMATCH, "utterance %s frame %" PRIu64 " has more than %" PRIu32
			             " values (the settings' dimension)", k->key, k->nframes + n, k->dim);
		errno = 0;
		k->x[n * k->dim + col] = strtof(num, &end);
		if (l == NUM_MAX || *end || end == num)
			return ser_setfail(&k->failed, err, SER_EFORMAT, "utterance %s frame %" PRIu64 ": '%.20s' is not a number",
			             k->key, k->nframes + n, num);
		if (!isfinite(k->x[n * k->dim + col]))
			return ser_setfail(&k->failed, err, SER_EFORMAT, "utterance %s frame %" PRIu64 " value %zu is not finite",
			             k->key, k->nframes + n, col);
		col++;
	}
	return (int)n;   /* the block ends with a row: col is 0 */
}

/* The key of the next archive entry (after white space); 0 at the end. */
static int rd_key(kr *k, ser_error *err)
{
	size_t l = 0;
	int c;
	while ((c = kgetc(k)) != EOF && is_space(c))
		;
	if (c == EOF) {
		if (ferror(k->f))
			return kshort(k, "a key", err);
		return 0;
	}
	while (c != EOF && !is_space(c)) {
		if (l == SER_FEAT_KEY_MAX)
			return ser_setfail(&k->failed, err, SER_ELIMIT, "key at byte offset %" PRIu64 " is longer than %d bytes",
			             k->off - l, SER_FEAT_KEY_MAX);
		k->key[l++] = (char)c;
		c = kgetc(k);
	}
	k->key[l] = '\0';
	if (c == EOF)
		return kshort(k, "the key", err);
	if (c == '\n')   /* Kaldi: the object may follow on the next line (text) */
		kunget(k, c);
	return 1;
}

static int scp_next_entry(kr *k, ser_error *err);

static int kr_next(void *p, ser_fr_ev *ev, ser_error *err)
{
	kr *k = p;
	size_t max = BLOCK_VALUES / k->dim;
	int rc;
	if (k->failed.code)
		return ser_seterr(err, k->failed.code, "%s", k->failed.msg);
	memset(ev, 0, sizeof *ev);
	ev->key = k->key;
	if (k->state == K_BETWEEN) {
		rc = k->scp ? scp_next_entry(k, err) : rd_key(k, err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			ev->type = SER_FR_EOF;
			ev->key = NULL;
			return SER_FR_EOF;
		}
		if ((rc = rd_object(k, err)) < 0)
			return rc;
		k->nframes = 0;
		ev->type = SER_FR_BEGIN;
		return SER_FR_BEGIN;
	}
	if (k->state == K_BINARY && k->left == 0)
		k->state = K_END;
	if (k->state == K_END) {
		k->state = K_BETWEEN;
		ev->type = SER_FR_END;
		ev->n = k->nframes;
		return SER_FR_END;
	}
	rc = k->state == K_BINARY ? rd_binary(k, max, err) : rd_text(k, max, err);
	if (rc < 0)
		return rc;
	if (rc == 0)        /* "]" straight away */
		return kr_next(p, ev, err);
	if (k->nframes + (uint64_t)rc > SER_FEAT_UTT_MAX)
		return ser_setfail(&k->failed, err, SER_ELIMIT, "utterance %s exceeds %d frames", k->key, SER_FEAT_UTT_MAX);
	k->nframes += (uint64_t)rc;
	ev->type = SER_FR_FRAMES;
	ev->x = k->x;
	ev->n = (size_t)rc;
	return SER_FR_FRAMES;
}

static void kr_free(void *p)
{
	kr *k = p;
	if (!k)
		return;
	if (k->scp) {
		fclose(k->scp);
		if (k->f)
			fclose(k->f);
	}
	free(k->line);
	free(k->path);
	free(k->x);
	free(k->raw);
	free(k);
}

static kr *kr_new(FILE *f, uint32_t dim, ser_error *err)
{
	kr *k = calloc(1, sizeof *k);
	size_t rows = BLOCK_VALUES / (dim ? dim : 1);
	if (k) {
		k->f = f;
		k->back = -1;
		k->dim = dim;
		k->x = malloc(rows * dim * sizeof *k->x);
		k->raw = malloc(rows * dim * 8);
	}
	if (!k || !k->x || !k->raw) {
		kr_free(k);
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	return k;
}

static const char no_settings[] = "a Kaldi archive carries no feature settings: name them with --settings "
                                  "(a preset, a settings text, or a ser feature stream whose header to use)";

/* Whether the first entry of k looks like a Kaldi archive's: a key, one
 * space, then "\0B" or white space and "[". Reads that far. */
static int looks_kaldi(kr *k)
{
	ser_error e;
	int c;
	if (rd_key(k, &e) <= 0)
		return 0;
	c = kgetc(k);
	if (c == '\0')
		return kgetc(k) == 'B';
	while (c != EOF && is_space(c))
		c = kgetc(k);
	return c == '[';
}

ser_fr *ser_kaldi_open(FILE *f, const unsigned char *head, size_t nhead, const char *name,
                       const ser_feat_info *as, ser_error *err)
{
	kr *k;
	if (as && (as->dim < 1 || as->dim > SER_FEAT_DIM_MAX)) {
		ser_seterr(err, SER_EINVAL, "dimension %" PRIu32 " is out of range 1..%d", as->dim, SER_FEAT_DIM_MAX);
		return NULL;
	}
	if (!(k = kr_new(f, as ? as->dim : 1, err)))
		return NULL;
	if (nhead > sizeof k->head)
		nhead = sizeof k->head;
	memcpy(k->head, head, nhead);
	k->nhead = nhead;
	if (!as) {
		int kaldi = looks_kaldi(k);
		kr_free(k);
		ser_seterr(err, SER_EFORMAT, "%s", kaldi ? no_settings : "not a ser feature stream (bad magic)");
		return NULL;
	}
	return ser_fr_from(k, kr_next, kr_free, name, as, err);
}

/* ---- scp ---- */

/* Opens the file of an scp entry (kept open while the next entries name
 * it too) and goes to offset. */
static int scp_seek(kr *k, const char *path, uint64_t offset, ser_error *err)
{
	if (!k->path || strcmp(k->path, path)) {
		if (k->f)
			fclose(k->f);
		free(k->path);
		k->path = NULL;
		if (!(k->f = fopen(path, "rb")))
			return ser_setfail(&k->failed, err, SER_EIO, "line %ld: %s: %s", k->lineno, path, strerror(errno));
		if (!(k->path = strdup(path)))
			return ser_setfail(&k->failed, err, SER_ENOMEM, "out of memory");
	}
	if (offset > INT64_MAX || fseeko(k->f, (off_t)offset, SEEK_SET) != 0)
		return ser_setfail(&k->failed, err, SER_EIO, "line %ld: %s: cannot seek to byte offset %" PRIu64 ": %s", k->lineno, path,
		             offset, strerror(errno ? errno : EINVAL));
	k->off = offset;
	k->back = -1;
	return 0;
}

/* The next "KEY RXFILE[:OFFSET]" line: sets the key, opens and seeks. */
static int scp_next_entry(kr *k, ser_error *err)
{
	for (;;) {
		ssize_t len;
		char *s, *key, *rx, *colon, *end;
		uint64_t offset = 0;
		errno = 0;
		if ((len = getline(&k->line, &k->linecap, k->scp)) < 0) {
			if (ferror(k->scp))
				return ser_setfail(&k->failed, err, SER_EIO, "read error: %s", strerror(errno ? errno : EIO));
			return 0;
		}
		k->lineno++;
		while (len > 0 && is_space(k->line[len - 1]))
			k->line[--len] = '\0';
		for (s = k->line; is_space(*s); s++)
			;
		if (!*s)
			continue;
		key = s;
		s += strcspn(s, " \t");
		if (*s)
			*s++ = '\0';
		while (is_space(*s))
			s++;
		rx = s;
		if (!*rx)
			return ser_setfail(&k->failed, err, SER_EFORMAT, "line %ld: no file after the key", k->lineno);
		if (strlen(key) > SER_FEAT_KEY_MAX)
			return ser_setfail(&k->failed, err, SER_ELIMIT, "line %ld: key longer than %d bytes", k->lineno, SER_FEAT_KEY_MAX);
		strcpy(k->key, key);
		if (rx[strlen(rx) - 1] == '|' || !strcmp(rx, "-"))
			return ser_setfail(&k->failed, err, SER_EFORMAT, "line %ld: '%.60s': commands and standard input are not read "
			             "from an scp file (run the command into an archive first)", k->lineno, rx);
		if (rx[strlen(rx) - 1] == ']')
			return ser_setfail(&k->failed, err, SER_EFORMAT, "line %ld: '%.60s': ranges are not supported", k->lineno, rx);
		if ((colon = strrchr(rx, ':')) && colon[1]) {
			errno = 0;
			offset = strtoull(colon + 1, &end, 10);
			if (!*end && colon[1] >= '0' && colon[1] <= '9') {
				if (errno)
					return ser_setfail(&k->failed, err, SER_EFORMAT, "line %ld: offset out of range", k->lineno);
				*colon = '\0';
			} else {
				offset = 0;
			}
		}
		return scp_seek(k, rx, offset, err) < 0 ? k->failed.code : 1;
	}
}

ser_fr *ser_kaldi_open_scp(const char *path, const ser_feat_info *as, ser_error *err)
{
	kr *k;
	FILE *f;
	if (!as) {
		ser_seterr(err, SER_EFORMAT, "%s", no_settings);
		return NULL;
	}
	if (as->dim < 1 || as->dim > SER_FEAT_DIM_MAX) {
		ser_seterr(err, SER_EINVAL, "dimension %" PRIu32 " is out of range 1..%d", as->dim, SER_FEAT_DIM_MAX);
		return NULL;
	}
	if (!(f = strcmp(path, "-") ? fopen(path, "r") : fdopen(dup(0), "r"))) {
		ser_seterr(err, SER_EIO, "%s", strerror(errno));
		return NULL;
	}
	if (!(k = kr_new(NULL, as->dim, err))) {
		fclose(f);
		return NULL;
	}
	k->scp = f;
	return ser_fr_from(k, kr_next, kr_free, path, as, err);
}

int ser_kaldi_sniff(const unsigned char *head, size_t n)
{
	size_t i = 0;
	while (i < n && i <= SER_FEAT_KEY_MAX && !is_space(head[i]) && head[i] > 0x20 && head[i] != 0x7f)
		i++;
	if (i == 0 || i >= n || head[i] != ' ')
		return 0;
	if (++i < n && head[i] == '\0')
		return i + 1 < n && head[i + 1] == 'B';
	while (i < n && is_space(head[i]))
		i++;
	return i < n && head[i] == '[';
}

int ser_kaldi_is_scp(const char *path)
{
	size_t n = strlen(path);
	return n > 4 && !strcmp(path + n - 4, ".scp");
}

/* ---- settings ---- */

int ser_kaldi_settings(const char *s, ser_feat_info *info, char *text, size_t n, ser_error *err)
{
	ser_feat_opts o;
	FILE *f;
	ser_fr *r;
	int rc;
	if (strchr(s, '=')) {
		if ((rc = ser_feat_parse_settings(&o, s, err)) < 0)
			return rc;
		return ser_feat_info_fill(&o, info, text, n, err);
	}
	if (ser_feat_preset(&o, s, NULL) == 0)
		return ser_feat_info_fill(&o, info, text, n, err);
	if (!(f = fopen(s, "rb")))
		return ser_seterr(err, SER_EINVAL, "'%s' is neither a preset, a settings text (KEY=VALUE ...) nor a "
		                  "readable feature stream (%s)", s, strerror(errno));
	if (!(r = ser_fr_open(f, s, err))) {
		fclose(f);
		return err ? err->code : SER_EFORMAT;
	}
	*info = *ser_fr_info(r);
	if (strlen(info->settings) >= n) {
		rc = ser_seterr(err, SER_ELIMIT, "settings text longer than %zu bytes", n - 1);
	} else {
		strcpy(text, info->settings);
		info->settings = text;
		rc = 0;
	}
	ser_fr_free(r);
	fclose(f);
	return rc;
}
