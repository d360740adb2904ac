/* Feature-domain augmentation (what and why in augment.h). */
#include "augment.h"
#include "audio.h"
#include "mfcc.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#define NOISE_SECONDS 10       /* noise frames made per kind */
#define NOISE_STD 0.1          /* sample std of the made noise (well inside [-1, 1)) */
#define NCHAIN_MAX 2
#define SKIP_FRAMES 8          /* frames at each end of a chain's output not measured */
#define PASS_GAIN 0.5          /* a chain passes a filter with at least this power gain */
#define STOP_GAIN 1e-3         /* and stops it below this: leakage only */
/* TPDF-dithered 16-bit quantisation: noise power q^2/4 with q = 2^-15 */
#define FLOOR16_VAR (1.0 / (65536.0 * 65536.0))

static const int chain_rates[NCHAIN_MAX] = { 8000, 11025 };

struct ser_aug {
	ser_aug_opts o;
	int nm;                 /* mel filters = values per frame */
	int cep;                /* 1: orthonormal DCT cepstra, 0: log mel */
	int db;                 /* log is 10 log10 */
	float log_floor;
	float *dct;             /* (nm, nm): c_k = sum_m dct[k][m] l_m */
	int nf;                 /* noise frames per kind */
	float *noise[2];        /* (nf, nm) filter powers at unit sample variance */
	double noise_pow[2];    /* mean total filter power of a frame */
	int nchain, chain_rate[NCHAIN_MAX];
	/* per filter of each chain: power gain (pass and transition filters),
	 * and for stop filters the share of the frame's passband power that the
	 * analysis window leaks into them (the chain leaves them near empty, so
	 * what the front end sees there is leakage from the passband) */
	float *chain_gain[NCHAIN_MAX], *chain_leak[NCHAIN_MAX];
	unsigned char *chain_pass[NCHAIN_MAX];
	double mel_lo, mel_step;  /* mel of the lowest edge, spacing of the centres */
	int mel_scale;            /* enum ser_fe_melscale */
	double shift_s;           /* frame shift, seconds */
	float *buf;             /* (cap, nm) work */
	float *row;             /* (nm) work */
	int cap;
};

/* ---- options ---- */

static int parse_nums(const char *s, double *v, int n, const char **end)
{
	for (int i = 0; i < n; i++) {
		char *e;
		if (*s != ':')
			return -1;
		v[i] = strtod(s + 1, &e);
		if (e == s + 1 || !isfinite(v[i]))
			return -1;
		s = e;
	}
	*end = s;
	return 0;
}

int ser_aug_parse(ser_aug_opts *o, const char *text, ser_error *err)
{
	ser_aug_opts r;
	const char *p = text;
	int seen = 0;
	memset(&r, 0, sizeof r);
	if (!strcmp(text, "none")) {
		*o = r;
		return 0;
	}
	while (*p) {
		double v[3];
		const char *e;
		int bit;
		if (!strncmp(p, "noise", 5) && !parse_nums(p + 5, v, 3, &e)) {
			bit = 1;
			if (!(v[0] >= 0 && v[0] <= 1 && v[1] >= -50 && v[2] <= 100 && v[1] <= v[2]))
				goto bad;
			r.noise_p = v[0], r.snr_lo = v[1], r.snr_hi = v[2];
		} else if (!strncmp(p, "band", 4) && !parse_nums(p + 4, v, 1, &e)) {
			bit = 2;
			if (!(v[0] >= 0 && v[0] <= 1))
				goto bad;
			r.band_p = v[0];
		} else if (!strncmp(p, "gain", 4) && !parse_nums(p + 4, v, 2, &e)) {
			bit = 4;
			if (!(v[0] >= 0 && v[0] <= 1 && v[1] >= 0 && v[1] <= 100))
				goto bad;
			r.gain_p = v[0], r.gain_db = v[1];
		} else if (!strncmp(p, "warp", 4) && !parse_nums(p + 4, v, 2, &e)) {
			bit = 8;
			if (!(v[0] >= 0 && v[0] <= 1 && v[1] >= 0 && v[1] <= 0.3))
				goto bad;
			r.warp_p = v[0], r.warp_max = v[1];
		} else if (!strncmp(p, "reverb", 6) && !parse_nums(p + 6, v, 3, &e)) {
			bit = 16;
			if (!(v[0] >= 0 && v[0] <= 1 && v[1] >= 0.05 && v[2] <= 5 && v[1] <= v[2]))
				goto bad;
			r.reverb_p = v[0], r.t60_lo = v[1], r.t60_hi = v[2];
		} else {
			goto bad;
		}
		if (seen & bit)
			goto bad;
		seen |= bit;
		if (*e == ',' && e[1])
			p = e + 1;
		else if (*e)
			goto bad;
		else
			p = e;
	}
	if (!seen)
		goto bad;
	*o = r;
	return 0;
bad:
	return ser_seterr(err, SER_EINVAL, "'%s': want none or a comma-separated list of "
	                  "noise:P:LO:HI, band:P, gain:P:DB, warp:P:A, reverb:P:LO:HI (P 0..1; SNR "
	                  "LO <= HI in -50..100 dB; DB 0..100; A 0..0.3; T60 LO <= HI in 0.05..5 s), "
	                  "each at most once", text);
}

