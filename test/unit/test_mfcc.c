/* Unit tests of the front end: windows, mel scales, filterbank, DCT,
 * framing rule, streaming == whole buffer, reset, settings, deltas, CMVN,
 * pooling. */
#include "check.h"
#include "check_fe.h"
#include "featio.h"
#include "mfcc.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static uint64_t rs = 88172645463325252ull;
static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 11);
}

/* Noise-plus-tones test signal in [-1, 1). */
static float *signal(size_t n, unsigned seed)
{
	float *x = malloc((n + 1) * sizeof *x);
	rs = 88172645463325252ull + seed;
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(0.3 * sin(2 * M_PI * 440 * i / 16000.0) * (0.5 + 0.5 * sin(i / 3000.0)) +
		               0.05 * ((double)(rnd() % 20001) / 10000.0 - 1.0));
	return x;
}

static ser_feat_opts preset(const char *name)
{
	ser_feat_opts o;
	ser_feat_preset(&o, name, NULL);
	return o;
}

static void set(ser_feat_opts *o, const char *k, const char *v)
{
	ser_error err;
	if (ser_feat_set(o, k, v, &err) < 0)
		printf("# set %s=%s: %s\n", k, v, err.msg);
}

/* Random chunk sizes (0..maxc samples), frames taken in random amounts as
 * they become ready. */
static float *run_chunks(ser_fe *fe, const float *x, size_t n, size_t maxc, size_t *nf)
{
	size_t dim = ser_fe_dim(fe), cap = 1024, got = 0, i = 0;
	float *y = malloc(cap * dim * sizeof *y);
	ser_error err;
	for (int fin = 0; fin < 2; fin++) {
		while (!fin && i < n) {
			size_t c = rnd() % (maxc + 1);
			if (c > n - i)
				c = n - i;
			ser_fe_accept(fe, x + i, c, &err);
			i += c;
			if (rnd() % 4 == 0)
				continue;   /* let frames pile up now and then */
			while (ser_fe_ready(fe) > 0) {
				size_t want = 1 + rnd() % 5;
				if (got + want > cap) {
					cap = 2 * (got + want);
					y = realloc(y, cap * dim * sizeof *y);
				}
				got += ser_fe_get(fe, y + got * dim, want);
			}
		}
		if (!fin)
			ser_fe_finish(fe, &err);
		else
			while (ser_fe_ready(fe) > 0) {
				if (got + 1 > cap) {
					cap *= 2;
					y = realloc(y, cap * dim * sizeof *y);
				}
				got += ser_fe_get(fe, y + got * dim, 1);
			}
	}
	*nf = got;
	return y;
}

static void test_windows(void)
{
	float w[5];
	ser_window_fill(w, 4, SER_WIN_HANN);
	CHECK(fabs(w[0]) < 1e-7 && fabs(w[1] - 0.5) < 1e-7 && fabs(w[2] - 1) < 1e-7 && fabs(w[3] - 0.5) < 1e-7,
	      "periodic Hann, L=4: 0 0.5 1 0.5 (got %g %g %g %g)", w[0], w[1], w[2], w[3]);
	ser_window_fill(w, 5, SER_WIN_HAMMING);
	CHECK(fabs(w[0] - 0.08) < 1e-7 && fabs(w[1] - 0.54) < 1e-7 && fabs(w[2] - 1) < 1e-7 &&
	      fabs(w[4] - 0.08) < 1e-7, "symmetric Hamming, L=5: 0.08 0.54 1 0.54 0.08 (got %g %g %g)", w[0], w[1], w[2]);
	ser_window_fill(w, 5, SER_WIN_POVEY);
	CHECK(fabs(w[0]) < 1e-7 && fabs(w[1] - pow(0.5, 0.85)) < 1e-7 && fabs(w[2] - 1) < 1e-7 &&
	      fabs(w[3] - w[1]) < 1e-7, "Povey, L=5: 0 0.5^0.85 1 0.5^0.85 0 (got %g %g)", w[1], w[3]);
	ser_window_fill(w, 5, SER_WIN_HANN_SYM);
	CHECK(fabs(w[4]) < 1e-7 && fabs(w[1] - 0.5) < 1e-7, "symmetric Hann, L=5: ends 0, w[1] 0.5");
	ser_window_fill(w, 3, SER_WIN_RECT);
	CHECK(w[0] == 1 && w[2] == 1, "rectangular window is 1");
}

