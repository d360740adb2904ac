/* Per-speaker CMVN over held utterances: see spkcmvn.h. */
#include "spkcmvn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 256   /* frames written at a time */

struct utt {
	char *key;
	size_t spk;          /* index in s->spk */
	float *x;            /* (n, dim) */
	size_t n, cap;
};

struct ser_spkcmvn {
	size_t dim;
	int vars;
	struct utt *u;
	size_t nu, ucap;
	int open;
	char **spk;          /* speaker names, in order of appearance */
	size_t nspk;
};

ser_spkcmvn *ser_spkcmvn_new(size_t dim, int vars, ser_error *err)
{
	ser_spkcmvn *s = calloc(1, sizeof *s);
	if (!s) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	s->dim = dim;
	s->vars = vars;
	return s;
}

int ser_spkcmvn_begin(ser_spkcmvn *s, const char *key, const char *spk, ser_error *err)
{
	size_t k;
	struct utt *u;
	for (k = 0; k < s->nspk && strcmp(s->spk[k], spk); k++)
		;
	if (k == s->nspk) {
		char **ns = realloc(s->spk, (s->nspk + 1) * sizeof *ns);
		if (!ns)
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		s->spk = ns;
		if (!(s->spk[s->nspk] = strdup(spk)))
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		s->nspk++;
	}
	if (s->nu == s->ucap) {
		size_t nc = s->ucap ? 2 * s->ucap : 64;
		struct utt *nu = realloc(s->u, nc * sizeof *nu);
		if (!nu)
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		s->u = nu;
		s->ucap = nc;
	}
	u = &s->u[s->nu];
	memset(u, 0, sizeof *u);
	if (!(u->key = strdup(key)))
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	u->spk = k;
	s->open = 1;
	return 0;
}

int ser_spkcmvn_frames(ser_spkcmvn *s, const float *x, size_t n, ser_error *err)
{
	struct utt *u = &s->u[s->nu];
	if (u->n + n > u->cap) {
		size_t nc = u->cap ? u->cap : 256;
		float *nx;
		while (nc < u->n + n)
			nc *= 2;
		if (!(nx = realloc(u->x, nc * s->dim * sizeof *nx)))
			return ser_seterr(err, SER_ENOMEM, "out of memory (per-speaker CMVN holds every utterance)");
		u->x = nx;
		u->cap = nc;
	}
	memcpy(u->x + u->n * s->dim, x, n * s->dim * sizeof *x);
	u->n += n;
	return 0;
}

int ser_spkcmvn_end(ser_spkcmvn *s, ser_error *err)
{
	(void)err;
	s->open = 0;
	s->nu++;
	return 0;
}

void ser_spkcmvn_drop(ser_spkcmvn *s)
{
	if (s->open) {
		free(s->u[s->nu].key);
		free(s->u[s->nu].x);
	}
	s->open = 0;
}

int ser_spkcmvn_write(ser_spkcmvn *s, ser_fw *w, ser_error *err)
{
	size_t d = s->dim;
	double *sum = calloc(s->nspk * d + 1, sizeof *sum), *sq = calloc(s->nspk * d + 1, sizeof *sq);
	double *cnt = calloc(s->nspk + 1, sizeof *cnt);
	float *row = malloc(BLOCK * d * sizeof *row + 1);   /* (BLOCK, dim) */
	int rc = 0;
	if (!sum || !sq || !cnt || !row) {
		rc = ser_seterr(err, SER_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->nu; i++) {
		const struct utt *u = &s->u[i];
		double *su = sum + u->spk * d, *qu = sq + u->spk * d;
		for (size_t t = 0; t < u->n; t++)
			for (size_t c = 0; c < d; c++) {
				double v = u->x[t * d + c];
				su[c] += v;
				qu[c] += v * v;
			}
		cnt[u->spk] += (double)u->n;
	}
	for (size_t i = 0; i < s->nu && rc == 0; i++) {
		const struct utt *u = &s->u[i];
		const double *su = sum + u->spk * d, *qu = sq + u->spk * d, n = cnt[u->spk];
		if ((rc = ser_fw_begin(w, u->key, err)) < 0)
			break;
		for (size_t t0 = 0; t0 < u->n && rc == 0; t0 += BLOCK) {
			size_t k = u->n - t0 < BLOCK ? u->n - t0 : BLOCK;
			for (size_t t = 0; t < k; t++)
				for (size_t c = 0; c < d; c++) {
					double m = su[c] / n, v = u->x[(t0 + t) * d + c] - m;
					if (s->vars) {
						double var = qu[c] / n - m * m;
						if (var > 1e-20)
							v /= sqrt(var);
					}
					row[t * d + c] = (float)v;
				}
			rc = ser_fw_frames(w, row, k, err);
		}
		if (rc == 0)
			rc = ser_fw_end(w, err);
	}
out:
	free(sum);
	free(sq);
	free(cnt);
	free(row);
	return rc;
}

void ser_spkcmvn_free(ser_spkcmvn *s)
{
	if (!s)
		return;
	ser_spkcmvn_drop(s);
	for (size_t i = 0; i < s->nu; i++) {
		free(s->u[i].key);
		free(s->u[i].x);
	}
	for (size_t i = 0; i < s->nspk; i++)
		free(s->spk[i]);
	free(s->u);
	free(s->spk);
	free(s);
}
