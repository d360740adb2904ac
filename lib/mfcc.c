/* The streaming MFCC front end (framing rule and stage order in mfcc.h).
 *
 * Stages, each called once per frame, no allocation inside except where
 * an utterance is held (top-db, cmvn=utterance) or the output queue
 * grows because frames are not taken:
 *   frame_lm     samples -> log mel energies + log energy   (nm + 1 values)
 *   push_lm      top-db hold, or on
 *   push_ceps    DCT, lifter, energy into C0, C0 position    (nc values)
 *   push_cmvn    utterance hold, causal sliding, or on
 *   push_delta   regression coefficients, delay deltas * K   (nc * (1 + deltas))
 *   push_out     pooling sums, or the output queue           (dim values)
 */
#include "mfcc.h"
#include "rng.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

struct ser_fe {
	ser_feat_opts o;
	int L, S, N, pad;       /* frame length, shift, FFT size, left padding: samples */
	int nb;                 /* FFT bins used: N/2 + 1 */
	int nm, nc, nd;         /* mels; base dim; dim after deltas */
	size_t dim;             /* output dim (after pooling) */
	double *win;            /* (L) */
	double *frame;          /* (L) work */
	float *fin;             /* (N) FFT input */
	fftwf_complex *fout;    /* (nb) */
	fftwf_plan plan;
	double *pow;            /* (nb) spectrum */
	int *fb_first, *fb_len; /* (nm) first bin and count of each filter */
	size_t *fb_off;         /* (nm) offset into fb_w */
	float *fb_w;            /* filter weights, concatenated */
	double *dct;            /* (nc, nm) */
	double *lift;           /* (nc) */
	double *lm;             /* (nm + 1) work: log mels, log energy */
	double *base;           /* (nc) work */
	double *dv;             /* (nd) work */

	/* samples: sb[0] is absolute sample sb0; n_seen accepted in this utterance */
	float *sb;
	size_t sb_len, sb_cap;
	long long sb0, n_seen, t_next;
	int finished;
	uint64_t rng;
	int have_spare;
	double spare;
	size_t n_frames;        /* frames out of frame_lm */

	/* top-db hold: (ub_n, nm + 1) */
	double *ub;
	size_t ub_n, ub_cap;
	double ub_max;
	/* cmvn: utterance hold (cb_n, nc); sliding ring (W, nc) with sums */
	double *cb;
	size_t cb_n, cb_cap;
	double *cr, *csum, *csq;
	size_t cr_n, cr_cap;   /* cr grows with the frames seen, up to W rows */
	/* deltas: ring (R = 2D + 1, nc) */
	int D, R;
	double *dr;
	double *dscale;         /* (1 + deltas, 2D + 1) regression weights */
	size_t d_in, d_out;
	/* pooling */
	double *psum, *psq;
	size_t p_n;
	/* output queue: (q_cap, dim) floats, q_n ready from q_head */
	float *q;
	size_t q_head, q_n, q_cap;
};

void ser_frame_layout_of(const ser_feat_opts *o, ser_frame_layout *l)
{
	double db = 10 / log(10.0);   /* dB per neper of power */
	memset(l, 0, sizeof *l);
	l->dim = ser_feat_dim(o);
	l->n_mels = o->n_mels;
	l->dct = o->dct;
	if (o->energy != SER_ENERGY_NONE || o->dct != SER_DCT_NONE) {
		l->energy_first = o->c0 == SER_C0_LAST ? o->n_ceps - 1 : 0;
		l->energy_count = 1;
	} else {
		l->energy_first = 0;
		l->energy_count = o->n_mels;
	}
	if (o->energy != SER_ENERGY_NONE) {
		l->energy_k = db;   /* C0 = ln of the time-domain energy */
	} else {
		l->energy_k = o->log == SER_LOG_DB ? 1 : db;
		if (o->spectrum == SER_SPEC_MAGNITUDE)
			l->energy_k *= 2;
		if (o->dct == SER_DCT_ORTHO)
			l->energy_k /= sqrt((double)o->n_mels);
		else if (o->dct == SER_DCT_HTK)
			l->energy_k /= sqrt(2.0 * o->n_mels);
	}
	l->scale_db = o->scale > 0 ? 20 * log10(o->scale) : 0;
	l->absolute = o->cmvn == SER_CMVN_NONE && o->pool == SER_POOL_NONE;
	l->invertible = ser_feat_invertible(o, NULL) == 0;
	l->cepstra = l->invertible && o->dct == SER_DCT_ORTHO;
}

double ser_dct_coef(int kind, int n, int k, int m)
{
	double s = (k == 0 && kind == SER_DCT_ORTHO) ? sqrt(1.0 / n) : sqrt(2.0 / n);
	return s * cos(M_PI * k * (m + 0.5) / n);
}

void ser_dct_ortho_matrix(float *d, int n)
{
	for (int k = 0; k < n; k++)
		for (int m = 0; m < n; m++)
			d[(size_t)k * n + m] = (float)ser_dct_coef(SER_DCT_ORTHO, n, k, m);
}