static void test_mel(void)
{
	CHECK(fabs(ser_hz_to_mel(700, SER_MEL_HTK) - 1127 * log(2)) < 1e-9,
	      "htk mel(700 Hz) = 1127 ln 2 = %.6f", ser_hz_to_mel(700, SER_MEL_HTK));
	CHECK(fabs(ser_hz_to_mel(1000, SER_MEL_HTK) - 999.9907) < 1e-3, "htk mel(1000 Hz) = 1127 ln(17/7) = 999.991 (%.5f)",
	      ser_hz_to_mel(1000, SER_MEL_HTK));
	CHECK(fabs(ser_hz_to_mel(1000, SER_MEL_SLANEY) - 15) < 1e-12 &&
	      fabs(ser_hz_to_mel(500, SER_MEL_SLANEY) - 7.5) < 1e-12,
	      "slaney mel: 500 Hz = 7.5, 1000 Hz = 15");
	CHECK(fabs(ser_hz_to_mel(6400, SER_MEL_SLANEY) - 42) < 1e-9, "slaney mel(6400 Hz) = 15 + 27 = 42 (%.9f)",
	      ser_hz_to_mel(6400, SER_MEL_SLANEY));
	{
		double worst = 0;
		for (int s = 0; s < 2; s++)
			for (double f = 0; f <= 20000; f += 123.5) {
				double d = fabs(ser_mel_to_hz(ser_hz_to_mel(f, s), s) - f);
				if (d > worst)
					worst = d;
			}
		CHECK(worst < 1e-8, "mel_to_hz(hz_to_mel(f)) == f, both scales (worst %.2g Hz)", worst);
	}
}

static void test_filterbank(void)
{
	ser_feat_opts o = preset("kaldi");
	ser_error err;
	ser_fe *fe = ser_fe_new(&o, &err);
	double sum[257] = { 0 }, worst = 0;
	int first, len, lo_bin, hi_bin;
	double mlo = ser_hz_to_mel(20, SER_MEL_HTK), mhi = ser_hz_to_mel(8000, SER_MEL_HTK);
	double c0 = ser_mel_to_hz(mlo + (mhi - mlo) / 24, SER_MEL_HTK);
	double c22 = ser_mel_to_hz(mlo + 23 * (mhi - mlo) / 24, SER_MEL_HTK);
	for (int m = 0; m < 23; m++) {
		const float *w = ser_fe_filter(fe, m, &first, &len);
		for (int k = 0; k < len; k++)
			sum[first + k] += w[k];
	}
	lo_bin = (int)ceil(c0 * 512 / 16000);
	hi_bin = (int)floor(c22 * 512 / 16000);
	for (int k = lo_bin; k <= hi_bin; k++)
		if (fabs(sum[k] - 1) > worst)
			worst = fabs(sum[k] - 1);
	CHECK(worst < 1e-6, "kaldi filterbank: triangles sum to 1 between the first and last centre (bins %d..%d, worst %.2g)",
	      lo_bin, hi_bin, worst);
	CHECK(sum[0] == 0 && sum[256] == 0, "kaldi filterbank: nothing at DC and Nyquist");
	ser_fe_free(fe);

	/* slaney norm: each filter has unit area in Hz (approximately, as sampled) */
	o = preset("librosa");
	fe = ser_fe_new(&o, &err);
	worst = 0;
	for (int m = 60; m < 128; m++) {
		const float *w = ser_fe_filter(fe, m, &first, &len);
		double a = 0;
		for (int k = 0; k < len; k++)
			a += w[k] * 22050.0 / 2048;
		if (fabs(a - 1) > worst)
			worst = fabs(a - 1);
	}
	CHECK(worst < 0.01, "librosa filterbank: Slaney-normalised filters 60..127 have area 1 (worst %.3g)", worst);
	ser_fe_free(fe);
}

