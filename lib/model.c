/* The ser model file (layout in ser-formats(5), MODEL FILE):
 *   "SERMODEL" u32 version u32 flags(0) u32 layout u32 in_channels u32 in_length
 *   u32 n_classes u32 arch_len arch[arch_len]
 *   n_classes x (u32 len, name[len])
 *   u32 feat_dim u32 feat_rate u32 feat_shift u32 feat_length u64 fingerprint
 *   u32 settings_len settings[settings_len]
 *   u32 norm_mode [f32 mean[feat_dim] f32 std[feat_dim] when mode != 0]
 *   f32 trim_db (version >= 2; version 1 reads as 0)
 *   u32 utt_window u32 utt_hop u32 input_idct (version >= 3; earlier read as 0)
 *   u32 record_len record[record_len]
 *   u64 nparams f32 params[nparams]
 *   u64 FNV-1a 64 of every byte before it
 * All integers and floats little-endian; strings without NUL. */
#include "model.h"
#include "bytes.h"
#include "mfcc.h"
#include "outfile.h"
#include "trim.h"

#include <cblas.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MODEL_FILE_MAX ((size_t)SER_NET_PARAMS_MAX * 4 + 8 * (size_t)SER_MODEL_TEXT_MAX)

/* ---- writer into a growing buffer ---- */
typedef struct wbuf {
	unsigned char *p;
	size_t n, cap;
	int oom;
} wbuf;

static void put(wbuf *w, const void *src, size_t n)
{
	if (w->oom)
		return;
	if (w->n + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->n + n)
			cap *= 2;
		unsigned char *q = realloc(w->p, cap);
		if (!q) {
			w->oom = 1;
			return;
		}
		w->p = q, w->cap = cap;
	}
	memcpy(w->p + w->n, src, n);
	w->n += n;
}

static void put_u32(wbuf *w, uint32_t v)
{
	unsigned char b[4];
	ser_put_le32(b, v);
	put(w, b, 4);
}

static void put_u64(wbuf *w, uint64_t v)
{
	put_u32(w, (uint32_t)v);
	put_u32(w, (uint32_t)(v >> 32));
}

static void put_f32(wbuf *w, float f)
{
	uint32_t v;
	memcpy(&v, &f, 4);
	put_u32(w, v);
}

static void put_str(wbuf *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_u32(w, (uint32_t)n);
	put(w, s ? s : "", n);
}

/* Consistency of a model; shared by save and load. */
/* A class name as the format allows: 1..NAME_MAX-1 bytes, no control
 * characters (a name is printed to terminals: no ESC, BEL, TAB, LF). */
static int class_name_ok(const char *s)
{
	size_t n = 0;
	if (!s)
		return 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return 0;
	return n > 0 && n < SER_MODEL_NAME_MAX;
}