double ser_hz_to_mel(double hz, int scale)
{
	if (scale == SER_MEL_SLANEY) {
		/* ref: librosa core/convert.py hz_to_mel, htk=False (Slaney's Auditory Toolbox) */
		const double f_sp = 200.0 / 3, min_log_hz = 1000, min_log_mel = min_log_hz / f_sp;
		const double logstep = log(6.4) / 27;
		return hz >= min_log_hz ? min_log_mel + log(hz / min_log_hz) / logstep : hz / f_sp;
	}
	return 1127.0 * log(1.0 + hz / 700.0);   /* ref: Kaldi mel-computations.h MelScale */
}

double ser_mel_to_hz(double mel, int scale)
{
	if (scale == SER_MEL_SLANEY) {
		const double f_sp = 200.0 / 3, min_log_hz = 1000, min_log_mel = min_log_hz / f_sp;
		const double logstep = log(6.4) / 27;
		return mel >= min_log_mel ? min_log_hz * exp(logstep * (mel - min_log_mel)) : f_sp * mel;
	}
	return 700.0 * (exp(mel / 1127.0) - 1.0);
}

static double window_value(int n, int L, int type)
{
	double a = L > 1 ? 2 * M_PI / (L - 1) : 0;   /* symmetric windows */
	switch (type) {
	case SER_WIN_HANN:      /* periodic, ref: scipy.signal.get_window(fftbins=True) */
		return 0.5 - 0.5 * cos(2 * M_PI * n / L);
	case SER_WIN_HANN_SYM:
		return L > 1 ? 0.5 - 0.5 * cos(a * n) : 1;
	case SER_WIN_HAMMING:   /* ref: HTK HSigP.c GenHamWindow, Kaldi feature-window.cc */
		return L > 1 ? 0.54 - 0.46 * cos(a * n) : 1;
	case SER_WIN_POVEY:     /* ref: Kaldi feature-window.cc, "povey" */
		return L > 1 ? pow(0.5 - 0.5 * cos(a * n), 0.85) : 1;
	case SER_WIN_BLACKMAN:
		return L > 1 ? 0.42 - 0.5 * cos(a * n) + 0.08 * cos(2 * a * n) : 1;
	default:
		return 1;
	}
}

void ser_window_fill(float *w, int L, int type)
{
	for (int n = 0; n < L; n++)
		w[n] = (float)window_value(n, L, type);
}

/* ---- small helpers ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 64;
	void *q;
	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (!q)
		return SER_ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* Dither: standard normal pairs by Box-Muller from splitmix64 draws on the
 * state fe->rng (seeded with the seed setting itself; not ser_rng's
 * xoshiro, so a seed keeps the dither it always gave). */
