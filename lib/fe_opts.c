/* Front-end settings: presets, set by key, validation, canonical text. */
#include "mfcc.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T_INT, T_DBL, T_ENUM, T_BOOL, T_LEN, T_SEED };

static const char *const edge_names[] = { "snip", "zero", "reflect", NULL };
static const char *const window_names[] = { "hann", "hann-sym", "hamming", "povey",
	"rectangular", "blackman", NULL };
static const char *const spectrum_names[] = { "power", "magnitude", NULL };
static const char *const melscale_names[] = { "htk", "slaney", NULL };
static const char *const melshape_names[] = { "mel", "hz", NULL };
static const char *const melnorm_names[] = { "none", "slaney", NULL };
static const char *const log_names[] = { "ln", "db", NULL };
static const char *const dct_names[] = { "ortho", "htk", "none", NULL };
static const char *const energy_names[] = { "none", "raw", "windowed", NULL };
static const char *const c0_names[] = { "first", "last", NULL };
static const char *const cmvn_names[] = { "none", "utterance", "sliding", "speaker", NULL };
static const char *const pool_names[] = { "none", "mean", "meanstd", NULL };

struct key {
	const char *name;
	int type;
	size_t off;                 /* of the int/double/unsigned long field */
	size_t off_s;               /* T_LEN: of the seconds field */
	double lo, hi;              /* range of T_INT, T_DBL, T_LEN (samples) */
	const char *const *names;   /* T_ENUM */
	const char *help;
};