static int validate(const ser_model *m, ser_error *err)
{
	if (!m->net)
		return ser_seterr(err, SER_EINVAL, "model has no network");
	int C = ser_net_in_channels(m->net), T = ser_net_in_length(m->net);
	if (m->n_classes != ser_net_classes(m->net) || m->n_classes < 2 ||
	    m->n_classes > SER_MODEL_CLASSES_MAX)
		return ser_seterr(err, SER_EINVAL, "model: %d classes (net has %d)", m->n_classes,
		                  ser_net_classes(m->net));
	for (int i = 0; i < m->n_classes; i++) {
		if (!m->class_names || !class_name_ok(m->class_names[i]))
			return ser_seterr(err, SER_EINVAL, "model: class name %d is empty, longer than %d "
			                  "bytes or holds a control character", i, SER_MODEL_NAME_MAX - 1);
	}
	if (m->feat_dim < 1 || m->feat_dim > SER_MODEL_DIM_MAX)
		return ser_seterr(err, SER_EINVAL, "model: feature dimension %u outside [1, %d]",
		                  m->feat_dim, SER_MODEL_DIM_MAX);
	if (m->layout == SER_LAYOUT_FRAMES) {
		if ((uint32_t)C != m->feat_dim)
			return ser_seterr(err, SER_EINVAL, "model: net input has %d channels, features %u values",
			                  C, m->feat_dim);
	} else if (m->layout == SER_LAYOUT_VECTOR) {
		if (C != 1 || (uint32_t)T != m->feat_dim)
			return ser_seterr(err, SER_EINVAL, "model: vector layout needs a net of 1 channel x %u frames",
			                  m->feat_dim);
	} else
		return ser_seterr(err, SER_EINVAL, "model: unknown input layout %d", m->layout);
	if (m->norm_mode < SER_NORM_NONE || m->norm_mode > SER_NORM_LAST)
		return ser_seterr(err, SER_EINVAL, "model: unknown normalisation %d", m->norm_mode);
	if ((m->norm_mode == SER_NORM_UTT_MEAN || ser_norm_level(m->norm_mode)) &&
	    m->layout == SER_LAYOUT_VECTOR)
		return ser_seterr(err, SER_EINVAL, "model: per-utterance %s needs the frames layout",
		                  m->norm_mode == SER_NORM_UTT_MEAN ? "mean" : "level");
	if (ser_norm_level(m->norm_mode) &&
	    (m->level_count < 1 || m->level_first < 0 ||
	     (uint32_t)m->level_first + (uint32_t)m->level_count > m->feat_dim))
		return ser_seterr(err, SER_EINVAL, "model: level normalisation without level dimensions");
	if (m->norm_mode != SER_NORM_NONE) {
		if (!m->norm_mean || !m->norm_std)
			return ser_seterr(err, SER_EINVAL, "model: normalisation without mean/std arrays");
		for (uint32_t j = 0; j < m->feat_dim; j++)
			/* std below 1e-10: 1/std overflows float for a subnormal (fuzz_model) */
			if (!(m->norm_std[j] >= 1e-10f) || !isfinite(m->norm_mean[j]) || !isfinite(m->norm_std[j]))
				return ser_seterr(err, SER_EINVAL, "model: bad normalisation value at %u", j);
	}
	if (!(m->trim_db >= 0 && m->trim_db <= SER_TRIM_DB_MAX))
		return ser_seterr(err, SER_EINVAL, "model: trim threshold outside [0, %g] dB",
		                  SER_TRIM_DB_MAX);
	if (m->trim_db > 0 && m->layout != SER_LAYOUT_FRAMES)
		return ser_seterr(err, SER_EINVAL, "model: trimming needs the frames layout");
	if (m->utt_window == 0 ? m->utt_hop != 0
	    : m->utt_window < 1 || m->utt_window > SER_MODEL_WINDOW_MAX || m->utt_hop < 1 ||
	      m->utt_hop > m->utt_window || m->layout != SER_LAYOUT_FRAMES)
		return ser_seterr(err, SER_EINVAL, "model: bad utterance window %d hop %d (frames "
		                  "layout, window 1..%d, hop 1..window; or both 0)", m->utt_window,
		                  m->utt_hop, SER_MODEL_WINDOW_MAX);
	if (m->input_idct != 0 && (m->input_idct != 1 || m->layout != SER_LAYOUT_FRAMES || !m->idct))
		return ser_seterr(err, SER_EINVAL, "model: bad input transform %d (0, or 1 with the "
		                  "frames layout)", m->input_idct);
	if ((m->feat_settings && strlen(m->feat_settings) > SER_MODEL_TEXT_MAX) ||
	    (m->train_record && strlen(m->train_record) > SER_MODEL_TEXT_MAX))
		return ser_seterr(err, SER_ELIMIT, "model: text longer than %d bytes", SER_MODEL_TEXT_MAX);
	return 0;
}