static double gauss(ser_fe *fe)
{
	double u, v;
	if (fe->have_spare) {
		fe->have_spare = 0;
		return fe->spare;
	}
	u = ((ser_splitmix64(&fe->rng) >> 11) + 1.0) / 9007199254740993.0;   /* (0, 1] */
	v = (ser_splitmix64(&fe->rng) >> 11) / 9007199254740992.0;
	fe->spare = sqrt(-2 * log(u)) * sin(2 * M_PI * v);
	fe->have_spare = 1;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* ---- output stages ---- */

static int push_out(ser_fe *fe, const double *v)
{
	if (fe->o.pool != SER_POOL_NONE) {
		for (int i = 0; i < fe->nd; i++) {
			fe->psum[i] += v[i];
			fe->psq[i] += v[i] * v[i];
		}
		fe->p_n++;
		return 0;
	}
	if (fe->q_head + fe->q_n == fe->q_cap) {
		if (fe->q_head > 0) {
			memmove(fe->q, fe->q + fe->q_head * fe->dim, fe->q_n * fe->dim * sizeof *fe->q);
			fe->q_head = 0;
		} else {
			size_t cap = fe->q_cap;
			if (grow((void **)&fe->q, &cap, fe->q_cap + 1, fe->dim * sizeof *fe->q) < 0)
				return SER_ENOMEM;
			fe->q_cap = cap;
		}
	}
	{
		float *d = fe->q + (fe->q_head + fe->q_n) * fe->dim;
		for (size_t i = 0; i < fe->dim; i++)
			d[i] = (float)v[i];
	}
	fe->q_n++;
	return 0;
}

/* Output frame t of the delta stage; frames clamp to [0, last]. */
static int delta_emit(ser_fe *fe, size_t t, size_t last)
{
	int nc = fe->nc, D = fe->D, K = fe->o.delta_window;
	for (int ord = 0; ord <= fe->o.deltas; ord++) {
		int off = ord * K;                      /* half-width of this order */
		const double *sc = fe->dscale + (size_t)ord * (2 * D + 1);
		double *out = fe->dv + (size_t)ord * nc;
		for (int c = 0; c < nc; c++)
			out[c] = 0;
		for (int j = -off; j <= off; j++) {
			long long u = (long long)t + j;
			const double *x;
			double s = sc[j + off];
			if (u < 0)
				u = 0;
			if (u > (long long)last)
				u = (long long)last;
			x = fe->dr + (size_t)(u % fe->R) * nc;
			for (int c = 0; c < nc; c++)
				out[c] += s * x[c];
		}
	}
	return push_out(fe, fe->dv);
}

static int push_delta(ser_fe *fe, const double *v)
{
	if (fe->o.deltas == 0)
		return push_out(fe, v);
	memcpy(fe->dr + (fe->d_in % (size_t)fe->R) * fe->nc, v, (size_t)fe->nc * sizeof *v);
	fe->d_in++;
	if (fe->d_in > (size_t)fe->D) {
		int rc = delta_emit(fe, fe->d_out, fe->d_in - 1);
		fe->d_out++;
		return rc;
	}
	return 0;
}

static void cmvn_apply(double *v, const double *sum, const double *sq, size_t n, int nc, int vars)
{
	for (int c = 0; c < nc; c++) {
		double m = sum[c] / n;
		v[c] -= m;
		if (vars) {
			double var = sq[c] / n - m * m;
			if (var > 1e-20)
				v[c] /= sqrt(var);
		}
	}
}

static int push_cmvn(ser_fe *fe, double *v)
{
	int nc = fe->nc;
	if (fe->o.cmvn == SER_CMVN_UTTERANCE) {
		if (grow((void **)&fe->cb, &fe->cb_cap, fe->cb_n + 1, (size_t)nc * sizeof *fe->cb) < 0)
			return SER_ENOMEM;
		memcpy(fe->cb + fe->cb_n * nc, v, (size_t)nc * sizeof *v);
		fe->cb_n++;
		return 0;
	}
	if (fe->o.cmvn == SER_CMVN_SLIDING) {
		/* causal: mean (and variance) of this frame and the W - 1 before it */
		size_t W = (size_t)fe->o.cmvn_window, n;
		/* not sized by cmvn-window up front: a settings text from a
		 * hostile model or stream could ask for 1e6 x 1024 doubles */
		if (fe->cr_n < W && grow((void **)&fe->cr, &fe->cr_cap, fe->cr_n + 1,
		                         (size_t)nc * sizeof *fe->cr) < 0)
			return SER_ENOMEM;
		double *slot = fe->cr + (fe->cr_n % W) * nc;
		if (fe->cr_n >= W)
			for (int c = 0; c < nc; c++) {
				fe->csum[c] -= slot[c];
				fe->csq[c] -= slot[c] * slot[c];
			}
		for (int c = 0; c < nc; c++) {
			slot[c] = v[c];
			fe->csum[c] += v[c];
			fe->csq[c] += v[c] * v[c];
		}
		fe->cr_n++;
		n = fe->cr_n < W ? fe->cr_n : W;
		cmvn_apply(v, fe->csum, fe->csq, n, nc, fe->o.cmvn_vars);
	}
	return push_delta(fe, v);
}

/* log mels + energy -> base vector */
static int push_ceps(ser_fe *fe, const double *lm)
{
	const ser_feat_opts *o = &fe->o;
	int nm = fe->nm, nc = fe->nc;
	double *b = fe->base;
	if (o->dct == SER_DCT_NONE) {
		memcpy(b, lm, (size_t)nm * sizeof *b);
		return push_cmvn(fe, b);
	}
	for (int k = 0; k < nc; k++) {
		const double *d = fe->dct + (size_t)k * nm;
		double s0 = 0, s1 = 0;
		int m = 0;
		for (; m + 2 <= nm; m += 2) {
			s0 += d[m] * lm[m];
			s1 += d[m + 1] * lm[m + 1];
		}
		if (m < nm)
			s0 += d[m] * lm[m];
		b[k] = (s0 + s1) * fe->lift[k];
	}
	if (o->energy != SER_ENERGY_NONE)
		b[0] = lm[nm];   /* ref: Kaldi feature-mfcc.cc, after the lifter */
	if (o->c0 == SER_C0_LAST) {
		double c0 = b[0];
		memmove(b, b + 1, (size_t)(nc - 1) * sizeof *b);
		b[nc - 1] = c0;
	}
	return push_cmvn(fe, b);
}

static int push_lm(ser_fe *fe, const double *lm)
{
	size_t w = (size_t)fe->nm + 1;
	if (fe->o.top_db > 0) {
		if (grow((void **)&fe->ub, &fe->ub_cap, fe->ub_n + 1, w * sizeof *fe->ub) < 0)
			return SER_ENOMEM;
		memcpy(fe->ub + fe->ub_n * w, lm, w * sizeof *lm);
		for (int m = 0; m < fe->nm; m++)
			if (lm[m] > fe->ub_max)
				fe->ub_max = lm[m];
		fe->ub_n++;
		return 0;
	}
	return push_ceps(fe, lm);
}

/* ---- framing and the per-frame spectrum ---- */

/* Sample at absolute index j for an edge frame; total = samples in the
 * utterance (known at finish). */
static float edge_sample(const ser_fe *fe, long long j, long long total)
{
	if (j >= 0 && j < total)
		return fe->sb[j - fe->sb0];
	if (fe->o.edge != SER_EDGE_REFLECT || total == 0)
		return 0;
	if (total == 1)
		return fe->sb[0 - fe->sb0];
	{
		long long P = 2 * (total - 1), r = j % P;
		if (r < 0)
			r += P;
		if (r >= total)
			r = P - r;
		return fe->sb[r - fe->sb0];
	}
}

/* Sum of x[0..n-1], four partial sums (independent add chains). */
static double sum4(const double *x, int n)
{
	double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	int i = 0;
	for (; i + 4 <= n; i += 4) {
		a0 += x[i];
		a1 += x[i + 1];
		a2 += x[i + 2];
		a3 += x[i + 3];
	}
	for (; i < n; i++)
		a0 += x[i];
	return (a0 + a1) + (a2 + a3);
}

/* Frame t's samples, scaled, into fe->frame; *dc gets their mean when it
 * is summed on the way (remove_dc without dither), and 1 is returned. */
static int frame_samples(ser_fe *fe, long long t, int at_end, double *dc)
{
	const ser_feat_opts *o = &fe->o;
	int L = fe->L;
	long long s = t * fe->S - fe->pad;
	double *f = fe->frame, sc = o->scale;
	if (at_end || s < 0) {
		for (int i = 0; i < L; i++)
			f[i] = sc * edge_sample(fe, s + i, at_end ? fe->n_seen : (long long)1 << 62);
		return 0;
	}
	const float *x = fe->sb + (s - fe->sb0);
	if (!o->remove_dc || o->dither > 0) {
		for (int i = 0; i < L; i++)
			f[i] = sc * x[i];
		return 0;
	}
	/* scale and DC sum in one pass, four partial sums */
	double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	int i = 0;
	for (; i + 4 <= L; i += 4) {
		a0 += f[i] = sc * x[i];
		a1 += f[i + 1] = sc * x[i + 1];
		a2 += f[i + 2] = sc * x[i + 2];
		a3 += f[i + 3] = sc * x[i + 3];
	}
	for (; i < L; i++)
		a0 += f[i] = sc * x[i];
	*dc = ((a0 + a1) + (a2 + a3)) / L;
	return 1;
}

/* DC removed (g = f - dc), pre-emphasis and window into fe->fin (zero
 * padded to N); returns the energy of g (raw) or of the windowed frame. */
static double frame_window(ser_fe *fe, double dc)
{
	const ser_feat_opts *o = &fe->o;
	int L = fe->L, raw = o->energy == SER_ENERGY_RAW, wined = o->energy == SER_ENERGY_WINDOWED;
	const double *f = fe->frame, *win = fe->win;
	double pe = o->preemph > 0 ? o->preemph : 0;
	float *fin = fe->fin;
	/* energy: four partial sums */
	double e0 = 0, e1 = 0, e2 = 0, e3 = 0;
	int i = L - 1;
	/* pre-emphasis runs backwards: g[i] - pe g[i-1], g[0] - pe g[0] */
	for (; i >= 4; i -= 4) {
		double g3 = f[i] - dc, g2 = f[i - 1] - dc, g1 = f[i - 2] - dc, g0 = f[i - 3] - dc;
		double gm = f[i - 4] - dc;
		double y3 = (g3 - pe * g2) * win[i], y2 = (g2 - pe * g1) * win[i - 1];
		double y1 = (g1 - pe * g0) * win[i - 2], y0 = (g0 - pe * gm) * win[i - 3];
		double q3 = raw ? g3 : y3, q2 = raw ? g2 : y2, q1 = raw ? g1 : y1, q0 = raw ? g0 : y0;
		e3 += q3 * q3;
		e2 += q2 * q2;
		e1 += q1 * q1;
		e0 += q0 * q0;
		fin[i] = (float)y3;
		fin[i - 1] = (float)y2;
		fin[i - 2] = (float)y1;
		fin[i - 3] = (float)y0;
	}
	for (; i >= 0; i--) {
		double g = f[i] - dc, y = (g - pe * (i > 0 ? f[i - 1] - dc : g)) * win[i];
		double q = raw ? g : y;
		e0 += q * q;
		fin[i] = (float)y;
	}
	memset(fin + L, 0, (size_t)(fe->N - L) * sizeof *fin);
	return raw || wined ? (e0 + e1) + (e2 + e3) : 0;
}

/* The spectrum of fe->fin through the filterbank to log mel energies. */
static void frame_mel(ser_fe *fe)
{
	const ser_feat_opts *o = &fe->o;
	fftwf_execute(fe->plan);
	for (int k = 0; k < fe->nb; k++) {
		double re = fe->fout[k][0], im = fe->fout[k][1];
		fe->pow[k] = re * re + im * im;
	}
	if (o->spectrum == SER_SPEC_MAGNITUDE)
		for (int k = 0; k < fe->nb; k++)
			fe->pow[k] = sqrt(fe->pow[k]);
	for (int m = 0; m < fe->nm; m++) {
		const float *w = fe->fb_w + fe->fb_off[m];
		const double *p = fe->pow + fe->fb_first[m];
		int n = fe->fb_len[m], k = 0;
		double a0 = 0, a1 = 0, acc;
		for (; k + 2 <= n; k += 2) {
			a0 += w[k] * p[k];
			a1 += w[k + 1] * p[k + 1];
		}
		if (k < n)
			a0 += w[k] * p[k];
		acc = a0 + a1;
		if (acc < o->log_floor)
			acc = o->log_floor;
		fe->lm[m] = o->log == SER_LOG_DB ? 10 * log10(acc) : log(acc);
	}
}

static int frame_lm(ser_fe *fe, long long t, int at_end)
{
	const ser_feat_opts *o = &fe->o;
	int L = fe->L, nm = fe->nm;
	double *f = fe->frame, e, dc = 0;
	int summed = frame_samples(fe, t, at_end, &dc);
	/* ref: Kaldi feature-window.cc ProcessWindow: dither, DC, raw energy,
	 * pre-emphasis, window; the last four fused in one pass (frame_window) */
	if (o->dither > 0)
		for (int i = 0; i < L; i++)
			f[i] += o->dither * gauss(fe);
	if (o->remove_dc && !summed)
		dc = sum4(f, L) / L;
	e = frame_window(fe, dc);
	frame_mel(fe);
	if (o->energy != SER_ENERGY_NONE) {
		/* ref: Kaldi: log(max(energy, FLT_EPSILON)), then energy floor */
		if (e < FLT_EPSILON)
			e = FLT_EPSILON;
		e = log(e);
		if (o->energy_floor > 0 && e < log(o->energy_floor))
			e = log(o->energy_floor);
		fe->lm[nm] = e;
	} else {
		fe->lm[nm] = 0;
	}
	fe->n_frames++;
	return push_lm(fe, fe->lm);
}

/* Frames computable before the end of input. */
static int run_frames(ser_fe *fe)
{
	for (;;) {
		long long s = fe->t_next * fe->S - fe->pad, e = s + fe->L - 1;
		int rc;
		if (e >= fe->n_seen)
			break;
		if (s < 0 && fe->o.edge == SER_EDGE_REFLECT && -s >= fe->n_seen)
			break;
		rc = frame_lm(fe, fe->t_next, 0);
		if (rc < 0)
			return rc;
		fe->t_next++;
	}
	return 0;
}

/* Drops samples no remaining frame needs. */
static void discard(ser_fe *fe)
{
	long long keep = fe->t_next * fe->S - fe->pad, drop;
	if (fe->o.edge == SER_EDGE_REFLECT)
		keep -= fe->L;   /* mirrored samples at the end */
	if (keep < 0)
		keep = 0;
	drop = keep - fe->sb0;
	if (drop <= 0)
		return;
	if ((size_t)drop > fe->sb_len)
		drop = (long long)fe->sb_len;
	memmove(fe->sb, fe->sb + drop, (fe->sb_len - (size_t)drop) * sizeof *fe->sb);
	fe->sb_len -= (size_t)drop;
	fe->sb0 += drop;
}

/* No NaN or infinity in x[0..n-1] (exponent bits not all ones), one
 * branch-free pass. */
static int all_finite(const float *x, size_t n)
{
	uint32_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, x + i, sizeof u);
		bad |= (u & 0x7f800000u) == 0x7f800000u;
	}
	return !bad;
}

