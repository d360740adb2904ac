/* Feature-domain augmentation (lib/augment.c): option parsing, refused
 * settings, and the physics: augmented frames of a signal against the
 * frames of the signal really changed (noise added, gain and 16-bit floor,
 * through an 8 kHz chain), compared as per-filter means over frames. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "augment.h"
#include "check.h"
#include "mfcc.h"
#include "rng.h"

#define RATE 16000
#define N (RATE * 3)

/* A voiced-like test signal: harmonics of a gliding 120-220 Hz tone under
 * a syllable envelope with pauses (quiet frames matter for noise). */
static void voice(float *x, size_t n)
{
	double ph = 0;
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / RATE, f0 = 170 + 50 * sin(2 * M_PI * 0.7 * t), v = 0;
		double env = sin(2 * M_PI * 1.5 * t);
		ph += 2 * M_PI * f0 / RATE;
		for (int h = 1; h <= 30 && h * f0 < 7800; h++)
			v += sin(h * ph) / h;
		x[i] = (float)(0.15 * v * (env > 0.1 ? env : 0.0) + 0.0005 * sin(2 * M_PI * 50 * t));
	}
}

/* frames of x under settings text: (*nf, dim) */
static float *frames(const char *settings, const float *x, size_t n, int *nf)
{
	ser_feat_opts o;
	ser_error err;
	ser_fe *fe;
	float *out;
	size_t got;
	if (ser_feat_parse_settings(&o, settings, &err) < 0 || !(fe = ser_fe_new(&o, &err)))
		return NULL;
	ser_fe_utterance(fe, x, n, &out, &got, &err);
	*nf = (int)got;
	ser_fe_free(fe);
	return out;
}

/* per-filter mean over frames of log mel frames (nf, dim) */
static void band_means(const float *f, int nf, int dim, double *mean)
{
	for (int m = 0; m < dim; m++) {
		mean[m] = 0;
		for (int t = 0; t < nf; t++)
			mean[m] += f[(size_t)t * dim + m];
		mean[m] /= nf;
	}
}

/* per-filter mean log power over frames floored 60 dB below the filter's
 * loudest frame (what lies deeper is below any recording's noise floor) */
static void band_means60(const float *f, int nf, int dim, double *mean)
{
	for (int m = 0; m < dim; m++) {
		double mx = -1e30;
		for (int t = 0; t < nf; t++)
			mx = fmax(mx, f[(size_t)t * dim + m]);
		mean[m] = 0;
		for (int t = 0; t < nf; t++)
			mean[m] += fmax(f[(size_t)t * dim + m], mx - 6 * log(10.0));
		mean[m] /= nf;
	}
}

/* per-filter log of the mean power over frames */
static void band_logpow(const float *f, int nf, int dim, double *lp)
{
	for (int m = 0; m < dim; m++) {
		double p = 0;
		for (int t = 0; t < nf; t++)
			p += exp(f[(size_t)t * dim + m]);
		lp[m] = log(p / nf);
	}
}

static double mean_power(const float *f, int nf, int dim)
{
	double s = 0;
	for (size_t i = 0; i < (size_t)nf * dim; i++)
		s += exp(f[i]);
	return s / nf;
}

/* worst |a - b| over filters lo..hi-1 */
static double worst(const double *a, const double *b, int lo, int hi)
{
	double w = 0;
	for (int m = lo; m < hi; m++)
		w = fmax(w, fabs(a[m] - b[m]));
	return w;
}

/* nx samples of x through r and flushed into y, exactly n samples (cut
 * or zero-padded). */
static void resample_to(ser_resampler *r, const float *x, size_t nx, float *y, size_t n)
{
	ser_error err;
	size_t got = 0, k = 0;
	ser_resampler_process(r, x, nx, y, n, &got, &err);
	if (got < n && ser_resampler_process(r, NULL, 0, y + got, n - got, &k, &err) >= 0)
		got += k;
	for (; got < n; got++)
		y[got] = 0;
}

