/* Model inputs from a dataset: statistics, crops, masks, batches. */
#include "batch.h"
#include "adapt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* u's frames as the model sees them: taken back to log mel energies by idct
 * (l = c . idct) into *tx (grown as needed), or u's own frames when idct is
 * NULL; NULL when *tx cannot grow. */
static const float *model_frames(const float *idct, size_t d, const ser_utt *u, float **tx,
                                 size_t *txcap)
{
	if (!idct)
		return u->x;
	if ((size_t)u->n > *txcap) {
		float *nt = realloc(*tx, (size_t)u->n * d * sizeof *nt);
		if (!nt)
			return NULL;
		*tx = nt, *txcap = (size_t)u->n;
	}
	ser_idct_frames(idct, (int)d, u->x, u->n, *tx);
	return *tx;
}

int ser_ds_norm_stats(const ser_dataset *ds, int part, int mode, const ser_model *m, float *mean,
                      float *std, ser_error *err)
{
	size_t d = ds->dim;
	const float *idct = m && m->input_idct ? m->idct : NULL;
	size_t lf = m ? (size_t)m->level_first : 0, ll = m ? lf + (size_t)m->level_count : 0;
	double *s = calloc(3 * d, sizeof *s), *s2 = s + d, *um = s + 2 * d;
	double frames = 0;
	float *tx = NULL;
	size_t txcap = 0;
	if (!s)
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	for (size_t i = 0; i < ds->n; i++) {
		ser_utt uu = ds->u[i];
		const ser_utt *u = &uu;
		if (u->part != part || u->n < 1)
			continue;
		if (!(uu.x = (float *)model_frames(idct, d, &ds->u[i], &tx, &txcap))) {
			free(s), free(tx);
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		}
		for (size_t j = 0; j < d; j++)
			um[j] = 0;
		if (mode == SER_NORM_UTT_MEAN) {
			for (int t = 0; t < u->n; t++)
				for (size_t j = 0; j < d; j++)
					um[j] += u->x[(size_t)t * d + j];
			for (size_t j = 0; j < d; j++)
				um[j] /= u->n;
		} else if (mode == SER_NORM_LEVEL && ll > lf) {   /* the utterance's level */
			double lv = 0;
			for (int t = 0; t < u->n; t++)
				for (size_t j = lf; j < ll; j++)
					lv += u->x[(size_t)t * d + j];
			lv /= (double)u->n * (double)(ll - lf);
			for (size_t j = lf; j < ll; j++)
				um[j] = lv;
		}
		for (int t = 0; t < u->n; t++)
			for (size_t j = 0; j < d; j++) {
				double v = u->x[(size_t)t * d + j] - um[j];
				s[j] += v;
				s2[j] += v * v;
			}
		frames += u->n;
	}
	if (frames < 1) {
		free(s);
		return ser_seterr(err, SER_EINVAL, "no frames for normalisation statistics");
	}
	for (size_t j = 0; j < d; j++) {
		double mu = s[j] / frames, v = s2[j] / frames - mu * mu;
		double sd = v > 0 ? sqrt(v) : 0;
		mean[j] = mode == SER_NORM_UTT_MEAN ? 0.0f : (float)mu;
		std[j] = (float)(sd < 1e-5 ? 1e-5 : sd);
	}
	free(s);
	free(tx);
	return 0;
}

/* Copies of one utterance (its key read again, as a speed-perturbed copy
 * of a corpus is): copy[i] is how many times utterance i's key came before
 * it, in input order. Returns the number of copies of the most copied key
 * (1: every key once), or -1 out of memory. */
typedef struct { const char *key; size_t i; } key_at;
static int by_key_then_index(const void *x, const void *y)
{
	const key_at *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	return c ? c : (a->i > b->i) - (a->i < b->i);
}