static void test_dct_and_sine(void)
{
	/* Parseval: with n-ceps = n-mels the orthonormal DCT keeps the norm */
	ser_feat_opts a = preset("ser"), b;
	float *x = signal(16000, 1), *ya, *yb;
	size_t na, nb, da, db;
	double worst = 0;
	set(&a, "dct", "none");
	b = preset("ser");
	ya = check_fe_run(&a, x, 16000, &na, &da);
	yb = check_fe_run(&b, x, 16000, &nb, &db);
	for (size_t t = 0; t < na && na == nb && da == db; t++) {
		double ea = 0, eb = 0;
		for (size_t i = 0; i < da; i++) {
			ea += (double)ya[t * da + i] * ya[t * da + i];
			eb += (double)yb[t * db + i] * yb[t * db + i];
		}
		if (fabs(ea - eb) / ea > worst)
			worst = fabs(ea - eb) / ea;
	}
	CHECK(na == 98 && na == nb && worst < 1e-5, "orthonormal DCT keeps the norm of 40 log mels (98 frames, worst rel %.2g)", worst);
	/* DC: constant log mels give only C0 = sqrt(N) * value */
	{
		ser_feat_opts o = preset("ser");
		float z[16000] = { 0 };
		float *y;
		size_t n, d;
		double other = 0;
		y = check_fe_run(&o, z, 16000, &n, &d);
		for (size_t i = 1; i < d; i++)
			other = fmax(other, fabs(y[i]));
		CHECK(n == 98 && fabs(y[0] - sqrt(40.0) * log(1e-10)) < 1e-3 && other < 1e-4,
		      "silence: C0 = sqrt(40) ln(1e-10) = %.4f (got %.4f), others 0 (max %.2g)",
		      sqrt(40.0) * log(1e-10), y[0], other);
		free(y);
		o = preset("kaldi");
		y = check_fe_run(&o, z, 16000, &n, &d);
		CHECK(n == 98 && d == 13 && fabs(y[0] - log(FLT_EPSILON)) < 1e-5,
		      "kaldi, silence: C0 = log energy floor ln(FLT_EPSILON) = %.5f (got %.5f)", log(FLT_EPSILON), y[0]);
		free(y);
	}
	/* a pure sine peaks in the filter whose centre is nearest */
	{
		ser_feat_opts o = preset("ser");
		float *s = malloc(8000 * sizeof *s), *y;
		size_t n, d;
		int arg = 0, want = 0;
		double mlo = ser_hz_to_mel(20, SER_MEL_HTK), mhi = ser_hz_to_mel(7600, SER_MEL_HTK), best = 1e9;
		set(&o, "dct", "none");
		for (int i = 0; i < 8000; i++)
			s[i] = (float)(0.5 * sin(2 * M_PI * 1500 * i / 16000.0));
		y = check_fe_run(&o, s, 8000, &n, &d);
		for (int m = 0; m < 40; m++) {
			double c = ser_mel_to_hz(mlo + (m + 1) * (mhi - mlo) / 41, SER_MEL_HTK);
			if (fabs(c - 1500) < best)
				best = fabs(c - 1500), want = m;
			if (y[10 * d + m] > y[10 * d + arg])
				arg = m;
		}
		CHECK(arg == want, "1500 Hz sine peaks in mel band %d (want %d)", arg, want);
		free(y);
		free(s);
	}
	free(ya);
	free(yb);
	free(x);
}

static void test_framing(void)
{
	static const struct { const char *edge; int n; size_t want; } c[] = {
		{ "snip", 0, 0 }, { "snip", 399, 0 }, { "snip", 400, 1 }, { "snip", 559, 1 },
		{ "snip", 560, 2 }, { "snip", 16000, 98 },
		{ "zero", 0, 0 }, { "zero", 1, 1 }, { "zero", 159, 1 }, { "zero", 160, 2 }, { "zero", 16000, 101 },
		{ "reflect", 1, 1 }, { "reflect", 10, 1 }, { "reflect", 16000, 101 },
	};
	float *x = signal(16000, 2);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		ser_feat_opts o = preset("ser");
		size_t n, d, bad = 0;
		float *y;
		set(&o, "edge", c[i].edge);
		y = check_fe_run(&o, x, (size_t)c[i].n, &n, &d);
		for (size_t k = 0; k < n * d; k++)
			bad += !isfinite(y[k]);
		CHECK(n == c[i].want && bad == 0, "edge %s, %d samples, L 400, S 160: %zu frames (want %zu), all finite",
		      c[i].edge, c[i].n, n, c[i].want);
		free(y);
	}
	free(x);
	/* librosa: 1 + N / 512 */
	{
		ser_feat_opts o = preset("librosa");
		float *z = signal(22050, 3);
		size_t n, d;
		float *y = check_fe_run(&o, z, 22050, &n, &d);
		CHECK(n == 1 + 22050 / 512 && d == 40, "librosa preset: 22050 samples -> %zu frames of %zu (want 44 of 40)", n, d);
		free(y);
		free(z);
	}
}