int ser_fe_accept(ser_fe *fe, const float *x, size_t n, ser_error *err)
{
	if (fe->finished)
		return ser_seterr(err, SER_EINVAL, "front end: samples after the end of the utterance (call reset)");
	while (n > 0) {
		size_t k = fe->sb_cap - fe->sb_len;
		int rc;
		if (k > n)
			k = n;
		if (k == 0)
			return ser_seterr(err, SER_EINVAL, "front end: internal sample buffer full");
		/* NaN/Inf would spread through every later frame of the utterance */
		if (!all_finite(x, k))
			for (size_t i = 0; i < k; i++)
				if (!isfinite(x[i]))
					return ser_seterr(err, SER_EFORMAT, "sample %lld is %s", fe->n_seen + (long long)i,
					                  isnan(x[i]) ? "NaN" : "infinite");
		memcpy(fe->sb + fe->sb_len, x, k * sizeof *x);
		fe->sb_len += k;
		fe->n_seen += (long long)k;
		x += k;
		n -= k;
		rc = run_frames(fe);
		if (rc < 0)
			return ser_seterr(err, rc, "front end: out of memory");
		/* after a discard at most 2L + 1 samples stay, so space remains */
		if (fe->sb_cap - fe->sb_len < fe->sb_cap / 2)
			discard(fe);
	}
	return 0;
}

