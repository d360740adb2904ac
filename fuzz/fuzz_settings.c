/* libFuzzer target: option parsing of the front end (lib/mfcc.h).
 * Input: byte 0 picks the preset (ser, librosa, kaldi, htk) and the test
 * signal; the rest is text. Every line "KEY=VALUE" goes through
 * ser_feat_set; the whole text also through ser_feat_parse_settings. Each
 * accepted setting is checked for a canonical text that parses back to
 * itself, then (if ser_feat_check accepts it) a front end is built and
 * fed a few hundred samples, finished, and its frames taken.
 * Aborts on: a settings text that does not round-trip, a front end
 * refused after ser_feat_check accepted its settings (other than out of
 * memory), a frame count or dimension that disagrees with the framing
 * rule in mfcc.h, a NaN/Inf feature from samples in [-1, 1]. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mfcc.h"

/* Front ends whose set-up alone costs more than ~10 ms are skipped so the
 * fuzzer keeps its pace; test_hostile runs the largest settings once. */
#define WORK_MAX (1u << 22)   /* n-mels x FFT bins, and frame length x frames */

/* The canonical text of settings that pass ser_feat_check parses back to
 * the same text (for refused settings it need not: high-freq is written
 * as its effective value). */
static void roundtrip(const ser_feat_opts *o)
{
	char a[4096], b[4096];
	ser_feat_opts o2;
	ser_error e;
	if (ser_feat_check(o, &e) < 0)
		return;
	size_t n = ser_feat_settings_text(o, a, sizeof a);
	if (n >= sizeof a)
		abort();                          /* canonical text is short */
	if (ser_feat_parse_settings(&o2, a, &e) < 0) {
		fprintf(stderr, "canonical text refused: %s\n%s\n", e.msg, a);
		abort();
	}
	ser_feat_settings_text(&o2, b, sizeof b);
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "settings text does not round-trip:\n%s\n%s\n", a, b);
		abort();
	}
	char d[256];
	if (ser_feat_settings_diff(a, b, "a", "b", d, sizeof d) != 0)
		abort();
}

/* Expected frame count of N samples (framing rule in mfcc.h), before pooling. */
static size_t frames_of(const ser_feat_opts *o, size_t N)
{
	size_t L = (size_t)ser_feat_frame_length(o), S = (size_t)ser_feat_frame_shift(o);
	if (o->edge == SER_EDGE_SNIP)
		return N < L ? 0 : 1 + (N - L) / S;
	size_t pad = L / 2;
	return N == 0 ? 0 : (N + 2 * pad < L ? 0 : 1 + (N + 2 * pad - L) / S);
}

static size_t count_nonfinite(const float *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += !isfinite(v[i]);
	return k;
}

static void run(const ser_feat_opts *o, const uint8_t *sig, size_t nsig, int special)
{
	ser_error e;
	if (ser_feat_check(o, &e) < 0)
		return;
	size_t L = (size_t)ser_feat_frame_length(o), nb = (size_t)ser_feat_fft_size(o) / 2 + 1;
	if ((size_t)o->n_mels * nb > WORK_MAX || L * 64 > WORK_MAX ||
	    (size_t)ser_feat_fft_size(o) > WORK_MAX / 16)
		return;
	ser_fe *fe = ser_fe_new(o, &e);
	if (!fe) {
		if (e.code == SER_ENOMEM)
			return;
		fprintf(stderr, "ser_fe_new refused checked settings: %s\n", e.msg);
		abort();
	}
	size_t dim = ser_fe_dim(fe);
	if (dim != ser_feat_dim(o) || dim == 0)
		abort();
	/* a few hundred samples: from the input bytes, or a tone */
	size_t N = 64 + (nsig ? sig[0] : 0) * 4;   /* 64 .. 1084 samples */
	float *x = malloc(N * sizeof *x);
	for (size_t i = 0; i < N; i++) {
		if (nsig > 1)
			x[i] = ((float)sig[1 + i % (nsig - 1)] - 128.0f) / 128.0f;
		else
			x[i] = (float)(0.5 * sin(0.05 * (double)i));
	}
	if (special & 1)
		x[N / 2] = NAN;
	if (special & 2)
		x[N / 3] = INFINITY;
	if (special & 4)
		x[N / 4] = 1e30f;
	size_t cap = 4096, got = 0, bad = 0;
	float *out = malloc(cap * dim * sizeof *out);
	/* in uneven blocks, taking frames as they come */
	size_t off = 0, blk = 1 + (nsig > 2 ? sig[2] % 97 : 13);
	int rc = 0;
	while (off < N && rc == 0) {
		size_t k = N - off < blk ? N - off : blk;
		rc = ser_fe_accept(fe, x + off, k, &e);
		off += k;
		size_t r = ser_fe_get(fe, out, cap);
		bad += count_nonfinite(out, r * dim);
		got += r;
	}
	if (rc == 0)
		rc = ser_fe_finish(fe, &e);
	if (rc == 0) {
		size_t r;
		while ((r = ser_fe_get(fe, out, cap)) > 0) {
			bad += count_nonfinite(out, r * dim);
			got += r;
		}
		/* samples in [-1, 1] give finite features with every accepted setting
		 * (the feature writer refuses NaN/Inf) */
		if (bad && !(special & 4)) {
			fprintf(stderr, "%zu non-finite feature values from samples in [-1, 1]\n", bad);
			abort();
		}
		size_t want = frames_of(o, N);
		if (o->pool != SER_POOL_NONE)
			want = want ? 1 : 0;
		if (got != want) {
			fprintf(stderr, "%zu frames from %zu samples, the framing rule says %zu\n",
			        got, N, want);
			abort();
		}
		if (ser_fe_accept(fe, x, 1, &e) == 0)
			abort();                  /* accept after finish must be refused */
		ser_fe_reset(fe);
		if (ser_fe_accept(fe, x, N < 100 ? N : 100, &e) < 0 && e.code != SER_ENOMEM)
			abort();
	} else if (rc != SER_ENOMEM && !(rc == SER_EFORMAT && (special & 3))) {
		/* NaN/Inf samples are refused (SER_EFORMAT); nothing else may fail */
		fprintf(stderr, "front end failed: %s\n", e.msg);
		abort();
	}
	free(out);
	free(x);
	ser_fe_free(fe);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 8192)
		return 0;
	ser_feat_opts o, p;
	ser_error e;
	ser_feat_preset(&o, ser_feat_presets[data[0] & 3], &e);
	int special = data[0] >> 5;
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	/* ser_feat_set, line by line */
	for (char *line = text, *nl; line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		ser_feat_opts before = o;
		if (ser_feat_set(&o, line, eq + 1, &e) < 0) {
			if (memcmp(&before, &o, sizeof o) != 0)
				abort();                  /* a refused value must leave o unchanged */
			if (e.code != SER_EINVAL || e.msg[0] == '\0')
				abort();
		}
		*eq = '=';
		if (nl)
			nl[-1] = '\n';
	}
	roundtrip(&o);
	run(&o, data + 1, size - 1, special);
	/* the same text as a settings text */
	if (ser_feat_parse_settings(&p, text, &e) == 0) {
		roundtrip(&p);
		run(&p, data + 1, size - 1, special);
	}
	free(text);
	return 0;
}