static int same(const float *a, const float *b, size_t n)
{
	return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

static void test_streaming(void)
{
	static const char *cfg[][3] = {
		{ "ser", NULL, NULL }, { "librosa", NULL, NULL }, { "librosa", "edge", "reflect" },
		{ "kaldi", "deltas", "2" }, { "kaldi", "cmvn", "sliding" }, { "htk", "dither", "1" },
		{ "ser", "cmvn", "utterance" }, { "librosa", "pool", "meanstd" }, { "ser", "edge", "reflect" },
	};
	size_t n = 40000;
	float *x = signal(n, 4);
	for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
		ser_feat_opts o = preset(cfg[i][0]);
		ser_error err;
		ser_fe *fe;
		size_t nw, dw, n1, n2, n3;
		float *yw, *y1, *y2, *y3;
		if (cfg[i][1]) {
			set(&o, cfg[i][1], cfg[i][2]);
			if (!strcmp(cfg[i][2], "sliding"))
				set(&o, "cmvn-window", "50");
		}
		if (!strcmp(cfg[i][0], "librosa"))
			set(&o, "rate", "16000");
		yw = check_fe_run(&o, x, n, &nw, &dw);
		fe = ser_fe_new(&o, &err);
		y1 = run_chunks(fe, x, n, 1, &n1);          /* 0 or 1 sample at a time */
		ser_fe_reset(fe);
		y2 = run_chunks(fe, x, n, 3000, &n2);       /* random chunks */
		ser_fe_reset(fe);
		y3 = run_chunks(fe, x, n, 100000, &n3);
		CHECK(nw > 0 && n1 == nw && n2 == nw && n3 == nw && same(yw, y1, nw * dw) &&
		      same(yw, y2, nw * dw) && same(yw, y3, nw * dw),
		      "%s %s%s%s: streaming (chunks of 0..1, 0..3000, 0..100000 samples) == whole buffer, bit-exact (%zu frames of %zu)",
		      cfg[i][0], cfg[i][1] ? cfg[i][1] : "", cfg[i][1] ? "=" : "", cfg[i][2] ? cfg[i][2] : "", nw, dw);
		free(yw);
		free(y1);
		free(y2);
		free(y3);
		ser_fe_free(fe);
	}
	/* ready() before finish: 0 for utterance-wide stages, > 0 otherwise */
	{
		ser_feat_opts o = preset("librosa");
		ser_error err;
		ser_fe *fe = ser_fe_new(&o, &err);
		size_t r1, r2;
		ser_fe_accept(fe, x, n, &err);
		r1 = ser_fe_ready(fe);
		ser_fe_free(fe);
		o = preset("kaldi");
		set(&o, "deltas", "1");
		fe = ser_fe_new(&o, &err);
		ser_fe_accept(fe, x, 400 + 160 * 10, &err);
		r2 = ser_fe_ready(fe);   /* 11 frames, delay 2 */
		CHECK(r1 == 0 && r2 == 9, "ready(): 0 before finish with top-db (got %zu); 11 frames - delta delay 2 = 9 (got %zu)", r1, r2);
		CHECK(ser_fe_accept(fe, x, 10, &err) == 0 && ser_fe_finish(fe, &err) == 0 &&
		      ser_fe_ready(fe) == 11 && ser_fe_accept(fe, x, 10, &err) < 0,
		      "finish flushes the delta delay; accept after finish is refused (%s)", err.msg);
		ser_fe_free(fe);
	}
	/* reset: utterance B after A == B alone */
	{
		ser_feat_opts o = preset("kaldi");
		ser_error err;
		ser_fe *fe;
		size_t nb, db, n2;
		float *yb, *y2, *xb = signal(20000, 5);
		set(&o, "deltas", "1");
		set(&o, "cmvn", "sliding");
		set(&o, "dither", "0.5");
		yb = check_fe_run(&o, xb, 20000, &nb, &db);
		fe = ser_fe_new(&o, &err);
		ser_fe_accept(fe, x, 12345, &err);   /* utterance A, not even finished */
		ser_fe_reset(fe);
		y2 = run_chunks(fe, xb, 20000, 777, &n2);
		CHECK(n2 == nb && same(yb, y2, nb * db), "reset between utterances: B after A == B alone (%zu frames)", nb);
		free(yb);
		free(y2);
		free(xb);
		ser_fe_free(fe);
	}
	free(x);
}