int ser_fe_finish(ser_fe *fe, ser_error *err)
{
	const ser_feat_opts *o = &fe->o;
	long long N = fe->n_seen, F;
	int rc = 0;
	if (fe->finished)
		return 0;
	fe->finished = 1;
	if (o->edge == SER_EDGE_SNIP)
		F = N < fe->L ? 0 : 1 + (N - fe->L) / fe->S;
	else
		F = N == 0 || N + 2 * fe->pad < fe->L ? 0 : 1 + (N + 2 * fe->pad - fe->L) / fe->S;
	for (; fe->t_next < F && rc == 0; fe->t_next++)
		rc = frame_lm(fe, fe->t_next, 1);
	if (o->top_db > 0) {
		/* ref: librosa power_to_db: max(S_db, S_db.max() - top_db) */
		size_t w = (size_t)fe->nm + 1;
		double fl = fe->ub_max - o->top_db;
		for (size_t i = 0; i < fe->ub_n && rc == 0; i++) {
			double *lm = fe->ub + i * w;
			for (int m = 0; m < fe->nm; m++)
				if (lm[m] < fl)
					lm[m] = fl;
			rc = push_ceps(fe, lm);
		}
	}
	if (o->cmvn == SER_CMVN_UTTERANCE && fe->cb_n > 0 && rc == 0) {
		int nc = fe->nc;
		for (int c = 0; c < nc; c++)
			fe->csum[c] = fe->csq[c] = 0;
		for (size_t i = 0; i < fe->cb_n; i++)
			for (int c = 0; c < nc; c++) {
				double v = fe->cb[i * nc + c];
				fe->csum[c] += v;
				fe->csq[c] += v * v;
			}
		for (size_t i = 0; i < fe->cb_n && rc == 0; i++) {
			cmvn_apply(fe->cb + i * nc, fe->csum, fe->csq, fe->cb_n, nc, o->cmvn_vars);
			rc = push_delta(fe, fe->cb + i * nc);
		}
	}
	if (o->deltas > 0)
		for (; fe->d_out < fe->d_in && rc == 0; fe->d_out++)
			rc = delta_emit(fe, fe->d_out, fe->d_in - 1);
	if (o->pool != SER_POOL_NONE && fe->p_n > 0 && rc == 0) {
		double *v = malloc(fe->dim * sizeof *v);
		size_t nd = (size_t)fe->nd;
		if (!v)
			return ser_seterr(err, SER_ENOMEM, "front end: out of memory");
		for (size_t i = 0; i < nd; i++) {
			double m = fe->psum[i] / fe->p_n, var = fe->psq[i] / fe->p_n - m * m;
			v[i] = m;
			if (o->pool == SER_POOL_MEANSTD)
				v[nd + i] = sqrt(var > 0 ? var : 0);
		}
		fe->p_n = 0;
		{
			int pool = fe->o.pool;
			fe->o.pool = SER_POOL_NONE;   /* into the queue this once */
			rc = push_out(fe, v);
			fe->o.pool = pool;
		}
		free(v);
	}
	if (rc < 0)
		return ser_seterr(err, rc, "front end: out of memory");
	return 0;
}