int ser_model_to_mem(const ser_model *m, unsigned char **buf, size_t *len, ser_error *err)
{
	int rc = validate(m, err);
	if (rc < 0)
		return rc;
	ser_net *net = m->net;
	wbuf w = { 0 };
	put(&w, SER_MODEL_MAGIC, 8);
	put_u32(&w, SER_MODEL_VERSION);
	put_u32(&w, 0);
	put_u32(&w, (uint32_t)m->layout);
	put_u32(&w, (uint32_t)ser_net_in_channels(net));
	put_u32(&w, (uint32_t)ser_net_in_length(net));
	put_u32(&w, (uint32_t)m->n_classes);
	put_str(&w, ser_net_arch(net));
	for (int i = 0; i < m->n_classes; i++)
		put_str(&w, m->class_names[i]);
	put_u32(&w, m->feat_dim);
	put_u32(&w, m->feat_rate);
	put_u32(&w, m->feat_shift);
	put_u32(&w, m->feat_length);
	put_u64(&w, m->feat_fingerprint);
	put_str(&w, m->feat_settings);
	put_u32(&w, (uint32_t)m->norm_mode);
	if (m->norm_mode != SER_NORM_NONE) {
		for (uint32_t j = 0; j < m->feat_dim; j++)
			put_f32(&w, m->norm_mean[j]);
		for (uint32_t j = 0; j < m->feat_dim; j++)
			put_f32(&w, m->norm_std[j]);
	}
	put_f32(&w, m->trim_db);
	put_u32(&w, (uint32_t)m->utt_window);
	put_u32(&w, (uint32_t)m->utt_hop);
	put_u32(&w, (uint32_t)m->input_idct);
	put_str(&w, m->train_record);
	size_t np = ser_net_nparams(net);
	const float *P = ser_net_params(net);
	put_u64(&w, np);
	for (size_t i = 0; i < np; i++)
		put_f32(&w, P[i]);
	if (!w.oom)
		put_u64(&w, ser_fnv1a64_more(SER_FNV1A64_BASIS, w.p, w.n));
	if (w.oom) {
		free(w.p);
		return ser_seterr(err, SER_ENOMEM, "model: out of memory");
	}
	*buf = w.p;
	*len = w.n;
	return 0;
}

int ser_model_save(const ser_model *m, const char *path, ser_error *err)
{
	unsigned char *buf;
	size_t len;
	int rc = ser_model_to_mem(m, &buf, &len, err);
	if (rc < 0)
		return rc;
	ser_out *o = ser_out_open(path, err);
	if (!o) {
		free(buf);
		return err ? err->code : SER_EIO;
	}
	if (fwrite(buf, 1, len, ser_out_file(o)) != len) {
		rc = ser_seterr(err, SER_EIO, "write: %s", strerror(errno ? errno : EIO));
		ser_out_abort(o);
	} else {
		rc = ser_out_commit(o, err);
	}
	free(buf);
	return rc;
}

/* ---- reader over a bounded buffer ---- */
typedef struct rbuf {
	const unsigned char *p;
	size_t n, off;
	int bad;
} rbuf;

static int need(rbuf *r, size_t k)
{
	if (r->bad || r->n - r->off < k) {
		r->bad = 1;
		return 0;
	}
	return 1;
}

static uint32_t get_u32(rbuf *r)
{
	if (!need(r, 4))
		return 0;
	const unsigned char *b = r->p + r->off;
	r->off += 4;
	return ser_get_le32(b);
}

static uint64_t get_u64(rbuf *r)
{
	uint64_t lo = get_u32(r);
	return lo | (uint64_t)get_u32(r) << 32;
}

static float get_f32(rbuf *r)
{
	uint32_t v = get_u32(r);
	float f;
	memcpy(&f, &v, 4);
	return f;
}

/* A malloc'd NUL-terminated string of at most max bytes, or NULL (r->bad
 * set when truncated, *over when longer than max). */
static char *get_str(rbuf *r, size_t max, int *over)
{
	uint32_t n = get_u32(r);
	if (r->bad)
		return NULL;
	if (n > max) {
		*over = 1;
		return NULL;
	}
	if (!need(r, n))
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	memcpy(s, r->p + r->off, n);
	s[n] = 0;
	r->off += n;
	if (strlen(s) != n) { /* embedded NUL */
		free(s);
		*over = 2;
		return NULL;
	}
	return s;
}