static void chain(const float *x, float *y, size_t n, int crate)
{
	ser_error err;
	ser_resampler *d = ser_resampler_new(RATE, crate, SER_RS_HQ, &err);
	ser_resampler *u = ser_resampler_new(crate, RATE, SER_RS_HQ, &err);
	size_t cap = n + 4096, nd = 0, k = 0;
	float *mid = malloc(cap * sizeof *mid);
	ser_resampler_process(d, x, n, mid, cap, &nd, &err);
	ser_resampler_process(d, NULL, 0, mid + nd, cap - nd, &k, &err);
	nd += k;
	resample_to(u, mid, nd, y, n);
	free(mid);
	ser_resampler_free(d);
	ser_resampler_free(u);
}

static void add_white(float *x, size_t n, double std, uint64_t seed)
{
	ser_rng r;
	ser_rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++)
		x[i] += (float)(std * ser_rng_normal(&r));
}

static void parsing(void)
{
	ser_aug_opts o;
	ser_error err;
	char buf[128];
	static const char *const good[][2] = {
		{ "none", "none" },
		{ "noise:0.5:0:30", "noise:0.5:0:30" },
		{ "band:0.2,noise:1:-5:5", "noise:1:-5:5,band:0.2" },
		{ "gain:0.3:30,band:1,noise:0.25:10:10", "noise:0.25:10:10,band:1,gain:0.3:30" },
		{ "reverb:0.3:0.2:0.8,warp:0.5:0.1", "warp:0.5:0.1,reverb:0.3:0.2:0.8" },
	};
	static const char *const bad[] = {
		"", "noise", "noise:0.5:0", "noise:1.5:0:10", "noise:0.5:20:10", "noise:0.5:0:200",
		"band:0.5,band:0.5", "band:-0.1", "gain:0.5:-3", "gain:0.5:3,", "reverb:1",
		"band:0.5x", "noise:nan:0:1", ",band:1", "warp:0.5:0.4", "warp:0.5", "warp:1:0.1,warp:1:0.1",
		"reverb:0.5:0.01:1", "reverb:0.5:1:0.5", "reverb:0.5:0.2:9",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		int rc = ser_aug_parse(&o, good[i][0], &err);
		ser_aug_text(&o, buf, sizeof buf);
		CHECK(rc == 0 && !strcmp(buf, good[i][1]), "--augment '%s' -> '%s' (%s)", good[i][0],
		      buf, rc ? err.msg : "ok");
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(ser_aug_parse(&o, bad[i], &err) == SER_EINVAL && strstr(err.msg, "noise:P:LO:HI"),
		      "--augment '%s' refused: %s", bad[i], err.msg);
	ser_aug_parse(&o, "gain:0.5:0", &err);
	CHECK(!ser_aug_on(&o), "gain by up to 0 dB is off");
}

static void refusals(void)
{
	static const char *const cases[][2] = {
		{ "deltas=1", "deltas" }, { "cmvn=utterance", "cmvn" }, { "n-ceps=13", "n-ceps" },
		{ "dct=htk", "dct htk" }, { "lifter=22", "lifter" }, { "pool=mean", "pool" },
		{ "energy=raw", "energy" }, { "spectrum=magnitude", "magnitude" },
	};
	ser_aug_opts o;
	ser_error err;
	ser_aug_parse(&o, "noise:1:0:10", &err);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		ser_aug *a = ser_aug_new(cases[i][0], &o, &err);
		CHECK(!a && err.code == SER_EINVAL && strstr(err.msg, cases[i][1]),
		      "settings %s refused: %s", cases[i][0], a ? "(accepted)" : err.msg);
		ser_aug_free(a);
	}
}

/* x (n samples at RATE) played faster by alpha and resampled back to RATE:
 * every frequency times alpha (y holds at most n samples, zero-padded). */
static void speed(const float *x, float *y, size_t n, double alpha)
{
	ser_error err;
	ser_resampler *r = ser_resampler_new(RATE * alpha, RATE, SER_RS_HQ, &err);
	resample_to(r, x, n, y, n);
	ser_resampler_free(r);
}

/* x convolved with a synthetic room response: the direct sound and an
 * exponentially decaying white-noise tail (T60 seconds) whose energy is
 * drr_db below the direct sound's. */