size_t ser_fe_ready(const ser_fe *fe)
{
	return fe->q_n;
}

size_t ser_fe_get(ser_fe *fe, float *out, size_t nmax)
{
	size_t k = nmax < fe->q_n ? nmax : fe->q_n;
	if (k == 0)
		return 0;
	memcpy(out, fe->q + fe->q_head * fe->dim, k * fe->dim * sizeof *out);
	fe->q_head += k;
	fe->q_n -= k;
	if (fe->q_n == 0)
		fe->q_head = 0;
	return k;
}

int ser_fe_utterance(ser_fe *fe, const float *x, size_t n, float **out, size_t *nf,
                     ser_error *err)
{
	size_t k;
	int rc;
	*out = NULL;
	*nf = 0;
	if ((rc = ser_fe_accept(fe, x, n, err)) < 0 || (rc = ser_fe_finish(fe, err)) < 0)
		return rc;
	k = ser_fe_ready(fe);
	if (!(*out = malloc((k ? k : 1) * fe->dim * sizeof **out)))
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	*nf = ser_fe_get(fe, *out, k);
	return 0;
}

void ser_fe_reset(ser_fe *fe)
{
	fe->sb_len = 0;
	fe->sb0 = fe->n_seen = fe->t_next = 0;
	fe->finished = 0;
	fe->rng = fe->o.seed;
	fe->have_spare = 0;
	fe->n_frames = 0;
	fe->ub_n = 0;
	fe->ub_max = -HUGE_VAL;
	fe->cb_n = 0;
	fe->cr_n = 0;
	for (int c = 0; c < fe->nc; c++)
		fe->csum[c] = fe->csq[c] = 0;
	fe->d_in = fe->d_out = 0;
	for (int i = 0; i < fe->nd; i++)
		fe->psum[i] = fe->psq[i] = 0;
	fe->p_n = 0;
	fe->q_head = fe->q_n = 0;
}