size_t ser_aug_text(const ser_aug_opts *o, char *buf, size_t n)
{
	size_t len = 0;
	int k;
#define PUT(...) do { k = snprintf(buf ? buf + (len < n ? len : n) : NULL, \
	                           len < n ? n - len : 0, __VA_ARGS__); \
	                  len += k > 0 ? (size_t)k : 0; } while (0)
	if (buf && n)
		buf[0] = '\0';
	if (!ser_aug_on(o)) {
		PUT("none");
		return len;
	}
	if (o->noise_p > 0)
		PUT("noise:%g:%g:%g", o->noise_p, o->snr_lo, o->snr_hi);
	if (o->band_p > 0)
		PUT("%sband:%g", len ? "," : "", o->band_p);
	if (o->gain_p > 0)
		PUT("%sgain:%g:%g", len ? "," : "", o->gain_p, o->gain_db);
	if (o->warp_p > 0 && o->warp_max > 0)
		PUT("%swarp:%g:%g", len ? "," : "", o->warp_p, o->warp_max);
	if (o->reverb_p > 0)
		PUT("%sreverb:%g:%g:%g", len ? "," : "", o->reverb_p, o->t60_lo, o->t60_hi);
#undef PUT
	return len;
}

int ser_aug_on(const ser_aug_opts *o)
{
	return o->noise_p > 0 || o->band_p > 0 || (o->gain_p > 0 && o->gain_db > 0) ||
	       (o->warp_p > 0 && o->warp_max > 0) || o->reverb_p > 0;
}

/* ---- set-up ---- */

/* White (kind 0) or pink (kind 1, Voss-McCartney: 16 rows held for 2^k
 * samples plus a white row) noise, then scaled to std NOISE_STD exactly. */
static void make_noise(float *x, size_t n, int kind, uint64_t seed)
{
	ser_rng r;
	float rows[16] = { 0 };
	double sum = 0, ss = 0, s;
	ser_rng_seed(&r, seed);
	for (int k = 0; k < 16; k++)
		rows[k] = ser_rng_normal(&r);
	for (size_t i = 0; i < n; i++) {
		if (kind == 0) {
			x[i] = ser_rng_normal(&r);
		} else {
			float v = 0;
			size_t c = i + 1;
			int k = 0;
			while (k < 15 && !(c & 1))
				c >>= 1, k++;
			rows[k] = ser_rng_normal(&r);
			for (int j = 0; j < 16; j++)
				v += rows[j];
			x[i] = v + ser_rng_normal(&r);
		}
		sum += x[i];
	}
	for (size_t i = 0; i < n; i++) {
		x[i] -= (float)(sum / (double)n);
		ss += (double)x[i] * x[i];
	}
	s = NOISE_STD / sqrt(ss / (double)n);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(x[i] * s);
}