#define F(f) offsetof(ser_feat_opts, f)
static const struct key keys[] = {
	{ "rate", T_INT, F(rate), 0, 1000, 384000, NULL, "integer Hz, 1000..384000: sample rate analysed" },
	{ "scale", T_DBL, F(scale), 0, 1e-30, 1e30, NULL, "number > 0: samples in [-1,1) are multiplied by it (kaldi, htk: 32768)" },
	{ "dither", T_DBL, F(dither), 0, 0, 1e30, NULL, "number >= 0: Gaussian dither std dev in scaled units, 0 = off" },
	{ "seed", T_SEED, F(seed), 0, 0, 4294967295.0, NULL, "integer 0..4294967295: dither seed" },
	{ "frame-length", T_LEN, F(frame_length), F(frame_length_s), 1, 1 << 20, NULL, "samples 1..1048576, or seconds with suffix ms or s: analysis frame" },
	{ "frame-shift", T_LEN, F(frame_shift), F(frame_shift_s), 1, 1 << 20, NULL, "samples 1..1048576, or seconds with suffix ms or s: frame step" },
	{ "edge", T_ENUM, F(edge), 0, 0, 0, edge_names, "snip|zero|reflect: snip = frames inside the signal; zero/reflect = centred frames, padded" },
	{ "fft-size", T_INT, F(fft_size), 0, 0, 1 << 20, NULL, "points >= frame length, 0 = next power of two" },
	{ "remove-dc", T_BOOL, F(remove_dc), 0, 0, 1, NULL, "0|1: subtract the frame mean" },
	{ "preemph", T_DBL, F(preemph), 0, 0, 1, NULL, "number 0..1: pre-emphasis coefficient, 0 = off" },
	{ "window", T_ENUM, F(window), 0, 0, 0, window_names, "hann|hann-sym|hamming|povey|rectangular|blackman (hann is periodic)" },
	{ "spectrum", T_ENUM, F(spectrum), 0, 0, 0, spectrum_names, "power|magnitude" },
	{ "n-mels", T_INT, F(n_mels), 0, 1, 1024, NULL, "integer 1..1024: mel filters" },
	{ "low-freq", T_DBL, F(low_freq), 0, 0, 1e6, NULL, "Hz >= 0: lowest filter edge" },
	{ "high-freq", T_DBL, F(high_freq), 0, -1e6, 1e6, NULL, "Hz <= Nyquist: highest filter edge; <= 0: offset from Nyquist" },
	{ "mel-scale", T_ENUM, F(mel_scale), 0, 0, 0, melscale_names, "htk|slaney: htk = 1127 ln(1 + f/700)" },
	{ "mel-shape", T_ENUM, F(mel_shape), 0, 0, 0, melshape_names, "mel|hz: triangles linear in mel (kaldi, htk) or in Hz (librosa)" },
	{ "mel-norm", T_ENUM, F(mel_norm), 0, 0, 0, melnorm_names, "none|slaney: slaney scales each filter by 2 / width in Hz" },
	{ "log", T_ENUM, F(log), 0, 0, 0, log_names, "ln|db: natural log or 10 log10" },
	{ "log-floor", T_DBL, F(log_floor), 0, 1e-300, 1e300, NULL, "number > 0: filter outputs are raised to it before the log" },
	{ "top-db", T_DBL, F(top_db), 0, 0, 1e6, NULL, "dB >= 0: floor at utterance maximum minus this (log db only; holds the utterance), 0 = off" },
	{ "dct", T_ENUM, F(dct), 0, 0, 0, dct_names, "ortho|htk|none: orthonormal DCT-II, HTK's sqrt(2/N) for all, or log mel energies" },
	{ "n-ceps", T_INT, F(n_ceps), 0, 1, 1024, NULL, "integer 1..n-mels: cepstra kept, C0 included" },
	{ "lifter", T_DBL, F(lifter), 0, 0, 1e6, NULL, "number >= 0: cepstral lifter Q, 0 = off" },
	{ "energy", T_ENUM, F(energy), 0, 0, 0, energy_names, "none|raw|windowed: log frame energy (before pre-emphasis, or after the window) replaces C0" },
	{ "energy-floor", T_DBL, F(energy_floor), 0, 0, 1e300, NULL, "number >= 0: floor of the frame energy, 0 = none" },
	{ "c0", T_ENUM, F(c0), 0, 0, 0, c0_names, "first|last: position of C0 (last as HTK _0)" },
	{ "cmvn", T_ENUM, F(cmvn), 0, 0, 0, cmvn_names, "none|utterance|sliding|speaker: mean normalisation (utterance holds it; sliding is causal; speaker: over each speaker's utterances, ser-mfcc --utt2spk)" },
	{ "cmvn-vars", T_BOOL, F(cmvn_vars), 0, 0, 1, NULL, "0|1: also variance normalisation" },
	{ "cmvn-window", T_INT, F(cmvn_window), 0, 1, 1000000, NULL, "frames 1..1000000: sliding CMVN window (this frame and earlier ones)" },
	{ "deltas", T_INT, F(deltas), 0, 0, 2, NULL, "integer 0..2: delta orders appended" },
	{ "delta-window", T_INT, F(delta_window), 0, 1, 100, NULL, "frames 1..100: regression half-width K" },
	{ "pool", T_ENUM, F(pool), 0, 0, 0, pool_names, "none|mean|meanstd: one vector per utterance (holds it)" },
};
#undef F
#define NKEYS (sizeof keys / sizeof keys[0])

const char *const ser_feat_keys[] = {
	"rate", "scale", "dither", "seed", "frame-length", "frame-shift", "edge", "fft-size",
	"remove-dc", "preemph", "window", "spectrum", "n-mels", "low-freq", "high-freq",
	"mel-scale", "mel-shape", "mel-norm", "log", "log-floor", "top-db", "dct", "n-ceps",
	"lifter", "energy", "energy-floor", "c0", "cmvn", "cmvn-vars", "cmvn-window", "deltas",
	"delta-window", "pool", NULL
};

const char *const ser_feat_presets[] = { "ser", "librosa", "kaldi", "htk", NULL };

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

const char *ser_feat_key_help(const char *key)
{
	const struct key *k = find_key(key);
	return k ? k->help : NULL;
}