void ser_model_free(ser_model *m)
{
	if (!m)
		return;
	ser_net_free(m->net);
	if (m->class_names)
		for (int i = 0; i < m->n_classes; i++)
			free(m->class_names[i]);
	free(m->class_names), free(m->feat_settings), free(m->norm_mean), free(m->norm_std);
	free(m->train_record);
	free(m->idct);
	free(m);
}

/* The reading of a model body: how a part failed (enum below), and for
 * MR_BAD why (at the reader's offset), with which status. */
enum { MR_OK = 0, MR_BAD, MR_BAD_STR, MR_OOM, MR_FAIL /* err set */ };
typedef struct mread {
	rbuf r;
	const char *name, *why;
	int code, over;
	ser_error *err;
} mread;

static int bad(mread *d, const char *why, int code)
{
	d->why = why, d->code = code;
	return MR_BAD;
}

/* Magic, version and checksum: the version, or 0 with err set. */
static uint32_t model_envelope(const unsigned char *buf, size_t len, const char *name,
                               ser_error *err)
{
	if (len < 12 || memcmp(buf, SER_MODEL_MAGIC, 8) != 0) {
		ser_seterr(err, SER_EFORMAT, "%s: not a ser model", name);
		return 0;
	}
	rbuf r = { buf, len, 8, 0 };
	uint32_t version = get_u32(&r);
	if (version < 1 || version > SER_MODEL_VERSION) {
		ser_seterr(err, SER_EFORMAT, "%s: model version %u is not supported (this ser reads 1 to %d)",
		           name, version, SER_MODEL_VERSION);
		return 0;
	}
	/* checksum first: nothing of a damaged file is trusted */
	if (len < 20 + 8) {
		ser_seterr(err, SER_ETRUNC, "%s: truncated model file (%zu bytes)", name, len);
		return 0;
	}
	rbuf tail = { buf, len, len - 8, 0 };
	if (get_u64(&tail) != ser_fnv1a64_more(SER_FNV1A64_BASIS, buf, len - 8)) {
		ser_seterr(err, SER_EFORMAT, "%s: checksum mismatch: file damaged", name);
		return 0;
	}
	return version;
}

/* Flags, layout, net sizes, architecture and class names. */
static int read_classes(mread *d, ser_model *m, char **arch, uint32_t *in_c, uint32_t *in_len)
{
	rbuf *r = &d->r;
	uint32_t flags = get_u32(r), ncls;
	m->layout = (int)get_u32(r);
	*in_c = get_u32(r), *in_len = get_u32(r), ncls = get_u32(r);
	if (r->bad)
		return MR_BAD;
	if (flags != 0 || ncls < 2 || ncls > SER_MODEL_CLASSES_MAX || *in_c < 1 ||
	    *in_c > SER_NET_WIDTH_MAX || *in_len > 100000000)
		return bad(d, "size out of limits", SER_ELIMIT);
	if (!(*arch = get_str(r, SER_NET_ARCH_MAX - 1, &d->over)))
		return MR_BAD_STR;
	m->n_classes = (int)ncls;
	if (!(m->class_names = calloc(ncls, sizeof *m->class_names)))
		return MR_OOM;
	for (uint32_t i = 0; i < ncls; i++) {
		if (!(m->class_names[i] = get_str(r, SER_MODEL_NAME_MAX - 1, &d->over)))
			return MR_BAD_STR;
		if (!class_name_ok(m->class_names[i]))   /* never printed raw to a terminal */
			return bad(d, m->class_names[i][0] ? "a class name holds a control character"
			                                   : "an empty class name", SER_EFORMAT);
	}
	return MR_OK;
}

/* Feature settings, normalisation, trimming, windows, input transform,
 * training record. */