static void test_settings(void)
{
	char t1[4096], t2[4096], diff[512];
	ser_error err;
	ser_feat_opts o, p;
	for (int i = 0; ser_feat_presets[i]; i++) {
		ser_feat_preset(&o, ser_feat_presets[i], NULL);
		ser_feat_settings_text(&o, t1, sizeof t1);
		CHECK(ser_feat_parse_settings(&p, t1, &err) == 0, "%s: settings text parses (%s)", ser_feat_presets[i], err.msg);
		ser_feat_settings_text(&p, t2, sizeof t2);
		CHECK(strcmp(t1, t2) == 0, "%s: settings text round trip: %s", ser_feat_presets[i], t1);
		CHECK(ser_feat_check(&o, &err) == 0, "%s preset is valid", ser_feat_presets[i]);
	}
	ser_feat_preset(&o, "kaldi", NULL);
	ser_feat_settings_text(&o, t1, sizeof t1);
	CHECK(strstr(t1, "rate=16000 scale=32768 ") == t1 && strstr(t1, " frame-length=400 frame-shift=160 ") &&
	      strstr(t1, " fft-size=512 ") && strstr(t1, " high-freq=8000 ") && strstr(t1, " log-floor=1.1920929e-07 "),
	      "kaldi settings text states effective values");
	set(&o, "preemph", "0.123456789123");
	set(&o, "frame-length", "20ms");
	set(&o, "rate", "8000");
	ser_feat_settings_text(&o, t1, sizeof t1);
	ser_feat_parse_settings(&p, t1, &err);
	ser_feat_settings_text(&p, t2, sizeof t2);
	CHECK(!strcmp(t1, t2) && strstr(t1, " preemph=0.123456789 ") && strstr(t1, " frame-length=160 ") &&
	      p.preemph == o.preemph, "round trip after set: floats to 9 digits exactly, 20ms at 8000 Hz = 160 samples");
	/* set() rejects bad values */
	{
		static const char *bad[][2] = {
			{ "frame-length", "0" }, { "frame-length", "-3" }, { "frame-length", "abc" },
			{ "frame-length", "0ms" }, { "n-mels", "0" }, { "n-mels", "12x" }, { "window", "kaiser" },
			{ "preemph", "1.5" }, { "preemph", "nan" }, { "rate", "100" }, { "deltas", "3" },
			{ "remove-dc", "maybe" }, { "no-such-key", "1" }, { "log-floor", "0" },
		};
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			ser_feat_preset(&o, "ser", NULL);
			p = o;
			err.msg[0] = 0;
			CHECK(ser_feat_set(&o, bad[i][0], bad[i][1], &err) == SER_EINVAL && err.msg[0] &&
			      !memcmp(&o, &p, sizeof o), "set %s=%s refused: %s", bad[i][0], bad[i][1], err.msg);
		}
	}
	/* cross-field checks in init */
	{
		static const char *bad[][2] = {
			{ "high-freq", "9000" }, { "fft-size", "256" }, { "n-ceps", "41" }, { "low-freq", "7600" },
			{ "top-db", "80" },
		};
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			ser_fe *fe;
			ser_feat_preset(&o, "ser", NULL);
			set(&o, bad[i][0], bad[i][1]);
			err.msg[0] = 0;
			fe = ser_fe_new(&o, &err);
			CHECK(!fe && err.code == SER_EINVAL && err.msg[0], "ser + %s=%s refused by init: %s", bad[i][0], bad[i][1], err.msg);
			ser_fe_free(fe);
		}
	}
	CHECK(ser_feat_preset(&o, "sptk", &err) == SER_EINVAL, "unknown preset refused: %s", err.msg);
	/* diff */
	{
		char a[4096], b[4096];
		int nd;
		ser_feat_preset(&o, "ser", NULL);
		ser_feat_settings_text(&o, a, sizeof a);
		set(&o, "n-mels", "23");
		set(&o, "n-ceps", "13");
		ser_feat_settings_text(&o, b, sizeof b);
		nd = ser_feat_settings_diff(a, b, "here", "in the model", diff, sizeof diff);
		CHECK(nd == 2 && !strcmp(diff, "n-mels: 40 here, 23 in the model; n-ceps: 40 here, 13 in the model"),
		      "settings diff: %d: %s", nd, diff);
		CHECK(ser_feat_settings_diff(a, a, "x", "y", diff, sizeof diff) == 0 && !diff[0], "settings diff of equal texts is empty");
	}
	{
		ser_feat_info info;
		char text[SER_FEAT_SETTINGS_MAX], small[16];
		ser_feat_preset(&o, "librosa", NULL);
		set(&o, "pool", "mean");
		CHECK(ser_feat_info_fill(&o, &info, text, sizeof text, &err) == 0 && info.dim == 40 &&
		      info.rate == 22050 && info.shift == 0 && info.length == 2048 && info.settings == text &&
		      info.fingerprint == ser_fingerprint(text, strlen(text)) && strstr(text, " pool=mean"),
		      "info for librosa + pool mean: dim 40, rate 22050, shift 0 (one vector), length 2048, fingerprint of the text");
		ser_feat_preset(&o, "kaldi", NULL);
		CHECK(ser_feat_info_fill(&o, &info, text, sizeof text, &err) == 0 && info.dim == 13 && info.shift == 160,
		      "info for kaldi: dim 13, shift 160");
		CHECK(ser_feat_info_fill(&o, &info, small, sizeof small, &err) == SER_ELIMIT, "info: too small a buffer refused");
		set(&o, "high-freq", "9000");
		CHECK(ser_feat_info_fill(&o, &info, text, sizeof text, &err) == SER_EINVAL, "info: invalid settings refused");
	}
	{
		ser_feat_preset(&o, "kaldi", NULL);
		set(&o, "deltas", "2");
		CHECK(ser_feat_dim(&o) == 39, "kaldi + deltas 2: dim 39");
		set(&o, "pool", "meanstd");
		CHECK(ser_feat_dim(&o) == 78, "kaldi + deltas 2 + pool meanstd: dim 78");
	}
}

