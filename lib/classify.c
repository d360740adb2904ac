/* Inference with a ser model on utterances and windows. */
#include "classify.h"
#include "nn.h"
#include "labels.h"
#include "trim.h"

#include <stdlib.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

struct ser_clf {
	ser_model *m;
	ser_vad *energy; /* frame energies for trimming, or NULL (m->trim_db == 0) */
	float *tile;     /* (cap_frames, feat_dim) repeated short input */
	float *in;       /* net input, feat_dim * cap_frames */
	size_t cap;      /* frames both buffers hold */
	int restricted;  /* 1: decide among the classes with keep[k] (--only) */
	unsigned char keep[SER_MODEL_CLASSES_MAX]; /* (n_classes) */
	const float *nmean, *nstd; /* normalisation statistics given, or NULL */
};

ser_clf *ser_clf_new(ser_model *m, ser_error *err)
{
	ser_clf *c;
	if (!m || !m->net || m->feat_dim < 1)
		return ser_seterr(err, SER_EINVAL, "classifier: no model"), NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return ser_seterr(err, SER_ENOMEM, "out of memory"), NULL;
	c->m = m;
	if (m->trim_db > 0) {
		ser_vad_opts vo;
		ser_vad_defaults(&vo);
		if (!(c->energy = ser_vad_new(&vo, m->feat_settings, m->feat_dim, err))) {
			free(c);
			return NULL;
		}
	}
	return c;
}

void ser_clf_free(ser_clf *c)
{
	if (!c)
		return;
	free(c->tile);
	free(c->in);
	ser_vad_free(c->energy);
	free(c);
}

static int reserve(ser_clf *c, size_t frames, ser_error *err)
{
	size_t d = c->m->feat_dim;
	float *a, *b;
	if (frames <= c->cap)
		return 0;
	a = realloc(c->tile, frames * d * sizeof *a);
	if (!a)
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	c->tile = a;
	b = realloc(c->in, frames * d * sizeof *b);
	if (!b)
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	c->in = b;
	c->cap = frames;
	return 0;
}

/* finite check over all frames, then trimming: the frames to classify */
static int prepare(ser_clf *c, const float **frames, int *n, ser_error *err)
{
	const ser_model *m = c->m;
	size_t d = m->feat_dim;
	if (*n < 1)
		return ser_seterr(err, SER_EINVAL, "no frames");
	/* a NaN/Inf feature (e.g. from samples near FLT_MAX) gives a meaningless label;
	 * checked over all frames, trimmed or not */
	for (size_t i = 0; i < (size_t)*n * d; i++)
		if (!isfinite((*frames)[i]))
			return ser_seterr(err, SER_EFORMAT, "frame %zu value %zu is not finite", i / d, i % d);
	if (c->energy) {
		int start;
		*n = ser_trim(c->energy, *frames, *n, (int)d, m->trim_db, ser_net_min_length(m->net),
		              &start);
		*frames += (size_t)start * d;
	}
	return 0;
}

/* the net on frames (n >= 1), no checks or trimming */
static int run_frames(ser_clf *c, const float *frames, int n, float *probs, ser_error *err)
{
	const ser_model *m = c->m;
	size_t d = m->feat_dim;
	int T, rc;
	if (m->layout == SER_LAYOUT_VECTOR) {
		if (n != 1)
			return ser_seterr(err, SER_EMISMATCH,
			                  "%d frames: the model takes one pooled vector per utterance", n);
		if ((rc = reserve(c, 1, err)) < 0)
			return rc;
	} else {
		int min = ser_net_min_length(m->net);
		if (n < min) {
			/* repeat the clip up to the minimum length */
			if ((rc = reserve(c, (size_t)min, err)) < 0)
				return rc;
			for (int t = 0; t < min; t++)
				memcpy(c->tile + (size_t)t * d, frames + (size_t)(t % n) * d, d * sizeof *frames);
			frames = c->tile;
			n = min;
		} else if ((rc = reserve(c, (size_t)n, err)) < 0) {
			return rc;
		}
	}
	T = ser_model_input_with(m, frames, n, c->nmean, c->nstd, c->in, err);
	if (T < 0)
		return T;
	if ((rc = ser_net_forward(m->net, c->in, T, probs, err)) < 0)
		return rc;
	/* extreme (finite) weights can overflow to Inf/NaN: no label from that */
	for (int k = 0; k < m->n_classes; k++)
		if (!isfinite(probs[k]))
			return ser_seterr(err, SER_EFORMAT, "the model gives a non-finite probability (its weights overflow)");
	return 0;
}

void ser_clf_set_norm(ser_clf *c, const float *mean, const float *std)
{
	c->nmean = mean;
	c->nstd = std;
}