size_t ser_fe_dim(const ser_fe *fe) { return fe->dim; }
size_t ser_fe_frames(const ser_fe *fe) { return fe->n_frames; }
const ser_feat_opts *ser_fe_opts(const ser_fe *fe) { return &fe->o; }

const float *ser_fe_filter(const ser_fe *fe, int m, int *first, int *len)
{
	if (m < 0 || m >= fe->nm)
		return NULL;
	*first = fe->fb_first[m];
	*len = fe->fb_len[m];
	return fe->fb_w + fe->fb_off[m];
}

void ser_fe_free(ser_fe *fe)
{
	if (!fe)
		return;
	if (fe->plan)
		fftwf_destroy_plan(fe->plan);
	fftwf_free(fe->fin);
	fftwf_free(fe->fout);
	free(fe->win); free(fe->frame); free(fe->pow);
	free(fe->fb_first); free(fe->fb_len); free(fe->fb_off); free(fe->fb_w);
	free(fe->dct); free(fe->lift); free(fe->lm); free(fe->base); free(fe->dv);
	free(fe->sb); free(fe->ub); free(fe->cb); free(fe->cr); free(fe->csum); free(fe->csq);
	free(fe->dr); free(fe->dscale); free(fe->psum); free(fe->psq); free(fe->q);
	free(fe);
}

/* Filterbank: (nm) triangles over bins 0..nb-1. ref: Kaldi mel-computations.cc
 * MelBanks (shape mel), librosa filters.mel (shape hz, slaney norm). */
static int make_filterbank(ser_fe *fe)
{
	const ser_feat_opts *o = &fe->o;
	int nm = fe->nm, nb = fe->nb;
	double lo = o->low_freq, hi = ser_feat_high_freq(o);
	double mlo = ser_hz_to_mel(lo, o->mel_scale), mhi = ser_hz_to_mel(hi, o->mel_scale);
	double *mp = malloc((size_t)(nm + 2) * sizeof *mp), *fp = malloc((size_t)(nm + 2) * sizeof *fp);
	double *row = malloc((size_t)nb * sizeof *row);
	size_t total = 0, cap = 0;
	int rc = SER_ENOMEM;
	fe->fb_first = malloc((size_t)nm * sizeof *fe->fb_first);
	fe->fb_len = malloc((size_t)nm * sizeof *fe->fb_len);
	fe->fb_off = malloc((size_t)nm * sizeof *fe->fb_off);
	if (!mp || !fp || !row || !fe->fb_first || !fe->fb_len || !fe->fb_off)
		goto out;
	for (int j = 0; j < nm + 2; j++) {
		mp[j] = mlo + j * (mhi - mlo) / (nm + 1);
		fp[j] = ser_mel_to_hz(mp[j], o->mel_scale);
	}
	for (int i = 0; i < nm; i++) {
		int first = -1, last = -1;
		for (int k = 0; k < nb; k++) {
			double f = (double)k * o->rate / fe->N, w = 0;
			if (o->mel_shape == SER_SHAPE_MEL) {
				double m = ser_hz_to_mel(f, o->mel_scale);
				if (m > mp[i] && m < mp[i + 2])
					w = m <= mp[i + 1] ? (m - mp[i]) / (mp[i + 1] - mp[i])
					                   : (mp[i + 2] - m) / (mp[i + 2] - mp[i + 1]);
			} else {
				double lower = (f - fp[i]) / (fp[i + 1] - fp[i]);
				double upper = (fp[i + 2] - f) / (fp[i + 2] - fp[i + 1]);
				w = lower < upper ? lower : upper;
				if (w < 0)
					w = 0;
			}
			if (o->mel_norm == SER_MELNORM_SLANEY)
				w *= 2.0 / (fp[i + 2] - fp[i]);
			row[k] = w;
			if (w != 0) {
				if (first < 0)
					first = k;
				last = k;
			}
		}
		if (first < 0)
			first = last = 0, row[0] = 0;   /* empty filter: one zero weight */
		fe->fb_first[i] = first;
		fe->fb_len[i] = last - first + 1;
		fe->fb_off[i] = total;
		if (grow((void **)&fe->fb_w, &cap, total + (size_t)fe->fb_len[i], sizeof *fe->fb_w) < 0)
			goto out;
		for (int k = first; k <= last; k++)
			fe->fb_w[total++] = (float)row[k];
	}
	rc = 0;
out:
	free(mp);
	free(fp);
	free(row);
	return rc;
}

