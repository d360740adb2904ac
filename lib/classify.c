/* Inference with a ser model on utterances and windows. */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

struct ser_clf {
	ser_model *m;
	float *tile;     /* (cap_frames, feat_dim) repeated short input */
	float *in;       /* net input, feat_dim * cap_frames */
	size_t cap;      /* frames both buffers hold */
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
	return c;
}

void ser_clf_free(ser_clf *c)
{
	if (!c)
		return;
	free(c->tile);
	free(c->in);
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

int ser_clf_run(ser_clf *c, const float *frames, int n, float *probs, ser_error *err)
{
	const ser_model *m = c->m;
	size_t d = m->feat_dim;
	int T, rc;
	if (n < 1)
		return ser_seterr(err, SER_EINVAL, "no frames");
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
	T = ser_model_input(m, frames, n, c->in, err);
	if (T < 0)
		return T;
	return ser_net_forward(m->net, c->in, T, probs, err);
}

int ser_clf_argmax(const float *probs, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (probs[i] > probs[best])
			best = i;
	return best;
}

int ser_clf_windows(int n, int w, int h)
{
	int k;
	if (n <= 0 || w < 1 || h < 1)
		return 0;
	if (n <= w)
		return 1;
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
	} else if (i < full) {
		*start = i * h;
		*len = w;
	} else {
		*start = n - w;
		*len = w;
	}
}