int ser_clf_input(ser_clf *c, const float *frames, int n, const float **out, ser_error *err)
{
	const ser_model *m = c->m;
	int rc = prepare(c, &frames, &n, err);
	if (rc < 0)
		return rc;
	*out = frames;
	if (m->input_idct && m->idct && m->layout == SER_LAYOUT_FRAMES) {
		if ((rc = reserve(c, (size_t)n, err)) < 0)
			return rc;
		ser_idct_frames(m->idct, (int)m->feat_dim, frames, n, c->tile);
		*out = c->tile;
	}
	return n;
}

int ser_clf_run(ser_clf *c, const float *frames, int n, float *probs, ser_error *err)
{
	int rc = prepare(c, &frames, &n, err);
	if (rc < 0 || (rc = run_frames(c, frames, n, probs, err)) < 0)
		return rc;
	if (c->restricted)
		ser_clf_renorm(probs, c->keep, c->m->n_classes);
	return 0;
}

/* ser_clf_run_utt without the restriction */
static int run_utt(ser_clf *c, const float *frames, int n, float *probs, ser_error *err)
{
	const ser_model *m = c->m;
	int w = m->utt_window, h = m->utt_hop, rc = prepare(c, &frames, &n, err), k;
	if (rc < 0)
		return rc;
	if (w < 1 || h < 1 || n <= w)
		return run_frames(c, frames, n, probs, err);
	k = ser_clf_windows(n, w, h);
	double acc[SER_MODEL_CLASSES_MAX] = { 0 };
	for (int i = 0; i < k; i++) {
		int start, len;
		ser_clf_window_at(n, w, h, i, &start, &len);
		if ((rc = run_frames(c, frames + (size_t)start * m->feat_dim, len, probs, err)) < 0)
			return rc;
		for (int j = 0; j < m->n_classes; j++)
			acc[j] += probs[j];
	}
	for (int j = 0; j < m->n_classes; j++)
		probs[j] = (float)(acc[j] / k);
	return 0;
}

int ser_clf_run_utt(ser_clf *c, const float *frames, int n, float *probs, ser_error *err)
{
	int rc = run_utt(c, frames, n, probs, err);
	if (rc < 0)
		return rc;
	if (c->restricted)
		ser_clf_renorm(probs, c->keep, c->m->n_classes);
	return 0;
}

int ser_clf_argmax(const float *probs, int n)
{
	return ser_argmax(probs, n);
}

/* ---- deciding among some classes ---- */

/* "a,b,c" of m's classes into buf (cap >= 5 bytes), ending in ",..." if cut */
static void join_classes(const ser_model *m, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int k = 0; k < m->n_classes; k++) {
		const char *s = m->class_names[k];
		size_t l = strlen(s);
		if (len + 1 + l + 5 > cap) {   /* keep room for ",..." and the NUL */
			memcpy(buf + len, k ? ",..." : "...", k ? 5 : 4);
			return;
		}
		if (k > 0)
			buf[len++] = ',';
		memcpy(buf + len, s, l + 1);
		len += l;
	}
}

static int model_class(const ser_model *m, const char *name)
{
	for (int k = 0; k < m->n_classes; k++)
		if (!strcmp(m->class_names[k], name))
			return k;
	return -1;
}

int ser_clf_mask(const ser_model *m, const char *list, unsigned char *keep, ser_error *err)
{
	ser_classes *want = malloc(sizeof *want);
	int rc;
	if (!want)
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	if ((rc = ser_classes_parse(want, list, err)) < 0)
		goto out;
	rc = SER_EINVAL;
	memset(keep, 0, (size_t)m->n_classes);
	for (int i = 0; i < want->n; i++) {
		int k = model_class(m, want->name[i]);
		if (k < 0) {
			char names[128];
			join_classes(m, names, sizeof names);
			ser_seterr(err, rc, "'%s' is not a class of the model (%s)", want->name[i], names);
			goto out;
		}
		keep[k] = 1;
	}
	if (want->n < 2)
		ser_seterr(err, rc, "a single class (%s) would be every decision; give two or more",
		           want->name[0]);
	else
		rc = want->n;
out:
	free(want);
	return rc;
}

void ser_clf_restrict(ser_clf *c, const unsigned char *keep)
{
	int n = c->m->n_classes, kept = 0;
	for (int k = 0; keep && k < n; k++) {
		c->keep[k] = keep[k] != 0;
		kept += c->keep[k];
	}
	c->restricted = keep && kept < n;
}

int ser_clf_kept(const ser_clf *c, int k)
{
	return !c->restricted || c->keep[k];
}

void ser_clf_renorm(float *probs, const unsigned char *keep, int n)
{
	double sum = 0;
	int kept = 0;
	if (!keep)
		return;
	for (int k = 0; k < n; k++)
		if (keep[k])
			sum += probs[k], kept++;
	for (int k = 0; k < n && kept > 0; k++)
		if (!keep[k])
			probs[k] = 0;
		else
			probs[k] = sum > 0 ? (float)(probs[k] / sum) : (float)(1.0 / kept);
}