/* Frames of samples x under settings f, as filter powers at unit sample
 * variance: (*nf, nm) in *out (malloc). */
static int powers_of(const ser_aug *a, const ser_feat_opts *f, const float *x, size_t n,
                     float **out, int *nf, ser_error *err)
{
	ser_fe *fe = ser_fe_new(f, err);
	float *fr = NULL;
	size_t got;
	int rc;
	*out = NULL;
	if (!fe)
		return err->code;
	if ((rc = ser_fe_utterance(fe, x, n, &fr, &got, err)) < 0)
		goto done;
	if (got < 1) {
		free(fr);
		rc = ser_seterr(err, SER_EINVAL, "augmentation: frames longer than the noise made");
		goto done;
	}
	for (size_t t = 0; t < got; t++) {
		float *v = fr + t * (size_t)a->nm, l[1024];
		for (int m = 0; m < a->nm; m++) {
			double s = v[m];
			if (a->cep) {
				s = 0;
				for (int k = 0; k < a->nm; k++)
					s += (double)a->dct[(size_t)k * a->nm + m] * v[k];
			}
			l[m] = (float)s;
		}
		for (int m = 0; m < a->nm; m++)
			v[m] = (float)((a->db ? pow(10.0, l[m] / 10.0) : exp(l[m])) /
			               (NOISE_STD * NOISE_STD));
	}
	*out = fr;
	*nf = (int)got;
	rc = 0;
done:
	ser_fe_free(fe);
	return rc;
}

/* noise at rate -> chain rate -> rate; samples (same count, delay-aligned
 * well enough: only per-filter means are used) */
static int through_chain(const float *x, size_t n, int rate, int crate, float *y,
                         ser_error *err)
{
	ser_resampler *down = NULL, *up = NULL;
	size_t cap = (size_t)((double)n * crate / rate) + 4096, nd = 0, nu = 0, k = 0;
	float *mid = malloc(cap * sizeof *mid);
	int rc;
	if (!mid) {
		rc = ser_seterr(err, SER_ENOMEM, "out of memory");
		goto done;
	}
	if (!(down = ser_resampler_new(rate, crate, SER_RS_HQ, err)) ||
	    !(up = ser_resampler_new(crate, rate, SER_RS_HQ, err))) {
		rc = err->code;
		goto done;
	}
	if ((rc = ser_resampler_process(down, x, n, mid, cap, &nd, err)) < 0 ||
	    (rc = ser_resampler_process(down, NULL, 0, mid + nd, cap - nd, &k, err)) < 0)
		goto done;
	nd += k;
	if ((rc = ser_resampler_process(up, mid, nd, y, n, &nu, err)) < 0)
		goto done;
	if (nu < n) {
		if ((rc = ser_resampler_process(up, NULL, 0, y + nu, n - nu, &k, err)) < 0)
			goto done;
		nu += k;
	}
	for (; nu < n; nu++)
		y[nu] = 0;
	rc = 0;
done:
	free(mid);
	ser_resampler_free(down);
	ser_resampler_free(up);
	return rc;
}

/* The band gains of chain a->nchain from p (nf frames of the white noise
 * through it) against the noise itself: the pass band, the leak of the
 * stop band into it. */