static void room(const float *x, float *y, size_t n, double t60, double drr_db)
{
	size_t L = (size_t)(t60 * RATE);
	float *h = malloc(L * sizeof *h);
	double e = 0;
	ser_rng r;
	ser_rng_seed(&r, 31);
	for (size_t i = 0; i < L; i++) {
		h[i] = (float)(ser_rng_normal(&r) * pow(10.0, -3.0 * i / (t60 * RATE)));
		e += (double)h[i] * h[i];
	}
	for (size_t i = 0; i < L; i++)
		h[i] = (float)(h[i] * sqrt(pow(10.0, -drr_db / 10) / e));
	h[0] = 1;
	for (size_t t = 0; t < n; t++) {
		double v = 0;
		for (size_t i = 0; i < L && i <= t; i++)
			v += (double)h[i] * x[t - i];
		y[t] = (float)v;
	}
	free(h);
}

/* warp and reverb against the signal really changed */
/* x (nf, 40) = frames f changed by draw d of a. */
static void aug_copy(ser_aug *a, const ser_aug_draw *d, const float *f, int nf, float *x)
{
	ser_error err;
	memcpy(x, f, (size_t)nf * 40 * sizeof *x);
	ser_aug_apply(a, d, x, nf, &err);
}

static void shapes(const float *s, float *y, const float *f, int nf)
{
	ser_aug_opts o;
	ser_error err;
	double ref[40], got[40];
	ser_aug_parse(&o, "warp:1:0.2,reverb:1:0.1:2", &err);
	ser_aug *a = ser_aug_new("dct=none", &o, &err);
	float *x = malloc((size_t)nf * 40 * sizeof *x), *g;
	int ng;
	for (int k = 0; k < 2; k++) {
		double alpha = k ? 1.12 : 0.9;
		ser_aug_draw d = { 0, -1, -1, 0, 0, alpha, 0, 0 };
		speed(s, y, N, alpha);
		g = frames("dct=none", y, N, &ng);
		aug_copy(a, &d, f, nf, x);
		band_logpow(g, ng, 40, ref);
		band_logpow(x, nf, 40, got);
		/* the outer filters see the edge of the band (held there) */
		CHECK(worst(got, ref, 3, 36) < 0.5, "warp %.2f: per-filter log mean power within %.3f "
		      "of the signal played %.2f times faster (< 0.5, 2.2 dB)", alpha,
		      worst(got, ref, 3, 36), alpha);
		free(g);
	}
	for (int k = 0; k < 2; k++) {
		double t60 = k ? 0.9 : 0.3, drr = k ? 3 : 8;
		ser_aug_draw d = { 0, -1, -1, 0, 0, 1, t60, drr };
		room(s, y, N, t60, drr);
		g = frames("dct=none", y, N, &ng);
		aug_copy(a, &d, f, nf, x);
		band_means60(g, ng, 40, ref);
		band_means60(f, nf, 40, got);
		double plain = worst(got, ref, 0, 40);
		band_means60(x, nf, 40, got);
		double mad = 0;
		for (int m = 0; m < 40; m++)
			mad += fabs(got[m] - ref[m]) / 40;
		/* one random room response colours the few FFT bins of the low
		 * filters by a dB or two: the bound is on the mean over filters */
		CHECK(mad < 0.25 && worst(got, ref, 0, 40) < 0.75 && worst(got, ref, 0, 40) < plain / 2,
		      "reverb T60 %.1f s, DRR %.0f dB: per-filter mean log power (60 dB range) within "
		      "%.3f on average, %.3f at worst, of the signal through a room response (< 0.25, "
		      "< 0.75; unchanged frames: %.3f at worst)", t60, drr, mad, worst(got, ref, 0, 40),
		      plain);
		free(g);
	}
	free(x);
	ser_aug_free(a);
}