int ser_clf_windows(int n, int w, int h)
{
	int k;
	if (n <= 0 || w < 1 || h < 1)
		return 0;
	if (n <= w)
		return 1;
	if (h >= w)
		return (n - 1) / h + 1;      /* blocks at 0, h, ..., the last the remainder */
	k = (n - w) / h + 1;             /* full windows at 0, h, ... */
	if ((k - 1) * h + w < n)
		k++;                         /* tail window [n - w, n) */
	return k;
}

void ser_clf_window_at(int n, int w, int h, int i, int *start, int *len)
{
	int full = n <= w ? 1 : (n - w) / h + 1;
	if (n <= w) {
		*start = 0;
		*len = n;
	} else if (h >= w) {
		*start = i * h;
		*len = n - *start < w ? n - *start : w;
	} else if (i < full) {
		*start = i * h;
		*len = w;
	} else {
		*start = n - w;
		*len = w;
	}
}

int ser_clf_reserve(ser_clf *c, int frames, ser_error *err)
{
	int rc;
	if (frames < ser_net_min_length(c->m->net))
		frames = ser_net_min_length(c->m->net);
	if ((rc = reserve(c, (size_t)frames, err)) < 0)
		return rc;
	return c->m->layout == SER_LAYOUT_VECTOR ? 0 : ser_net_reserve(c->m->net, frames, err);
}

/* ---- windows over a stream ---- */

struct ser_clfs {
	ser_clf *clf;
	ser_vad *vad;
	ser_clfs_opts o;
	int dim, nc;
	float *ring;          /* (2 window, dim): frame i at slots i % w and i % w + w;
	                         while fewer than w frames have come, (cap, dim) with
	                         frame i at slot i only */
	unsigned char *voice; /* (cap) voice flags, slot i % w */
	int cap;              /* frames ring and voice hold (the first copies): grows
	                         with the frames of an utterance, up to w */
	long n;               /* frames pushed in this utterance */
	int nvoiced;          /* voiced frames among the last min(n, w) */
	float *hist;          /* (smooth, nc) model outputs of recent speech windows */
	int nhist, hpos;      /* entries held, next slot */
	float *p;             /* (nc) one window's output */
	float *mean;          /* (nc) smoothed */
};

#define RING_FIRST 512   /* frames held at first (5 s of ser features) */

/* Room for cap frames (<= w; at w the second copies too), buffers of the
 * classifier included: memory follows the frames that came, not the
 * window asked for. */
static int grow(ser_clfs *s, int cap, ser_error *err)
{
	int w = s->o.window;
	size_t frames = cap == w ? 2 * (size_t)w : (size_t)cap;
	float *r = realloc(s->ring, frames * s->dim * sizeof *r);
	if (!r)
		return ser_seterr(err, SER_ENOMEM, "out of memory for a window of %d frames", cap);
	s->ring = r;
	unsigned char *v = realloc(s->voice, (size_t)cap);
	if (!v)
		return ser_seterr(err, SER_ENOMEM, "out of memory for a window of %d frames", cap);
	memset(v + s->cap, 0, (size_t)(cap - s->cap));
	s->voice = v;
	if (cap == w)   /* the second copies of the frames held */
		memcpy(r + (size_t)w * s->dim, r, (size_t)s->n * s->dim * sizeof *r);
	s->cap = cap;
	return ser_clf_reserve(s->clf, cap, err);
}

ser_clfs *ser_clfs_new(ser_clf *clf, ser_vad *vad, const ser_clfs_opts *o, ser_error *err)
{
	ser_clfs *s;
	if (o->window < 1 || o->hop < 1 || o->smooth < 1 || o->smooth > 1000
	    || !(o->min_voiced >= 0 && o->min_voiced <= 1))
		return ser_seterr(err, SER_EINVAL, "windows: window, hop, smooth or min-voiced out of range"), NULL;
	if (clf->m->layout == SER_LAYOUT_VECTOR)
		return ser_seterr(err, SER_EINVAL, "windows: the model takes one pooled vector per utterance"), NULL;
	if ((size_t)o->window > SIZE_MAX / 2 / sizeof(float) / clf->m->feat_dim)
		return ser_seterr(err, SER_ELIMIT, "windows: window too long"), NULL;
	if (!(s = calloc(1, sizeof *s)))
		return ser_seterr(err, SER_ENOMEM, "out of memory"), NULL;
	s->clf = clf;
	s->vad = vad;
	s->o = *o;
	s->dim = (int)clf->m->feat_dim;
	s->nc = clf->m->n_classes;
	s->hist = malloc((size_t)o->smooth * s->nc * sizeof *s->hist);
	s->p = malloc((size_t)s->nc * sizeof *s->p);
	s->mean = malloc((size_t)s->nc * sizeof *s->mean);
	if (!s->hist || !s->p || !s->mean) {
		ser_clfs_free(s);
		return ser_seterr(err, SER_ENOMEM, "out of memory"), NULL;
	}
	if (grow(s, o->window < RING_FIRST ? o->window : RING_FIRST, err) < 0) {
		ser_clfs_free(s);
		return NULL;
	}
	return s;
}