static int key_copies(const ser_dataset *ds, int *copy)
{
	key_at *ix = malloc((ds->n ? ds->n : 1) * sizeof *ix);
	int most = 1;
	if (!ix)
		return -1;
	for (size_t i = 0; i < ds->n; i++)
		ix[i] = (key_at){ ds->u[i].key, i };
	qsort(ix, ds->n, sizeof *ix, by_key_then_index);
	for (size_t k = 0; k < ds->n; k++) {
		int c = k > 0 && !strcmp(ix[k].key, ix[k - 1].key) ? copy[ix[k - 1].i] + 1 : 0;
		copy[ix[k].i] = c;
		if (c + 1 > most)
			most = c + 1;
	}
	free(ix);
	return most;
}

/* The group of a speaker (s, -1: none) and copy; with class >= 0, of that
 * speaker's utterances of the class. */
static void group_name(const ser_dataset *ds, int s, int copy, int class, char *buf, size_t n)
{
	int k = snprintf(buf, n, copy ? "%s\037%d" : "%s", s >= 0 ? ds->spk[s] : "", copy);
	if (class >= 0 && k >= 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, "\036%d", class);
}

/* The speaker statistics: one group per speaker and copy, so the n-th copy
 * of a speaker's utterances (speed 0.9, then 1.1, ...) is centred on the
 * statistics of those copies, like another speaker; originals keep their
 * names and keys. ac (may be NULL) gets the labelled utterances in one group
 * per speaker, copy and class. */
static int add_speaker_stats(ser_dataset *ds, ser_adapt *a, ser_adapt *ac, const float *idct,
                             const int *copy, ser_error *err)
{
	size_t d = ds->dim, txcap = 0;
	float *tx = NULL;
	int rc = 0;
	for (size_t i = 0; i < ds->n && rc == 0; i++) {
		const ser_utt *u = &ds->u[i];
		const float *x;
		char key[SER_FEAT_KEY_MAX + 16], group[SER_FEAT_KEY_MAX + 32];
		if (u->part == SER_PART_EXCLUDED || u->n < 1)
			continue;
		snprintf(key, sizeof key, copy[i] ? "%s\037%d" : "%s", u->key, copy[i]);
		group_name(ds, u->speaker, copy[i], -1, group, sizeof group);
		if (!(x = model_frames(idct, d, u, &tx, &txcap)))
			rc = ser_seterr(err, SER_ENOMEM, "out of memory");
		else
			rc = ser_adapt_add(a, key, group, x, u->n, err);
		if (rc == 0 && ac && u->label >= 0) {
			group_name(ds, u->speaker, copy[i], u->label, group, sizeof group);
			rc = ser_adapt_add(ac, key, group, x, u->n, err);
		}
	}
	free(tx);
	return rc;
}

/* The class means of every speaker group (ds->spk_cmean) from finished
 * per-class statistics ac, and which classes each group has. */
static void class_means(ser_dataset *ds, const ser_adapt *ac, int ncopy, float *std)
{
	size_t d = ds->dim, nspk1 = (size_t)ds->nspk + 1;
	for (int c = 0; c < ncopy; c++)
		for (int s = -1; s < ds->nspk; s++)
			for (int k = 0; k < ds->cm_ncls; k++) {
				size_t cell = ((size_t)c * nspk1 + (size_t)(s + 1)) * (size_t)ds->cm_ncls + (size_t)k;
				char group[SER_FEAT_KEY_MAX + 32];
				group_name(ds, s, c, k, group, sizeof group);
				ds->spk_chas[cell] = ser_adapt_stats(ac, group, ds->spk_cmean + cell * d, std,
				                                     NULL) == 0;
			}
}