static int read_input(mread *d, ser_model *m, uint32_t version)
{
	rbuf *r = &d->r;
	m->feat_dim = get_u32(r);
	m->feat_rate = get_u32(r);
	m->feat_shift = get_u32(r);
	m->feat_length = get_u32(r);
	m->feat_fingerprint = get_u64(r);
	if (!r->bad && (m->feat_dim < 1 || m->feat_dim > SER_MODEL_DIM_MAX))
		return bad(d, "feature dimension out of limits", SER_ELIMIT);
	if (!(m->feat_settings = get_str(r, SER_MODEL_TEXT_MAX, &d->over)))
		return MR_BAD_STR;
	m->norm_mode = (int)get_u32(r);
	if (!r->bad && m->norm_mode != SER_NORM_NONE) {
		if (m->norm_mode < 0 || m->norm_mode > SER_NORM_LAST)
			return bad(d, "unknown normalisation mode", SER_EFORMAT);
		if (!need(r, 8 * (size_t)m->feat_dim))
			return MR_BAD;
		m->norm_mean = malloc(m->feat_dim * sizeof(float));
		m->norm_std = malloc(m->feat_dim * sizeof(float));
		if (!m->norm_mean || !m->norm_std)
			return MR_OOM;
		for (uint32_t j = 0; j < m->feat_dim; j++)
			m->norm_mean[j] = get_f32(r);
		for (uint32_t j = 0; j < m->feat_dim; j++)
			m->norm_std[j] = get_f32(r);
	}
	if (version >= 2)
		m->trim_db = get_f32(r);   /* range checked by validate() */
	if (version >= 3) {
		uint32_t uw = get_u32(r), uh = get_u32(r);
		/* clamp to a value validate() refuses rather than wrapping the int */
		m->utt_window = uw > SER_MODEL_WINDOW_MAX ? SER_MODEL_WINDOW_MAX + 1 : (int)uw;
		m->utt_hop = uh > SER_MODEL_WINDOW_MAX ? SER_MODEL_WINDOW_MAX + 1 : (int)uh;
		uint32_t ti = get_u32(r);
		if (!r->bad && ti != 0) {
			if (ti != 1 || m->layout != SER_LAYOUT_FRAMES)
				return bad(d, "unknown input transform", SER_EFORMAT);
			if (ser_model_set_idct(m, 1, d->err) < 0)
				return MR_OOM;
		}
	}
	if (!(m->train_record = get_str(r, SER_MODEL_TEXT_MAX, &d->over)))
		return MR_BAD_STR;
	if (!r->bad && ser_model_set_level(m, d->err) < 0)
		return bad(d, "level normalisation of features without level columns", SER_EFORMAT);
	return MR_OK;
}

/* The network of arch and its parameters, checked. */
static int read_net(mread *d, ser_model *m, const char *arch, uint32_t in_c, uint32_t in_len)
{
	rbuf *r = &d->r;
	uint64_t np = get_u64(r);
	ser_error e2;
	if (r->bad)
		return MR_BAD;
	if (np > SER_NET_PARAMS_MAX)
		return bad(d, "parameter count out of limits", SER_ELIMIT);
	if (!need(r, 4 * np))
		return MR_BAD;
	if (r->n - r->off != 4 * np)
		return bad(d, "trailing bytes after the parameters", SER_EFORMAT);
	m->net = ser_net_new(arch, (int)in_c, (int)in_len, m->n_classes, &e2);
	if (!m->net) {
		ser_seterr(d->err, e2.code == SER_ENOMEM ? SER_ENOMEM : SER_EFORMAT, "%s: %s", d->name,
		           e2.msg);
		return MR_FAIL;
	}
	if (ser_net_nparams(m->net) != np) {
		ser_seterr(d->err, SER_EFORMAT, "%s: %llu parameters stored, the architecture has %zu",
		           d->name, (unsigned long long)np, ser_net_nparams(m->net));
		return MR_FAIL;
	}
	float *P = ser_net_params(m->net);
	for (uint64_t i = 0; i < np; i++) {
		P[i] = get_f32(r);
		if (!isfinite(P[i])) {
			ser_seterr(d->err, SER_EFORMAT, "%s: parameter %llu is not finite", d->name,
			           (unsigned long long)i);
			return MR_FAIL;
		}
	}
	if (ser_net_check_params(m->net, &e2) < 0 || validate(m, &e2) < 0) {
		ser_seterr(d->err, SER_EFORMAT, "%s: %s", d->name, e2.msg);
		return MR_FAIL;
	}
	return MR_OK;
}