int ser_feat_preset(ser_feat_opts *o, const char *name, ser_error *err)
{
	ser_feat_opts d;
	memset(&d, 0, sizeof d);
	/* common ground: the ser preset */
	d.rate = 16000;
	d.scale = 1;
	d.dither = 0;
	d.seed = 0;
	d.frame_length = 400;
	d.frame_shift = 160;
	d.edge = SER_EDGE_SNIP;
	d.fft_size = 512;
	d.remove_dc = 0;
	d.preemph = 0.97;
	d.window = SER_WIN_HAMMING;
	d.spectrum = SER_SPEC_POWER;
	d.n_mels = 40;
	d.low_freq = 20;
	d.high_freq = 7600;
	d.mel_scale = SER_MEL_HTK;
	d.mel_shape = SER_SHAPE_MEL;
	d.mel_norm = SER_MELNORM_NONE;
	d.log = SER_LOG_LN;
	d.log_floor = 1e-10;
	d.top_db = 0;
	d.dct = SER_DCT_ORTHO;
	d.n_ceps = 40;
	d.lifter = 0;
	d.energy = SER_ENERGY_NONE;
	d.energy_floor = 0;
	d.c0 = SER_C0_FIRST;
	d.cmvn = SER_CMVN_NONE;
	d.cmvn_vars = 0;
	d.cmvn_window = 600;
	d.deltas = 0;
	d.delta_window = 2;
	d.pool = SER_POOL_NONE;
	if (strcmp(name, "ser") == 0) {
		/* as above */
	} else if (strcmp(name, "librosa") == 0) {
		/* ref: librosa 0.10 feature.mfcc(y, sr=22050, n_mfcc=40) */
		d.rate = 22050;
		d.frame_length = 2048;
		d.frame_shift = 512;
		d.edge = SER_EDGE_ZERO;
		d.fft_size = 2048;
		d.preemph = 0;
		d.window = SER_WIN_HANN;
		d.n_mels = 128;
		d.low_freq = 0;
		d.high_freq = 0;
		d.mel_scale = SER_MEL_SLANEY;
		d.mel_shape = SER_SHAPE_HZ;
		d.mel_norm = SER_MELNORM_SLANEY;
		d.log = SER_LOG_DB;
		d.log_floor = 1e-10;
		d.top_db = 80;
		d.n_ceps = 40;
	} else if (strcmp(name, "kaldi") == 0) {
		/* ref: Kaldi compute-mfcc-feats defaults (feature-mfcc.h,
		 * feature-window.h), dither 0 */
		d.scale = 32768;
		d.frame_length_s = 0.025;
		d.frame_shift_s = 0.010;
		d.fft_size = 0;
		d.remove_dc = 1;
		d.window = SER_WIN_POVEY;
		d.n_mels = 23;
		d.low_freq = 20;
		d.high_freq = 0;
		d.log_floor = FLT_EPSILON;
		d.n_ceps = 13;
		d.lifter = 22;
		d.energy = SER_ENERGY_RAW;
	} else if (strcmp(name, "htk") == 0) {
		/* ref: the HTK Book tutorial's config ("Coding the Data", not the
		 * defaults table): TARGETKIND=MFCC_0, WINDOWSIZE 25 ms,
		 * TARGETRATE 10 ms, PREEMCOEF 0.97, USEHAMMING T, NUMCHANS 26,
		 * NUMCEPS 12, CEPLIFTER 22, USEPOWER F, mel floor 1.0 */
		d.scale = 32768;
		d.frame_length_s = 0.025;
		d.frame_shift_s = 0.010;
		d.fft_size = 0;
		d.window = SER_WIN_HAMMING;
		d.spectrum = SER_SPEC_MAGNITUDE;
		d.n_mels = 26;
		d.low_freq = 0;
		d.high_freq = 0;
		d.log_floor = 1;
		d.dct = SER_DCT_HTK;
		d.n_ceps = 13;
		d.lifter = 22;
		d.c0 = SER_C0_LAST;
	} else {
		return ser_seterr(err, SER_EINVAL, "unknown preset '%s' (ser, librosa, kaldi, htk)", name);
	}
	*o = d;
	return 0;
}