int ser_ds_speaker_norm(ser_dataset *ds, const ser_model *m, ser_error *err)
{
	size_t d = ds->dim, nspk1 = (size_t)ds->nspk + 1;
	const float *idct = m->input_idct ? m->idct : NULL;
	unsigned char *ok = NULL;   /* (copies, nspk + 1) the speaker (index + 1) has statistics */
	int *copy = malloc((ds->n ? ds->n : 1) * sizeof *copy), ncopy;
	int rc = 0, mix = ds->mix_p > 0;   /* mixed references: class means too */
	ser_adapt *a = ser_adapt_new(m, err), *ac = mix && a ? ser_adapt_new(m, err) : NULL;
	if (!a || (mix && !ac)) {
		ser_adapt_free(a);
		free(copy);
		return SER_ENOMEM;
	}
	ncopy = copy ? key_copies(ds, copy) : -1;
	free(ds->spk_stats);
	free(ds->spk_cmean);
	free(ds->spk_chas);
	ds->spk_cmean = NULL;
	ds->spk_chas = NULL;
	ds->cm_ncls = mix ? m->n_classes : 0;
	ds->spk_stats = ncopy > 0 ? calloc((size_t)ncopy * nspk1 * 2 * d, sizeof *ds->spk_stats) : NULL;
	ok = ncopy > 0 ? calloc((size_t)ncopy * nspk1, 1) : NULL;
	if (mix && ncopy > 0) {
		size_t cells = (size_t)ncopy * nspk1 * (size_t)ds->cm_ncls;
		ds->spk_cmean = calloc(cells * d, sizeof *ds->spk_cmean);
		ds->spk_chas = calloc(cells, 1);
	}
	if (!ds->spk_stats || !ok || (mix && (!ds->spk_cmean || !ds->spk_chas)))
		rc = ser_seterr(err, SER_ENOMEM, "out of memory");
	if (rc == 0)
		rc = add_speaker_stats(ds, a, ac, idct, copy, err);
	if (rc == 0)
		rc = ser_adapt_finish(a, err);
	if (rc == 0 && ac)
		rc = ser_adapt_finish(ac, err);
	for (int c = 0; c < ncopy && rc == 0; c++)
		for (int s = -1; s < ds->nspk; s++) {   /* none: excluded utterances only */
			size_t g = (size_t)c * nspk1 + (size_t)(s + 1);
			float *mean = ds->spk_stats + g * 2 * d;
			char group[SER_FEAT_KEY_MAX + 32];
			group_name(ds, s, c, -1, group, sizeof group);
			ok[g] = ser_adapt_stats(a, group, mean, mean + d, NULL) == 0;
		}
	if (rc == 0 && ac) {
		float *std = malloc(d * sizeof *std);
		if (!std)
			rc = ser_seterr(err, SER_ENOMEM, "out of memory");
		else
			class_means(ds, ac, ncopy, std);
		free(std);
	}
	for (size_t i = 0; i < ds->n && rc == 0; i++) {
		ser_utt *u = &ds->u[i];
		size_t g = (size_t)copy[i] * nspk1 + (size_t)(u->speaker + 1);
		if (u->part != SER_PART_EXCLUDED && ok[g]) {
			u->nmean = ds->spk_stats + g * 2 * d;
			u->nstd = u->nmean + d;
			if (ac) {
				u->cmean = ds->spk_cmean + g * (size_t)ds->cm_ncls * d;
				u->chas = ds->spk_chas + g * (size_t)ds->cm_ncls;
			}
		}
	}
	free(ok);
	free(copy);
	ser_adapt_free(a);
	ser_adapt_free(ac);
	return rc;
}

int ser_specaug_parse(ser_specaug *s, const char *text, ser_error *err)
{
	long v[4];
	const char *p = text;
	memset(s, 0, sizeof *s);
	if (!strcmp(text, "none") || !strcmp(text, "0"))
		return 0;
	for (int i = 0; i < 4; i++) {
		char *end;
		v[i] = strtol(p, &end, 10);
		if (end == p || v[i] < 0 || v[i] > 100000 || (i < 3 ? *end != ':' : *end != '\0'))
			return ser_seterr(err, SER_EINVAL,
			                  "'%s': want TW:TN:FW:FN (4 integers >= 0) or none", text);
		p = end + 1;
	}
	s->tw = (int)v[0];
	s->tn = (int)v[1];
	s->fw = (int)v[2];
	s->fn = (int)v[3];
	return 0;
}