static int chain_gains(ser_aug *a, const float *p, int nf, ser_error *err)
{
	int c2 = a->nchain;
	double cpass = 0;
	float *num = calloc((size_t)a->nm, sizeof *num), *den = calloc((size_t)a->nm, sizeof *den);
	a->chain_gain[c2] = calloc((size_t)a->nm, sizeof(float));
	a->chain_leak[c2] = calloc((size_t)a->nm, sizeof(float));
	a->chain_pass[c2] = calloc((size_t)a->nm, 1);
	if (!num || !den || !a->chain_gain[c2] || !a->chain_leak[c2] || !a->chain_pass[c2]) {
		free(num), free(den);
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	}
	for (int m = 0; m < a->nm; m++) {
		for (int t = SKIP_FRAMES; t < nf - SKIP_FRAMES && t < a->nf; t++) {
			num[m] += p[(size_t)t * a->nm + m];
			den[m] += a->noise[0][(size_t)t * a->nm + m];
		}
		a->chain_pass[c2][m] = den[m] > 0 && num[m] >= PASS_GAIN * den[m];
		if (a->chain_pass[c2][m])
			cpass += num[m];
	}
	for (int m = 0; m < a->nm; m++) {
		double gm = den[m] > 0 ? fmin(num[m] / den[m], 1.0) : 1.0;
		if (gm < STOP_GAIN && cpass > 0)
			a->chain_leak[c2][m] = (float)(num[m] / cpass);
		else
			a->chain_gain[c2][m] = (float)gm;
	}
	free(num);
	free(den);
	return 0;
}

ser_aug *ser_aug_new(const char *settings, const ser_aug_opts *o, ser_error *err)
{
	ser_feat_opts f;
	ser_aug *a;
	float *x = NULL, *y = NULL;
	size_t n;
	if (ser_feat_parse_settings(&f, settings, err) < 0 || ser_feat_check(&f, err) < 0 ||
	    ser_feat_invertible(&f, err) < 0)
		return NULL;
	if (f.n_mels > 1024) {
		ser_seterr(err, SER_ELIMIT, "augmentation: at most 1024 mel filters");
		return NULL;
	}
	f.dither = 0;
	if (!(a = calloc(1, sizeof *a))) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	a->o = *o;
	a->nm = f.n_mels;
	{
		ser_frame_layout l;
		ser_frame_layout_of(&f, &l);
		a->cep = l.cepstra;
	}
	a->db = f.log == SER_LOG_DB;
	a->log_floor = (float)f.log_floor;
	{
		double hi = f.high_freq > 0 ? f.high_freq : f.rate / 2.0 + f.high_freq;
		a->mel_scale = f.mel_scale;
		a->mel_lo = ser_hz_to_mel(f.low_freq, f.mel_scale);
		a->mel_step = (ser_hz_to_mel(hi, f.mel_scale) - a->mel_lo) / (f.n_mels + 1);
		a->shift_s = (f.frame_shift_s > 0 ? f.frame_shift_s * f.rate
		              : (double)f.frame_shift) / f.rate;
	}
	n = (size_t)f.rate * NOISE_SECONDS;
	if (!(a->dct = malloc((size_t)a->nm * a->nm * sizeof *a->dct)) ||
	    !(a->row = malloc((size_t)a->nm * sizeof *a->row)) ||
	    !(x = malloc(n * sizeof *x)) || !(y = malloc(n * sizeof *y))) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		goto fail;
	}
	ser_dct_ortho_matrix(a->dct, a->nm);   /* the front end's */
	for (int kind = 0; kind < 2; kind++) {
		double tot = 0;
		make_noise(x, n, kind, 0x6e6f697365ULL + (uint64_t)kind);
		if (powers_of(a, &f, x, n, &a->noise[kind], &a->nf, err) < 0)
			goto fail;
		for (size_t i = 0; i < (size_t)a->nf * a->nm; i++)
			tot += a->noise[kind][i];
		a->noise_pow[kind] = tot / a->nf;
	}
	/* chains: band gains measured on the white noise */
	make_noise(x, n, 0, 0x6e6f697365ULL);
	for (int c = 0; c < NCHAIN_MAX; c++) {
		float *p = NULL;
		int nf = 0;
		if (chain_rates[c] >= f.rate)
			continue;
		if (through_chain(x, n, f.rate, chain_rates[c], y, err) < 0 ||
		    powers_of(a, &f, y, n, &p, &nf, err) < 0)
			goto fail;
		if (chain_gains(a, p, nf, err) < 0) {
			free(p);
			goto fail;
		}
		free(p);
		a->chain_rate[a->nchain++] = chain_rates[c];
	}
	free(x);
	free(y);
	return a;