static double round9(double v)
{
	char b[40];
	snprintf(b, sizeof b, "%.9g", v);
	return strtod(b, NULL);
}

static int parse_double(const char *s, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	return end != s && *end == '\0' && errno != ERANGE && isfinite(*v);
}

int ser_feat_set(ser_feat_opts *o, const char *key, const char *value, ser_error *err)
{
	const struct key *k = find_key(key);
	char *p = (char *)o;
	double v;
	if (!k)
		return ser_seterr(err, SER_EINVAL, "unknown setting '%s'", key);
	switch (k->type) {
	case T_INT:
	case T_SEED: {
		char *end;
		long long l;
		errno = 0;
		l = strtoll(value, &end, 10);
		if (end == value || *end != '\0' || errno == ERANGE)
			return ser_seterr(err, SER_EINVAL, "%s: '%s' is not an integer", key, value);
		if (l < k->lo || l > k->hi)
			return ser_seterr(err, SER_EINVAL, "%s: %lld is out of range [%.0f, %.0f]",
			                  key, l, k->lo, k->hi);
		if (k->type == T_SEED)
			*(unsigned long *)(p + k->off) = (unsigned long)l;
		else
			*(int *)(p + k->off) = (int)l;
		return 0;
	}
	case T_DBL:
		if (!parse_double(value, &v))
			return ser_seterr(err, SER_EINVAL, "%s: '%s' is not a number", key, value);
		if (v < k->lo || v > k->hi)
			return ser_seterr(err, SER_EINVAL, "%s: %g is out of range [%g, %g]", key, v, k->lo, k->hi);
		*(double *)(p + k->off) = round9(v);
		return 0;
	case T_BOOL:
		if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes"))
			*(int *)(p + k->off) = 1;
		else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no"))
			*(int *)(p + k->off) = 0;
		else
			return ser_seterr(err, SER_EINVAL, "%s: '%s' is not 0 or 1", key, value);
		return 0;
	case T_ENUM:
		for (int i = 0; k->names[i]; i++)
			if (strcmp(value, k->names[i]) == 0) {
				*(int *)(p + k->off) = i;
				return 0;
			}
		{
			char list[160] = "";
			for (int i = 0; k->names[i]; i++) {
				if (i)
					strcat(list, "|");
				strcat(list, k->names[i]);
			}
			return ser_seterr(err, SER_EINVAL, "%s: '%s' is not one of %s", key, value, list);
		}
	case T_LEN: {
		char num[64];
		size_t len = strlen(value);
		double mul = 0;
		if (len > 2 && !strcmp(value + len - 2, "ms"))
			mul = 1e-3, len -= 2;
		else if (len > 1 && value[len - 1] == 's')
			mul = 1, len -= 1;
		if (mul == 0) {
			char *end;
			long l;
			errno = 0;
			l = strtol(value, &end, 10);
			if (end == value || *end != '\0' || errno == ERANGE)
				return ser_seterr(err, SER_EINVAL, "%s: '%s' is not a number of samples (or seconds with ms or s)", key, value);
			if (l < k->lo || l > k->hi)
				return ser_seterr(err, SER_EINVAL, "%s: %ld is out of range [%.0f, %.0f] samples", key, l, k->lo, k->hi);
			*(int *)(p + k->off) = (int)l;
			*(double *)(p + k->off_s) = 0;
			return 0;
		}
		if (len >= sizeof num)
			return ser_seterr(err, SER_EINVAL, "%s: '%s' is too long", key, value);
		memcpy(num, value, len);
		num[len] = '\0';
		if (!parse_double(num, &v))
			return ser_seterr(err, SER_EINVAL, "%s: '%s' is not a duration", key, value);
		v *= mul;
		if (!(v > 0 && v <= 10))
			return ser_seterr(err, SER_EINVAL, "%s: %s is out of range (0, 10 s]", key, value);
		*(double *)(p + k->off_s) = round9(v);
		return 0;
	}
	}
	return ser_seterr(err, SER_EINVAL, "%s: bad setting type", key);
}