/* The message of a part that failed with rc. */
static void read_error(mread *d, int rc)
{
	if (rc == MR_BAD_STR) {
		if (d->over == 1)
			d->why = "string longer than its limit", d->code = SER_ELIMIT;
		else if (d->over == 2)
			d->why = "NUL byte inside a string";
		else if (!d->r.bad)
			rc = MR_OOM;
	}
	if (rc == MR_OOM)
		ser_seterr(d->err, SER_ENOMEM, "%s: out of memory", d->name);
	else if (rc != MR_FAIL)
		ser_seterr(d->err, d->code, "%s: bad model file: %s (at byte %zu)", d->name, d->why,
		           d->r.off);
}

ser_model *ser_model_from_mem(const unsigned char *buf, size_t len, const char *name,
                              ser_error *err)
{
	uint32_t version = model_envelope(buf, len, name, err), in_c = 0, in_len = 0;
	if (!version)
		return NULL;
	/* the checksum is not part of the body */
	mread d = { { buf, len - 8, 12, 0 }, name, "truncated", SER_EFORMAT, 0, err };
	ser_model *m = calloc(1, sizeof *m);
	char *arch = NULL;
	int rc = !m ? MR_OOM : read_classes(&d, m, &arch, &in_c, &in_len);
	if (rc == MR_OK)
		rc = read_input(&d, m, version);
	if (rc == MR_OK)
		rc = read_net(&d, m, arch, in_c, in_len);
	free(arch);
	if (rc == MR_OK)
		return m;
	read_error(&d, rc);
	ser_model_free(m);
	return NULL;
}