fail:
	free(x);
	free(y);
	ser_aug_free(a);
	return NULL;
}

void ser_aug_free(ser_aug *a)
{
	if (!a)
		return;
	free(a->dct);
	free(a->noise[0]);
	free(a->noise[1]);
	for (int c = 0; c < NCHAIN_MAX; c++) {
		free(a->chain_gain[c]);
		free(a->chain_leak[c]);
		free(a->chain_pass[c]);
	}
	free(a->buf);
	free(a->row);
	free(a);
}

/* ---- per crop ---- */

void ser_aug_draw_one(const ser_aug *a, ser_rng *rng, ser_aug_draw *d)
{
	const ser_aug_opts *o = &a->o;
	double u_gain = ser_rng_uniform_d(rng), v_gain = ser_rng_uniform_d(rng);
	double u_band = ser_rng_uniform_d(rng), u_noise = ser_rng_uniform_d(rng);
	double v_snr = ser_rng_uniform_d(rng);
	int which_chain = a->nchain ? (int)ser_rng_below(rng, (uint64_t)a->nchain) : 0;
	int kind = (int)ser_rng_below(rng, 2);
	int off = (int)ser_rng_below(rng, (uint64_t)a->nf);
	d->gain_db = u_gain < o->gain_p ? -v_gain * o->gain_db : 0;
	d->band = a->nchain && u_band < o->band_p ? which_chain : -1;
	d->noise = u_noise < o->noise_p ? kind : -1;
	d->snr_db = o->snr_lo + v_snr * (o->snr_hi - o->snr_lo);
	d->offset = off;
	d->warp = 1;
	d->t60 = 0;
	d->drr_db = 0;
	if (o->warp_p > 0 && o->warp_max > 0) {
		double u = ser_rng_uniform_d(rng), v = ser_rng_uniform_d(rng);
		d->warp = u < o->warp_p ? 1 + (2 * v - 1) * o->warp_max : 1;
	}
	if (o->reverb_p > 0) {
		double u = ser_rng_uniform_d(rng), v = ser_rng_uniform_d(rng);
		double w = ser_rng_uniform_d(rng);
		d->t60 = u < o->reverb_p ? o->t60_lo + v * (o->t60_hi - o->t60_lo) : 0;
		d->drr_db = 12 * w;
	}
}

/* Filter powers p (T, nm) stretched in frequency by alpha: filter m takes
 * the power at its centre frequency over alpha, interpolated linearly
 * between the neighbouring filters' (held beyond the outer ones). */
static void warp_powers(ser_aug *a, float *p, int T, double alpha)
{
	const int nm = a->nm;
	float *row = a->row;
	for (int t = 0; t < T; t++) {
		float *pt = p + (size_t)t * nm;
		memcpy(row, pt, (size_t)nm * sizeof *row);
		for (int m = 0; m < nm; m++) {
			double hz = ser_mel_to_hz(a->mel_lo + (m + 1) * a->mel_step, a->mel_scale) / alpha;
			double u = (ser_hz_to_mel(hz, a->mel_scale) - a->mel_lo) / a->mel_step - 1;
			if (u <= 0) {
				pt[m] = row[0];
			} else if (u >= nm - 1) {
				pt[m] = row[nm - 1];
			} else {
				int k = (int)u;
				float w = (float)(u - k);
				pt[m] = (1 - w) * row[k] + w * row[k + 1];
			}
		}
	}
}

/* Late reverberation of filter powers p (T, nm), in place (see augment.h). */
static void reverb_powers(ser_aug *a, float *p, int T, double t60, double drr_db)
{
	const int nm = a->nm;
	float *r = a->row;
	double dec = pow(10.0, -6.0 * a->shift_s / t60);
	float da = (float)dec, c = (float)(pow(10.0, -drr_db / 10.0) * (1 - dec));
	memset(r, 0, (size_t)nm * sizeof *r);
	for (int t = 0; t < T; t++) {
		float *pt = p + (size_t)t * nm;
		for (int m = 0; m < nm; m++) {
			r[m] = da * r[m] + pt[m];
			pt[m] += c * r[m];
		}
	}
}