int ser_feat_frame_length(const ser_feat_opts *o)
{
	return o->frame_length_s > 0 ? (int)lround(o->frame_length_s * o->rate) : o->frame_length;
}

int ser_feat_frame_shift(const ser_feat_opts *o)
{
	return o->frame_shift_s > 0 ? (int)lround(o->frame_shift_s * o->rate) : o->frame_shift;
}

int ser_feat_fft_size(const ser_feat_opts *o)
{
	int L = ser_feat_frame_length(o), n = 1;
	if (o->fft_size > 0)
		return o->fft_size;
	while (n < L && n < (1 << 21))
		n *= 2;
	return n;
}

double ser_feat_high_freq(const ser_feat_opts *o)
{
	return o->high_freq > 0 ? o->high_freq : o->rate / 2.0 + o->high_freq;
}

size_t ser_feat_dim(const ser_feat_opts *o)
{
	size_t d = o->dct == SER_DCT_NONE ? (size_t)o->n_mels : (size_t)o->n_ceps;
	d *= (size_t)(1 + o->deltas);
	if (o->pool == SER_POOL_MEANSTD)
		d *= 2;
	return d;
}

int ser_feat_check(const ser_feat_opts *o, ser_error *err)
{
	int L = ser_feat_frame_length(o), S = ser_feat_frame_shift(o), N = ser_feat_fft_size(o);
	double nyq = o->rate / 2.0, hi = ser_feat_high_freq(o);
	if (o->rate < 1000 || o->rate > 384000)
		return ser_seterr(err, SER_EINVAL, "rate: %d Hz is out of range [1000, 384000]", o->rate);
	if (L < 1 || L > (1 << 20))
		return ser_seterr(err, SER_EINVAL, "frame-length: %d samples is out of range [1, 1048576]", L);
	if (S < 1 || S > (1 << 20))
		return ser_seterr(err, SER_EINVAL, "frame-shift: %d samples is out of range [1, 1048576]", S);
	if (N < L)
		return ser_seterr(err, SER_EINVAL, "fft-size %d is smaller than frame-length %d", N, L);
	if (N > (1 << 21))
		return ser_seterr(err, SER_EINVAL, "fft-size %d is too large", N);
	if (hi > nyq + 1e-9)
		return ser_seterr(err, SER_EINVAL, "high-freq %g Hz is above the Nyquist frequency %g Hz (rate %d)",
		                  hi, nyq, o->rate);
	if (hi <= 0)
		return ser_seterr(err, SER_EINVAL, "high-freq %g Hz (from %g) is not above 0", hi, o->high_freq);
	if (o->low_freq < 0 || o->low_freq >= hi)
		return ser_seterr(err, SER_EINVAL, "low-freq %g Hz is not below high-freq %g Hz", o->low_freq, hi);
	if (o->n_mels < 1 || o->n_mels > 1024)
		return ser_seterr(err, SER_EINVAL, "n-mels: %d is out of range [1, 1024]", o->n_mels);
	if (o->dct != SER_DCT_NONE && (o->n_ceps < 1 || o->n_ceps > o->n_mels))
		return ser_seterr(err, SER_EINVAL, "n-ceps %d is not in [1, n-mels %d]", o->n_ceps, o->n_mels);
	if (!(o->scale > 0) || o->dither < 0 || !(o->log_floor > 0) || o->top_db < 0 ||
	    o->lifter < 0 || o->energy_floor < 0 || o->preemph < 0 || o->preemph > 1)
		return ser_seterr(err, SER_EINVAL, "a setting is out of range (scale, dither, log-floor, top-db, lifter, energy-floor or preemph)");
	if (o->top_db > 0 && o->log != SER_LOG_DB)
		return ser_seterr(err, SER_EINVAL, "top-db needs log=db");
	if (o->dct == SER_DCT_NONE && (o->lifter != 0 || o->energy != SER_ENERGY_NONE || o->c0 != SER_C0_FIRST))
		return ser_seterr(err, SER_EINVAL, "dct=none: lifter, energy and c0 need a DCT");
	if (o->deltas < 0 || o->deltas > 2 || o->delta_window < 1 || o->delta_window > 100)
		return ser_seterr(err, SER_EINVAL, "deltas 0..2 and delta-window 1..100");
	if (o->cmvn == SER_CMVN_SPEAKER && (o->deltas || o->pool != SER_POOL_NONE))
		return ser_seterr(err, SER_EINVAL, "cmvn=speaker needs deltas 0 and pool none (it normalises the "
		                  "output frames over each speaker's utterances)");
	if (o->cmvn_window < 1 || o->cmvn_window > 1000000)
		return ser_seterr(err, SER_EINVAL, "cmvn-window: %d is out of range [1, 1000000]", o->cmvn_window);
	if ((unsigned)o->edge > 2 || (unsigned)o->window > 5 || (unsigned)o->spectrum > 1 ||
	    (unsigned)o->mel_scale > 1 || (unsigned)o->mel_shape > 1 || (unsigned)o->mel_norm > 1 ||
	    (unsigned)o->log > 1 || (unsigned)o->dct > 2 || (unsigned)o->energy > 2 ||
	    (unsigned)o->c0 > 1 || (unsigned)o->cmvn > 3 || (unsigned)o->pool > 2)
		return ser_seterr(err, SER_EINVAL, "a choice setting has an unknown value");
	return 0;
}