ser_model *ser_model_load(const char *path, ser_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		ser_seterr(err, SER_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		ser_seterr(err, SER_EIO, "%s: not a regular file", path);
		fclose(f);
		return NULL;
	}
	if ((uintmax_t)st.st_size > MODEL_FILE_MAX) {
		ser_seterr(err, SER_ELIMIT, "%s: model file larger than %zu bytes", path, MODEL_FILE_MAX);
		fclose(f);
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	unsigned char *buf = malloc(n ? n : 1);
	if (!buf) {
		ser_seterr(err, SER_ENOMEM, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	size_t got = fread(buf, 1, n, f);
	int rerr = ferror(f);
	fclose(f);
	if (rerr || got != n) {
		ser_seterr(err, SER_EIO, "%s: read error", path);
		free(buf);
		return NULL;
	}
	ser_model *m = ser_model_from_mem(buf, n, path, err);
	free(buf);
	return m;
}

int ser_model_set_idct(ser_model *m, int on, ser_error *err)
{
	int D = (int)m->feat_dim;
	free(m->idct);
	m->idct = NULL;
	m->input_idct = 0;
	if (!on)
		return 0;
	if (D < 1 || D > SER_MODEL_DIM_MAX)
		return ser_seterr(err, SER_EINVAL, "model: feature dimension %d for the inverse DCT", D);
	if (!(m->idct = malloc((size_t)D * D * sizeof *m->idct)))
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	/* the front end's orthonormal DCT-II, c_k = sum_m dct[k][m] l_m; its
	 * inverse is its transpose: l_m = sum_k c_k dct[k][m] */
	ser_dct_ortho_matrix(m->idct, D);
	m->input_idct = 1;
	return 0;
}

int ser_norm_per_speaker(int mode)
{
	return mode == SER_NORM_SPEAKER || mode == SER_NORM_SPEAKER_MEAN ||
	       mode == SER_NORM_SPEAKER_LEVEL;
}

int ser_norm_level(int mode)
{
	return mode == SER_NORM_LEVEL || mode == SER_NORM_SPEAKER_LEVEL;
}

int ser_model_set_level(ser_model *m, ser_error *err)
{
	ser_feat_opts fo;
	ser_frame_layout fl;
	m->level_first = m->level_count = 0;
	if (!ser_norm_level(m->norm_mode))
		return 0;
	if (m->input_idct) {   /* the input is log mel energies: all of them */
		m->level_count = (int)m->feat_dim;
		return 0;
	}
	if (!m->feat_settings || ser_feat_parse_settings(&fo, m->feat_settings, err) < 0)
		return ser_seterr(err, SER_EINVAL, "level normalisation: feature settings unreadable");
	ser_frame_layout_of(&fo, &fl);
	if (fl.energy_count < 1 || fl.dim != (int)m->feat_dim ||
	    fl.energy_first + fl.energy_count > fl.dim)
		return ser_seterr(err, SER_EINVAL, "level normalisation: these features have no level "
		                  "(log energy, C0 or log mel) columns");
	m->level_first = fl.energy_first;
	m->level_count = fl.energy_count;
	return 0;
}

void ser_idct_frames(const float *idct, int dim, const float *frames, int n, float *out)
{
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, dim, dim, 1.0f, frames, dim, idct,
	            dim, 0.0f, out, dim);
}

int ser_model_input(const ser_model *m, const float *frames, int n_frames, float *out,
                    ser_error *err)
{
	return ser_model_input_with(m, frames, n_frames, NULL, NULL, out, err);
}

int ser_model_input_with(const ser_model *m, const float *frames, int n_frames,
                         const float *mean, const float *std, float *out, ser_error *err)
{
	int D = (int)m->feat_dim;
	if (n_frames < 1 || (m->layout == SER_LAYOUT_VECTOR && n_frames != 1))
		return ser_seterr(err, SER_EINVAL, "model input: %d frames (%s)", n_frames,
		                  m->layout == SER_LAYOUT_VECTOR ? "this model takes one vector per utterance"
		                                                 : "need at least one");
	/* FRAMES: out (C = D, T = n_frames); VECTOR: out (1, D) -- the same index */
	if (m->input_idct && m->idct && m->layout == SER_LAYOUT_FRAMES)
		/* out (D, T) = idct^T (D, D) . frames^T (D, T) */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, D, n_frames, D, 1.0f, m->idct, D,
		            frames, D, 0.0f, out, n_frames);
	else
		for (int j = 0; j < D; j++)
			for (int t = 0; t < n_frames; t++)
				out[(size_t)j * n_frames + t] = frames[(size_t)t * D + j];
	/* the stored or given mean (modes that subtract one); the LEVEL modes'
	 * level dimensions [lf, ll) (empty for the others) */
	const float *mean_of = mean ? mean : m->norm_mean;
	int lf = m->level_first, ll = m->level_first + m->level_count;
	float level = 0.0f;
	if (ser_norm_level(m->norm_mode)) {   /* the crop's level over the mean */
		double sum = 0;
		for (int j = lf; j < ll; j++) {
			const float *row = out + (size_t)j * n_frames;
			for (int t = 0; t < n_frames; t++)
				sum += row[t] - mean_of[j];
		}
		level = (float)(sum / ((double)(ll - lf) * n_frames));
	}
	for (int j = 0; j < D; j++) {
		float *row = out + (size_t)j * n_frames, mu = 0.0f, sc = 1.0f;
		if (m->norm_mode == SER_NORM_GLOBAL || m->norm_mode == SER_NORM_SPEAKER) {
			mu = mean_of[j];
			sc = 1.0f / (std ? std[j] : m->norm_std[j]);
		} else if (m->norm_mode == SER_NORM_SPEAKER_MEAN || ser_norm_level(m->norm_mode)) {
			mu = mean_of[j];   /* the training spread, whatever std is given */
			if (j >= lf && j < ll)
				mu += level;
			sc = 1.0f / m->norm_std[j];
		} else if (m->norm_mode == SER_NORM_UTT_MEAN) {
			double sum = 0;
			for (int t = 0; t < n_frames; t++)
				sum += row[t];
			mu = (float)(sum / n_frames);
			sc = 1.0f / (std ? std[j] : m->norm_std[j]);
		}
		for (int t = 0; t < n_frames; t++)
			row[t] = (row[t] - mu) * sc;
	}
	return m->layout == SER_LAYOUT_VECTOR ? D : n_frames;
}