void ser_specaug_apply(const ser_specaug *sa, float *x, int C, int T, ser_rng *rng)
{
	for (int k = 0; k < sa->tn && sa->tw > 0; k++) {
		int w = (int)ser_rng_range(rng, 0, sa->tw < T ? sa->tw : T);
		int t0 = (int)ser_rng_range(rng, 0, T - w);
		for (int c = 0; c < C; c++)
			memset(x + (size_t)c * T + t0, 0, (size_t)w * sizeof *x);
	}
	for (int k = 0; k < sa->fn && sa->fw > 0; k++) {
		int w = (int)ser_rng_range(rng, 0, sa->fw < C ? sa->fw : C);
		int c0 = (int)ser_rng_range(rng, 0, C - w);
		for (int c = c0; c < c0 + w; c++)
			memset(x + (size_t)c * T, 0, (size_t)T * sizeof *x);
	}
}

/* The mean a training crop of u is centred on: its speaker's, or with
 * probability ds->mix_p a mixture of its speaker's class means, weights
 * Dirichlet(mix_alpha) over the classes the speaker has (into buf, dim
 * values): the reference as if the speaker's recordings had another mix
 * of emotions. Draws from rng only when mix_p > 0. */
static const float *reference(const ser_dataset *ds, const ser_utt *u, ser_rng *rng, float *buf)
{
	double w[SER_CLASSES_MAX], tot = 0;
	size_t d = ds->dim;
	if (!(ds->mix_p > 0) || !u->cmean || !rng || ser_rng_uniform(rng) >= ds->mix_p)
		return u->nmean;
	for (int c = 0; c < ds->cm_ncls; c++)
		tot += w[c] = u->chas[c] ? ser_rng_gamma(rng, ds->mix_alpha) : 0;
	if (!(tot > 0))
		return u->nmean;
	for (size_t k = 0; k < d; k++) {
		double v = 0;
		for (int c = 0; c < ds->cm_ncls; c++)
			if (w[c] > 0)
				v += w[c] / tot * u->cmean[(size_t)c * d + k];
		buf[k] = (float)v;
	}
	return buf;
}

int ser_ds_batch(const ser_dataset *ds, const ser_model *m, const int *idx, int B, int crop,
                 ser_aug *aug, const ser_specaug *sa, ser_rng *rng, float *x, int *y,
                 float *work, ser_error *err)
{
	size_t d = ds->dim;
	int T = m->layout == SER_LAYOUT_VECTOR ? (int)d : crop;
	if (T < 1)
		return ser_seterr(err, SER_EINVAL, "crop length must be >= 1");
	for (int b = 0; b < B; b++) {
		const ser_utt *u = &ds->u[idx[b]];
		/* per sample: C * T = dim values in either layout (C 1, T dim / C dim, T crop) */
		float *xb = x + (size_t)b * (m->layout == SER_LAYOUT_VECTOR ? d : d * (size_t)T);
		int rc;
		y[b] = u->label;
		if (m->layout == SER_LAYOUT_VECTOR) {
			if (u->n != 1)
				return ser_seterr(err, SER_EMISMATCH, "%s: %d frames, want one pooled vector",
				                  u->key, u->n);
			rc = ser_model_input_with(m, u->x, 1, reference(ds, u, rng, work), u->nstd, xb, err);
		} else {
			if (u->n >= crop) {
				int t0 = (int)ser_rng_below(rng, (uint64_t)(u->n - crop + 1));
				memcpy(work, u->x + (size_t)t0 * d, (size_t)crop * d * sizeof *work);
			} else {
				for (int t = 0; t < crop; t++)
					memcpy(work + (size_t)t * d, u->x + (size_t)(t % u->n) * d,
					       d * sizeof *work);
			}
			if (aug) {
				ser_aug_draw dr;
				ser_aug_draw_one(aug, rng, &dr);
				if ((rc = ser_aug_apply(aug, &dr, work, crop, err)) < 0)
					return rc;
			}
			rc = ser_model_input_with(m, work, crop, reference(ds, u, rng, work + (size_t)crop * d),
			                          u->nstd, xb, err);
			if (rc >= 0 && sa)
				ser_specaug_apply(sa, xb, (int)d, T, rng);
		}
		if (rc < 0)
			return rc;
	}
	return T;
}