ser_fe *ser_fe_new(const ser_feat_opts *o, ser_error *err)
{
	ser_fe *fe;
	int rc = ser_feat_check(o, err);
	if (rc < 0)
		return NULL;
	if (o->cmvn == SER_CMVN_SPEAKER) {
		ser_seterr(err, SER_EINVAL, "cmvn=speaker is not computed frame by frame: it needs all the "
		           "utterances of each speaker (ser-mfcc --cmvn speaker --utt2spk FILE)");
		return NULL;
	}
	fe = calloc(1, sizeof *fe);
	if (!fe)
		goto nomem;
	fe->o = *o;
	fe->L = ser_feat_frame_length(o);
	fe->S = ser_feat_frame_shift(o);
	fe->N = ser_feat_fft_size(o);
	fe->pad = o->edge == SER_EDGE_SNIP ? 0 : fe->L / 2;
	fe->nb = fe->N / 2 + 1;
	fe->nm = o->n_mels;
	fe->nc = o->dct == SER_DCT_NONE ? o->n_mels : o->n_ceps;
	fe->nd = fe->nc * (1 + o->deltas);
	fe->dim = ser_feat_dim(o);
	fe->D = o->deltas * o->delta_window;
	fe->R = 2 * fe->D + 1;
	fe->win = malloc((size_t)fe->L * sizeof *fe->win);
	fe->frame = malloc((size_t)fe->L * sizeof *fe->frame);
	fe->fin = fftwf_malloc((size_t)fe->N * sizeof *fe->fin);
	fe->fout = fftwf_malloc((size_t)fe->nb * sizeof *fe->fout);
	fe->pow = malloc((size_t)fe->nb * sizeof *fe->pow);
	fe->dct = malloc((size_t)fe->nc * fe->nm * sizeof *fe->dct);
	fe->lift = malloc((size_t)fe->nc * sizeof *fe->lift);
	fe->lm = malloc((size_t)(fe->nm + 1) * sizeof *fe->lm);
	fe->base = malloc((size_t)fe->nc * sizeof *fe->base);
	fe->dv = malloc((size_t)fe->nd * sizeof *fe->dv);
	fe->sb_cap = 3 * (size_t)fe->L + (size_t)fe->S + 8192;
	fe->sb = malloc(fe->sb_cap * sizeof *fe->sb);
	fe->csum = calloc((size_t)fe->nc, sizeof *fe->csum);
	fe->csq = calloc((size_t)fe->nc, sizeof *fe->csq);
	fe->dr = malloc((size_t)fe->R * fe->nc * sizeof *fe->dr);
	fe->dscale = calloc((size_t)(1 + o->deltas) * fe->R, sizeof *fe->dscale);
	fe->psum = calloc((size_t)fe->nd, sizeof *fe->psum);
	fe->psq = calloc((size_t)fe->nd, sizeof *fe->psq);
	fe->q_cap = 64;
	fe->q = malloc(fe->q_cap * fe->dim * sizeof *fe->q);
	if (!fe->win || !fe->frame || !fe->fin || !fe->fout || !fe->pow || !fe->dct || !fe->lift ||
	    !fe->lm || !fe->base || !fe->dv || !fe->sb || !fe->csum || !fe->csq || !fe->dr ||
	    !fe->dscale || !fe->psum || !fe->psq || !fe->q)
		goto nomem;
	for (int i = 0; i < fe->L; i++)
		fe->win[i] = window_value(i, fe->L, o->window);
	fe->plan = fftwf_plan_dft_r2c_1d(fe->N, fe->fin, fe->fout, FFTW_ESTIMATE);
	if (!fe->plan) {
		ser_seterr(err, SER_EINVAL, "front end: no FFTW plan for size %d", fe->N);
		ser_fe_free(fe);
		return NULL;
	}
	if (make_filterbank(fe) < 0)
		goto nomem;
	/* DCT-II (nc, nm) */
	for (int k = 0; k < fe->nc && o->dct != SER_DCT_NONE; k++)
		for (int m = 0; m < fe->nm; m++)
			fe->dct[(size_t)k * fe->nm + m] = ser_dct_coef(o->dct, fe->nm, k, m);
	/* ref: Kaldi mel-computations.cc ComputeLifterCoeffs, HTK WeightCepstrum */
	for (int k = 0; k < fe->nc; k++)
		fe->lift[k] = o->lifter > 0 ? 1 + 0.5 * o->lifter * sin(M_PI * k / o->lifter) : 1;
	/* regression weights per order, ref: Kaldi feature-functions.cc DeltaFeatures */
	fe->dscale[0] = 1;   /* order 0: the frame itself; rows left-aligned, index j + ord*K */
	for (int ord = 1; ord <= o->deltas; ord++) {
		const double *prev = fe->dscale + (size_t)(ord - 1) * fe->R;
		double *cur = fe->dscale + (size_t)ord * fe->R, norm = 0;
		int K = o->delta_window, po = (ord - 1) * K, co = ord * K;
		for (int j = -K; j <= K; j++) {
			norm += (double)j * j;
			for (int k = -po; k <= po; k++)
				cur[j + k + co] += j * prev[k + po];
		}
		for (int i = 0; i < 2 * co + 1; i++)
			cur[i] /= norm;
	}
	ser_fe_reset(fe);
	return fe;
nomem:
	ser_seterr(err, SER_ENOMEM, "front end: out of memory");
	ser_fe_free(fe);
	return NULL;
}