/* The value of key k as canonical text. */
static void value_text(const ser_feat_opts *o, const struct key *k, char *b, size_t n)
{
	const char *p = (const char *)o;
	if (!strcmp(k->name, "frame-length"))
		snprintf(b, n, "%d", ser_feat_frame_length(o));
	else if (!strcmp(k->name, "frame-shift"))
		snprintf(b, n, "%d", ser_feat_frame_shift(o));
	else if (!strcmp(k->name, "fft-size"))
		snprintf(b, n, "%d", ser_feat_fft_size(o));
	else if (!strcmp(k->name, "high-freq"))
		snprintf(b, n, "%.9g", ser_feat_high_freq(o));
	else if (k->type == T_INT || k->type == T_BOOL)
		snprintf(b, n, "%d", *(const int *)(p + k->off));
	else if (k->type == T_SEED)
		snprintf(b, n, "%lu", *(const unsigned long *)(p + k->off));
	else if (k->type == T_DBL)
		snprintf(b, n, "%.9g", *(const double *)(p + k->off));
	else {
		int i = *(const int *)(p + k->off), m = 0;
		while (k->names[m])
			m++;
		snprintf(b, n, "%s", i >= 0 && i < m ? k->names[i] : "?");
	}
}

size_t ser_feat_settings_text(const ser_feat_opts *o, char *buf, size_t n)
{
	size_t len = 0;
	char v[64];
	if (n)
		buf[0] = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		int m;
		value_text(o, &keys[i], v, sizeof v);
		m = snprintf(len < n ? buf + len : NULL, len < n ? n - len : 0, "%s%s=%s",
		             i ? " " : "", keys[i].name, v);
		if (m > 0)
			len += (size_t)m;
	}
	return len;
}

int ser_feat_parse_settings(ser_feat_opts *o, const char *text, ser_error *err)
{
	ser_feat_opts t;
	const char *s = text;
	ser_feat_preset(&t, "ser", NULL);
	while (*s) {
		char key[64], val[128];
		const char *tok, *eq;
		size_t kl, vl;
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		tok = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		eq = memchr(tok, '=', (size_t)(s - tok));
		if (!eq)
			return ser_seterr(err, SER_EINVAL, "settings: '%.*s' is not KEY=VALUE", (int)(s - tok), tok);
		kl = (size_t)(eq - tok);
		vl = (size_t)(s - eq - 1);
		if (kl >= sizeof key || vl >= sizeof val)
			return ser_seterr(err, SER_EINVAL, "settings: '%.40s' is too long", tok);
		memcpy(key, tok, kl);
		key[kl] = '\0';
		memcpy(val, eq + 1, vl);
		val[vl] = '\0';
		if (ser_feat_set(&t, key, val, err) < 0)
			return SER_EINVAL;
	}
	*o = t;
	return 0;
}