/* Mean and (population) variance of column c of y (nf, d), in double,
 * two passes. */
static void column_mean_var(const float *y, size_t nf, size_t d, size_t c, double *mean,
                            double *var)
{
	double m = 0, v = 0;
	for (size_t t = 0; t < nf; t++)
		m += y[t * d + c];
	m /= nf;
	for (size_t t = 0; t < nf; t++)
		v += (y[t * d + c] - m) * (y[t * d + c] - m);
	*mean = m;
	*var = v / nf;
}

static void test_deltas_cmvn_pool(void)
{
	/* x[n] = A r^n sin(2 pi 500 n / 16000): 500 Hz repeats every 32 samples, so
	 * with a 160-sample shift each frame is r^160 times the previous one and
	 * every log mel rises by 2*160*ln r per frame: C0 is a linear ramp with
	 * slope sqrt(40) * 320 ln r, the other cepstra are constant. */
	size_t n = 16000, nf, d;
	double lr = 1e-4, slope = sqrt(40.0) * 320 * lr, w1 = 0, w2 = 0, wc = 0;
	float *x = malloc(n * sizeof *x), *y;
	ser_feat_opts o = preset("ser");
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(0.01 * exp(lr * i) * sin(2 * M_PI * 500 * i / 16000.0));
	set(&o, "deltas", "2");
	y = check_fe_run(&o, x, n, &nf, &d);
	for (size_t t = 2 * 2; t + 4 < nf; t++) {
		w1 = fmax(w1, fabs(y[t * d + 40] - slope));
		w2 = fmax(w2, fabs(y[t * d + 80]));
		for (int c = 1; c < 40; c++)
			wc = fmax(wc, fabs(y[t * d + 40 + c]));
	}
	CHECK(nf == 98 && d == 120 && w1 < 1e-3 && w2 < 1e-3 && wc < 1e-3,
	      "deltas on a ramp: delta C0 = slope %.5f (worst %.2g), delta-delta 0 (worst %.2g), other deltas 0 (worst %.2g)",
	      slope, w1, w2, wc);
	CHECK(fabs(y[40] - 0.5 * slope) < 1e-3, "delta at frame 0 with edge replication: (1*1 + 2*2)/10 * slope = %.5f (got %.5f)",
	      0.5 * slope, y[40]);
	free(y);

	/* CMVN */
	{
		float *s = signal(n, 6);
		double wm = 0, wv = 0;
		o = preset("ser");
		set(&o, "cmvn", "utterance");
		set(&o, "cmvn-vars", "1");
		y = check_fe_run(&o, s, n, &nf, &d);
		for (size_t c = 0; c < d; c++) {
			double m, v;
			column_mean_var(y, nf, d, c, &m, &v);
			wm = fmax(wm, fabs(m));
			wv = fmax(wv, fabs(v - 1));
		}
		CHECK(nf == 98 && wm < 1e-5 && wv < 1e-4, "utterance CMVN: every coefficient has mean 0 (worst %.2g) and variance 1 (worst %.2g)", wm, wv);
		free(y);
		o = preset("ser");
		set(&o, "cmvn", "sliding");
		set(&o, "cmvn-window", "10");
		y = check_fe_run(&o, s, n, &nf, &d);
		{
			size_t nr;
			ser_feat_opts r = preset("ser");
			float *raw = check_fe_run(&r, s, n, &nr, &d);
			double m = 0;
			for (size_t t = 40; t < 50; t++)
				m += raw[t * d + 3];
			m /= 10;
			CHECK(fabs(y[0]) < 1e-6 && fabs(y[49 * d + 3] - (raw[49 * d + 3] - m)) < 1e-4,
			      "sliding CMVN: frame 0 is 0, frame 49 = x - mean of frames 40..49");
			free(raw);
		}
		free(y);
		free(s);
	}

	/* pooling */
	{
		float *s = signal(n, 7), *yp;
		size_t np, dp;
		double wm = 0, ws = 0;
		o = preset("ser");
		y = check_fe_run(&o, s, n, &nf, &d);
		set(&o, "pool", "meanstd");
		yp = check_fe_run(&o, s, n, &np, &dp);
		for (size_t c = 0; c < d && np == 1 && dp == 2 * d; c++) {
			double m, v;
			column_mean_var(y, nf, d, c, &m, &v);
			wm = fmax(wm, fabs(yp[c] - m));
			ws = fmax(ws, fabs(yp[d + c] - sqrt(v)));
		}
		CHECK(np == 1 && dp == 80 && wm < 1e-4 && ws < 1e-3, "pool meanstd: one vector of 80 = mean and std of the frames (worst %.2g, %.2g)", wm, ws);
		free(yp);
		yp = check_fe_run(&o, s, 100, &np, &dp);
		CHECK(np == 0, "pool of an utterance with 0 frames: no vector");
		free(yp);
		free(y);
		free(s);
	}
	/* dither: seeded */
	{
		float *s = signal(n, 8), *a, *b, *c;
		size_t na, nb, nc;
		o = preset("kaldi");
		set(&o, "dither", "1");
		a = check_fe_run(&o, s, n, &na, &d);
		b = check_fe_run(&o, s, n, &nb, &d);
		set(&o, "seed", "7");
		c = check_fe_run(&o, s, n, &nc, &d);
		CHECK(na == nb && same(a, b, na * d) && !same(a, c, na * d), "dither: same seed same features, other seed other features");
		free(a);
		free(b);
		free(c);
		free(s);
	}
	free(x);
}

int main(void)
{
	test_windows();
	test_mel();
	test_filterbank();
	test_dct_and_sine();
	test_framing();
	test_streaming();
	test_settings();
	test_deltas_cmvn_pool();
	return check_status();
}