void ser_clfs_free(ser_clfs *s)
{
	if (!s)
		return;
	free(s->ring);
	free(s->voice);
	free(s->hist);
	free(s->p);
	free(s->mean);
	free(s);
}

void ser_clfs_reset(ser_clfs *s)
{
	s->n = 0;
	s->nvoiced = 0;
	s->nhist = s->hpos = 0;
	memset(s->voice, 0, (size_t)s->cap);
	if (s->vad)
		ser_vad_reset(s->vad);
}

long ser_clfs_frames(const ser_clfs *s)
{
	return s->n;
}

long ser_clfs_due(const ser_clfs *s)
{
	long w = s->o.window, h = s->o.hop;
	return s->n < w ? w - s->n : h - (s->n - w) % h;
}

/* Decides the window of len frames starting at ring slot `slot`. */
static int decide(ser_clfs *s, int slot, int len, ser_decision *d, ser_error *err)
{
	int rc, nv = s->nvoiced;
	if (len < s->n && len < s->o.window) {   /* a remainder block: its own frames */
		nv = 0;
		for (long i = s->n - len; i < s->n; i++)
			nv += s->voice[i % s->o.window];
	}
	d->start = (int)(s->n - len);
	d->len = len;
	d->voiced = (double)nv / len;
	if (s->vad && d->voiced < s->o.min_voiced) {
		s->nhist = s->hpos = 0;
		d->speech = 0;
		d->probs = NULL;
		d->label = -1;
		d->confidence = 1 - d->voiced;
		return 1;
	}
	rc = ser_clf_run(s->clf, s->ring + (size_t)slot * s->dim, len, s->p, err);
	if (rc < 0)
		return rc;
	memcpy(s->hist + (size_t)s->hpos * s->nc, s->p, (size_t)s->nc * sizeof *s->p);
	s->hpos = (s->hpos + 1) % s->o.smooth;
	if (s->nhist < s->o.smooth)
		s->nhist++;
	for (int j = 0; j < s->nc; j++) {
		double a = 0;
		for (int i = 0; i < s->nhist; i++)
			a += s->hist[(size_t)i * s->nc + j];
		s->mean[j] = (float)(a / s->nhist);
	}
	d->speech = 1;
	d->probs = s->mean;
	d->label = ser_clf_argmax(s->mean, s->nc);
	d->confidence = s->mean[d->label];
	return 1;
}

int ser_clfs_push(ser_clfs *s, const float *frame, ser_decision *d, ser_error *err)
{
	int w = s->o.window, slot = (int)(s->n % w);
	size_t fb = (size_t)s->dim * sizeof *frame;
	int v = 1;
	if (slot >= s->cap) {   /* only while n < w: at frame w - 1 the ring is whole */
		int rc = grow(s, s->cap > w / 2 ? w : 2 * s->cap, err);
		if (rc < 0)
			return rc;
	}
	if (s->vad)
		v = ser_vad_frame(s->vad, frame, NULL);
	if (s->n >= w)
		s->nvoiced -= s->voice[slot];   /* frame n - w leaves the window */
	s->voice[slot] = (unsigned char)v;
	s->nvoiced += v;
	memcpy(s->ring + (size_t)slot * s->dim, frame, fb);
	if (s->cap == w)
		memcpy(s->ring + (size_t)(slot + w) * s->dim, frame, fb);
	s->n++;
	if (s->n >= w && (s->n - w) % s->o.hop == 0)
		return decide(s, (int)(s->n % w), w, d, err);
	return 0;
}

int ser_clfs_finish(ser_clfs *s, ser_decision *d, ser_error *err)
{
	int w = s->o.window, rc = 0;
	long last = s->n > 0 ? (s->n - 1) / s->o.hop * s->o.hop : 0;   /* blocks: last start */
	if (s->n > 0 && s->n < w)
		rc = decide(s, 0, (int)s->n, d, err);
	else if (s->o.hop >= w && s->n > w && last + w > s->n)
		rc = decide(s, (int)(last % w), (int)(s->n - last), d, err);
	else if (s->o.hop < w && s->n > w && (s->n - w) % s->o.hop != 0)
		rc = decide(s, (int)(s->n % w), w, d, err);
	if (rc >= 0)
		ser_clfs_reset(s);
	return rc;
}