int main(void)
{
	static const char logmel[] = "dct=none";
	ser_aug_opts o;
	ser_error err;
	ser_aug *a, *ac;
	float *s = malloc(N * sizeof *s), *y = malloc(N * sizeof *y);
	float *f, *g, *fc;
	int nf, ng, rates[4];
	double ref[40], got[40];

	parsing();
	refusals();

	ser_aug_parse(&o, "noise:1:0:10,band:1,gain:1:20", &err);
	a = ser_aug_new(logmel, &o, &err);
	ac = ser_aug_new("", &o, &err);   /* ser preset: cepstra */
	CHECK(a && ac, "augmenters for log mel and cepstra: %s", a && ac ? "made" : err.msg);
	if (!a || !ac)
		return check_status();
	CHECK(ser_aug_chains(a, rates, 4) == 2 && rates[0] == 8000 && rates[1] == 11025,
	      "chains at 16 kHz: 8000 and 11025 Hz");
	CHECK(ser_aug_noise_frames(a) >= 900, "noise frames made: %d", ser_aug_noise_frames(a));
	{
		ser_aug *a8 = ser_aug_new("rate=8000 high-freq=3800", &o, &err);
		CHECK(a8 && ser_aug_chains(a8, rates, 4) == 0, "no chain below an 8 kHz analysis rate");
		ser_aug_free(a8);
	}

	voice(s, N);
	f = frames(logmel, s, N, &nf);
	fc = frames("", s, N, &nf);

	shapes(s, y, f, nf);

	/* nothing drawn: frames unchanged, bit for bit */
	{
		ser_aug_draw d = { 0, -1, -1, 0, 0, 1, 0, 0 };
		float *x = malloc((size_t)nf * 40 * sizeof *x);
		aug_copy(a, &d, f, nf, x);
		CHECK(!memcmp(x, f, (size_t)nf * 40 * sizeof *x), "no change drawn: frames unchanged");
		free(x);
	}

	/* additive white noise at a known level */
	for (int k = 0; k < 2; k++) {
		double std = k ? 0.002 : 0.02, snr;
		ser_aug_draw d = { 0, -1, 0, 0, 0, 1, 0, 0 };
		float *x = malloc((size_t)nf * 40 * sizeof *x);
		memcpy(y, s, N * sizeof *y);
		add_white(y, N, std, 99 + (uint64_t)k);
		g = frames(logmel, y, N, &ng);
		snr = 10 * log10(mean_power(f, nf, 40) / (std * std * ser_aug_noise_power(a, 0)));
		d.snr_db = snr;
		aug_copy(a, &d, f, nf, x);
		band_means(g, ng, 40, ref);
		band_means(x, nf, 40, got);
		CHECK(ng == nf && worst(got, ref, 0, 40) < 0.2,
		      "white noise at SNR %.1f dB: per-filter mean log power within %.3f of the "
		      "noisy signal's (< 0.2, 0.9 dB)", snr, worst(got, ref, 0, 40));
		/* the same draw on cepstra = the DCT of it on log mel */
		{
			float *xc = malloc((size_t)nf * 40 * sizeof *xc), *gc;
			int n2;
			memcpy(xc, fc, (size_t)nf * 40 * sizeof *xc);
			ser_aug_apply(ac, &d, xc, nf, &err);
			gc = frames("", y, N, &n2);
			band_means(gc, n2, 40, ref);
			band_means(xc, nf, 40, got);
			CHECK(worst(got, ref, 0, 40) < 0.2 * sqrt(40.0) / 2,
			      "the same on cepstra: per-coefficient means within %.3f",
			      worst(got, ref, 0, 40));
			free(xc);
			free(gc);
		}
		free(x);
		free(g);
	}

	/* gain -20 dB over a 16-bit floor */
	{
		ser_aug_draw d = { -20, -1, -1, 0, 0, 1, 0, 0 };
		float *x = malloc((size_t)nf * 40 * sizeof *x);
		for (size_t i = 0; i < N; i++)
			y[i] = s[i] * 0.1f;
		add_white(y, N, 1.0 / 65536, 7);
		g = frames(logmel, y, N, &ng);
		aug_copy(a, &d, f, nf, x);
		band_means(g, ng, 40, ref);
		band_means(x, nf, 40, got);
		CHECK(worst(got, ref, 0, 40) < 0.12, "gain -20 dB with a 16-bit floor: within %.3f",
		      worst(got, ref, 0, 40));
		free(x);
		free(g);
	}

	/* through an 8 kHz chain */
	{
		ser_aug_draw d = { 0, 0, -1, 0, 0, 1, 0, 0 };
		float *x = malloc((size_t)nf * 40 * sizeof *x);
		double orig[40];
		int lo4k = 0;
		chain(s, y, N, 8000);
		add_white(y, N, 1.0 / 65536, 8);
		g = frames(logmel, y, N, &ng);
		aug_copy(a, &d, f, nf, x);
		band_means(g, ng, 40, ref);
		band_means(x, nf, 40, got);
		band_means(f, nf, 40, orig);
		while (lo4k < 40 && ser_mel_to_hz(ser_hz_to_mel(20, 0) + (lo4k + 1) *
		       (ser_hz_to_mel(7600, 0) - ser_hz_to_mel(20, 0)) / 41, 0) < 3400)
			lo4k++;
		CHECK(lo4k > 20 && worst(got, ref, 0, lo4k) < 0.12,
		      "8 kHz chain, the %d filters below 3.4 kHz: within %.3f", lo4k,
		      worst(got, ref, 0, lo4k));
		band_logpow(g, ng, 40, ref);
		band_logpow(x, nf, 40, got);
		band_logpow(f, nf, 40, orig);
		{
			double dg = 0, dr = 0;
			for (int m = lo4k + 4; m < 40; m++)
				dg += (orig[m] - got[m]) / (40 - lo4k - 4), dr += (orig[m] - ref[m]) / (40 - lo4k - 4);
			CHECK(worst(got, ref, lo4k + 4, 40) < 0.5 && dg > 3 && dr > 3,
			      "8 kHz chain, filters above 4.2 kHz: %.1f and %.1f (ln) below the original on "
			      "average, within %.3f of each other", dg, dr, worst(got, ref, lo4k + 4, 40));
		}
		free(x);
		free(g);
	}

	/* draws: fixed by the rng, within the ranges, at the stated rates */
	{
		ser_aug_opts p;
		ser_aug *b;
		ser_rng r1, r2;
		int n = 4000, same = 1, inrange = 1, noise = 0, band = 0, gain = 0;
		ser_aug_parse(&p, "noise:0.5:-5:20,band:0.25,gain:0.75:30", &err);
		b = ser_aug_new(logmel, &p, &err);
		ser_rng_seed(&r1, 5);
		ser_rng_seed(&r2, 5);
		for (int i = 0; i < n; i++) {
			ser_aug_draw d1, d2;
			ser_aug_draw_one(b, &r1, &d1);
			ser_aug_draw_one(b, &r2, &d2);
			same &= d1.gain_db == d2.gain_db && d1.band == d2.band && d1.noise == d2.noise &&
			        d1.snr_db == d2.snr_db && d1.offset == d2.offset;
			inrange &= d1.snr_db >= -5 && d1.snr_db <= 20 && d1.gain_db >= -30 &&
			           d1.gain_db <= 0 && d1.offset >= 0 && d1.offset < ser_aug_noise_frames(b);
			noise += d1.noise >= 0;
			band += d1.band >= 0;
			gain += d1.gain_db < 0;
		}
		CHECK(same && inrange, "draws repeat with the seed and stay in range");
		CHECK(fabs(noise / (double)n - 0.5) < 0.03 && fabs(band / (double)n - 0.25) < 0.03 &&
		      fabs(gain / (double)n - 0.75) < 0.03, "draw rates %.3f %.3f %.3f for 0.5 0.25 0.75",
		      noise / (double)n, band / (double)n, gain / (double)n);
		ser_aug_free(b);
		/* warp and reverb draw too, in range, at their rates */
		int warped = 0, rev = 0;
		inrange = 1;
		ser_aug_parse(&p, "warp:0.4:0.1,reverb:0.2:0.3:0.9", &err);
		b = ser_aug_new(logmel, &p, &err);
		for (int i = 0; i < n; i++) {
			ser_aug_draw d1;
			ser_aug_draw_one(b, &r1, &d1);
			warped += d1.warp != 1;
			rev += d1.t60 > 0;
			inrange &= d1.warp >= 0.9 && d1.warp <= 1.1 && (d1.t60 == 0 ||
			           (d1.t60 >= 0.3 && d1.t60 <= 0.9)) && d1.drr_db >= 0 && d1.drr_db <= 12;
		}
		CHECK(inrange && fabs(warped / (double)n - 0.4) < 0.03 && fabs(rev / (double)n - 0.2) < 0.03,
		      "warp and reverb draws in range, rates %.3f %.3f for 0.4 0.2", warped / (double)n,
		      rev / (double)n);
		ser_aug_free(b);
	}

	free(f);
	free(fc);
	free(s);
	free(y);
	ser_aug_free(a);
	ser_aug_free(ac);
	return check_status();
}