int ser_aug_apply(ser_aug *a, const ser_aug_draw *d, float *x, int T, ser_error *err)
{
	const int nm = a->nm;
	const size_t n = (size_t)T * nm;
	float *p;
	double g = pow(10.0, d->gain_db / 10.0), ps = 0, s2n = 0;
	const float *bg = d->band >= 0 && d->band < a->nchain ? a->chain_gain[d->band] : NULL;
	int floor16 = d->gain_db < 0 || bg;
	float lf = a->log_floor;
	int warp = d->warp > 0 && d->warp != 1, shape = warp || d->t60 > 0;
	if (T < 1 || (!floor16 && d->noise < 0 && !shape))
		return 0;
	if (T > a->cap) {
		float *nb = realloc(a->buf, n * sizeof *nb);
		if (!nb)
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		a->buf = nb;
		a->cap = T;
	}
	p = a->buf;
	/* to log mel (p), then to powers */
	if (a->cep)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, nm, nm, 1.0f, x, nm,
		            a->dct, nm, 0.0f, p, nm);
	else
		memcpy(p, x, n * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = a->db ? powf(10.0f, p[i] * 0.1f) : expf(p[i]);
	if (warp)
		warp_powers(a, p, T, d->warp);
	if (d->t60 > 0)
		reverb_powers(a, p, T, d->t60, d->drr_db);
	if (bg) {
		const float *lk = a->chain_leak[d->band];
		const unsigned char *pass = a->chain_pass[d->band];
		for (int t = 0; t < T; t++) {
			float *pt = p + (size_t)t * nm, sp = 0;
			for (int m = 0; m < nm; m++)
				sp += pass[m] ? pt[m] : 0.0f;
			for (int m = 0; m < nm; m++)
				pt[m] = (float)g * (bg[m] * pt[m] + lk[m] * sp);
		}
	} else if (g != 1) {
		for (size_t i = 0; i < n; i++)
			p[i] *= (float)g;
	}
	if (floor16) {
		const float *w = a->noise[0];
		int off = (d->offset + a->nf / 2) % a->nf;
		for (int t = 0; t < T; t++) {
			const float *wt = w + (size_t)((off + t) % a->nf) * nm;
			for (int m = 0; m < nm; m++)
				p[(size_t)t * nm + m] += (float)FLOOR16_VAR * wt[m];
		}
	}
	if (d->noise >= 0) {
		const float *w = a->noise[d->noise];
		for (size_t i = 0; i < n; i++)
			ps += p[i];
		ps /= T;
		s2n = ps / a->noise_pow[d->noise] / pow(10.0, d->snr_db / 10.0);
		for (int t = 0; t < T; t++) {
			const float *wt = w + (size_t)((d->offset + t) % a->nf) * nm;
			for (int m = 0; m < nm; m++)
				p[(size_t)t * nm + m] += (float)s2n * wt[m];
		}
	}
	for (size_t i = 0; i < n; i++) {
		float v = p[i] > lf ? p[i] : lf;
		p[i] = a->db ? 10.0f * log10f(v) : logf(v);
	}
	if (a->cep)   /* c = l D^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, nm, nm, 1.0f, p, nm, a->dct,
		            nm, 0.0f, x, nm);
	else
		memcpy(x, p, n * sizeof *x);
	return 0;
}

int ser_aug_chains(const ser_aug *a, int *rates, int max)
{
	for (int c = 0; c < a->nchain && c < max; c++)
		rates[c] = a->chain_rate[c];
	return a->nchain;
}

int ser_aug_noise_frames(const ser_aug *a)
{
	return a->nf;
}

double ser_aug_noise_power(const ser_aug *a, int kind)
{
	return kind == 0 || kind == 1 ? a->noise_pow[kind] : 0;
}