/* Finds "key=" as a whole token in text; returns the value and its length. */
static const char *lookup(const char *text, const char *key, size_t *vl)
{
	size_t kl = strlen(key);
	const char *s = text;
	while (*s) {
		const char *tok, *e;
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		tok = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		e = s;
		if ((size_t)(e - tok) > kl && !strncmp(tok, key, kl) && tok[kl] == '=') {
			*vl = (size_t)(e - tok - kl - 1);
			return tok + kl + 1;
		}
	}
	return NULL;
}

static void append(char *buf, size_t n, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static void append(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int m;
	if (*len >= n)
		return;
	va_start(ap, fmt);
	m = vsnprintf(buf + *len, n - *len, fmt, ap);
	va_end(ap);
	if (m > 0)
		*len = *len + (size_t)m < n ? *len + (size_t)m : n;
}

int ser_feat_settings_diff(const char *a, const char *b, const char *name_a,
                           const char *name_b, char *buf, size_t n)
{
	int ndiff = 0;
	size_t len = 0;
	if (n)
		buf[0] = '\0';
	/* keys of a (and known keys), then keys only in b */
	for (int pass = 0; pass < 2; pass++) {
		const char *src = pass ? b : a, *s = src;
		while (*s) {
			const char *tok, *eq, *va, *vb;
			size_t kl, la = 0, lb = 0;
			char key[64];
			while (*s == ' ' || *s == '\t' || *s == '\n')
				s++;
			if (!*s)
				break;
			tok = s;
			while (*s && *s != ' ' && *s != '\t' && *s != '\n')
				s++;
			eq = memchr(tok, '=', (size_t)(s - tok));
			kl = eq ? (size_t)(eq - tok) : (size_t)(s - tok);
			if (kl >= sizeof key)
				continue;
			memcpy(key, tok, kl);
			key[kl] = '\0';
			va = lookup(a, key, &la);
			vb = lookup(b, key, &lb);
			if (pass == 1 && va)
				continue;   /* already compared */
			if (va && vb && la == lb && !memcmp(va, vb, la))
				continue;
			append(buf, n, &len, "%s%s: %.*s %s, %.*s %s", ndiff ? "; " : "", key,
			       va ? (int)la : 6, va ? va : "(none)", name_a,
			       vb ? (int)lb : 6, vb ? vb : "(none)", name_b);
			ndiff++;
		}
	}
	return ndiff;
}

int ser_feat_invertible(const ser_feat_opts *f, ser_error *err)
{
	const char *why = NULL;
	if (f->pool != SER_POOL_NONE)
		why = "pooled features (pool)";
	else if (f->deltas)
		why = "deltas";
	else if (f->cmvn != SER_CMVN_NONE)
		why = "cmvn";
	else if (f->energy != SER_ENERGY_NONE)
		why = "energy in C0";
	else if (f->lifter != 0)
		why = "lifter";
	else if (f->top_db != 0)
		why = "top-db";
	else if (f->spectrum != SER_SPEC_POWER)
		why = "spectrum magnitude";
	else if (f->dct == SER_DCT_HTK)
		why = "dct htk";
	else if (f->dct == SER_DCT_ORTHO && f->n_ceps != f->n_mels)
		why = "n-ceps below n-mels";
	else if (f->dct == SER_DCT_ORTHO && f->c0 != SER_C0_FIRST)
		why = "c0 last";
	if (why)
		return ser_seterr(err, SER_EINVAL, "frames cannot be taken back to mel filter "
		                  "powers: these settings have %s (use dct ortho with n-ceps "
		                  "= n-mels, or dct none, and no lifter, energy, cmvn, top-db, deltas "
		                  "or pool)", why);
	return 0;
}
