/* MFCC front end of libser: settings, presets, and a streaming feature
 * extractor (accept samples, frames ready, get, finish).
 *
 * Pipeline per frame (ref: Kaldi feature-window.cc ProcessWindow,
 * feature-mfcc.cc; librosa 0.10 feature.mfcc; HTK book ch. 5):
 *   samples * scale -> frame (edge policy) -> dither -> remove DC
 *   -> raw log energy -> pre-emphasis -> window -> windowed log energy
 *   -> |FFT|^2 or |FFT| -> mel filterbank -> log (ln or dB, floored)
 *   -> [top-dB floor, utterance-wide] -> DCT-II -> lifter -> energy in C0
 *   -> [CMVN] -> [deltas] -> [pool, one vector per utterance].
 *
 * Framing rule (N samples, frame length L, shift S, all in samples):
 *   edge=snip:          frames = N < L ? 0 : 1 + (N - L) / S;
 *                       frame t covers samples t*S ... t*S + L - 1.
 *   edge=zero|reflect:  pad = L / 2;
 *                       frames = N == 0 ? 0 : 1 + (N + 2*pad - L) / S
 *                       (= 1 + N / S for even L, as librosa center=True);
 *                       frame t covers samples t*S - pad ... t*S - pad + L - 1;
 *                       samples outside 0..N-1 are 0 (zero) or mirrored
 *                       without repeating the edge sample (reflect, numpy
 *                       "reflect", repeated as often as needed; N == 1
 *                       repeats the one sample).
 * Streaming delays: a frame is ready once its last sample (and, for
 * reflect, the mirrored samples) has arrived; centred frames that reach
 * past the end wait for ser_fe_finish. Deltas delay by deltas *
 * delta-window frames. Sliding CMVN is causal (no delay). Utterance-wide
 * stages hold the utterance in memory (top-db > 0: its log mel frames;
 * cmvn=utterance: its cepstra) or only sums (pool != none): with any of
 * them ser_fe_ready() stays 0 until ser_fe_finish(). Otherwise memory is
 * constant on an unbounded stream, provided frames are taken as they come.
 */
#ifndef SER_MFCC_H
#define SER_MFCC_H

#include <stddef.h>
#include "ser.h"

enum ser_fe_edge { SER_EDGE_SNIP = 0, SER_EDGE_ZERO = 1, SER_EDGE_REFLECT = 2 };
enum ser_fe_window {
	SER_WIN_HANN = 0,       /* periodic: 0.5 - 0.5 cos(2 pi n / L) (scipy fftbins, librosa) */
	SER_WIN_HANN_SYM = 1,   /* symmetric: 0.5 - 0.5 cos(2 pi n / (L-1)) (Kaldi "hanning") */
	SER_WIN_HAMMING = 2,    /* symmetric: 0.54 - 0.46 cos(2 pi n / (L-1)) (HTK, Kaldi) */
	SER_WIN_POVEY = 3,      /* symmetric Hann ^ 0.85 (Kaldi) */
	SER_WIN_RECT = 4,
	SER_WIN_BLACKMAN = 5    /* symmetric, 0.42 - 0.5 cos x + 0.08 cos 2x (Kaldi) */
};
enum ser_fe_spectrum { SER_SPEC_POWER = 0, SER_SPEC_MAGNITUDE = 1 };
enum ser_fe_melscale { SER_MEL_HTK = 0, SER_MEL_SLANEY = 1 };
enum ser_fe_melshape { SER_SHAPE_MEL = 0, SER_SHAPE_HZ = 1 };
enum ser_fe_melnorm { SER_MELNORM_NONE = 0, SER_MELNORM_SLANEY = 1 };
enum ser_fe_log { SER_LOG_LN = 0, SER_LOG_DB = 1 };
enum ser_fe_dct { SER_DCT_ORTHO = 0, SER_DCT_HTK = 1, SER_DCT_NONE = 2 };
enum ser_fe_energy { SER_ENERGY_NONE = 0, SER_ENERGY_RAW = 1, SER_ENERGY_WINDOWED = 2 };
enum ser_fe_c0 { SER_C0_FIRST = 0, SER_C0_LAST = 1 };
/* SER_CMVN_SPEAKER: over all the utterances of each speaker, applied by
 * ser-mfcc to the output frames (lib/spkcmvn.h); ser_fe_new refuses it. */
enum ser_fe_cmvn { SER_CMVN_NONE = 0, SER_CMVN_UTTERANCE = 1, SER_CMVN_SLIDING = 2, SER_CMVN_SPEAKER = 3 };
enum ser_fe_pool { SER_POOL_NONE = 0, SER_POOL_MEAN = 1, SER_POOL_MEANSTD = 2 };

/* Every parameter of the front end. Keys (ser_feat_set, the settings text,
 * ser-mfcc long options) in brackets. Fill with ser_feat_preset. */
typedef struct ser_feat_opts {
	int rate;              /* [rate] sample rate, Hz, 1000..384000 */
	double scale;          /* [scale] samples in [-1,1) are multiplied by this (Kaldi, HTK: 32768) */
	double dither;         /* [dither] Gaussian dither std dev in scaled units, 0 = off */
	unsigned long seed;    /* [seed] dither RNG seed */
	int frame_length;      /* [frame-length] samples (used when frame_length_s == 0) */
	double frame_length_s; /* seconds ("25ms"); > 0 overrides frame_length: round(s * rate) */
	int frame_shift;       /* [frame-shift] samples */
	double frame_shift_s;  /* seconds; > 0 overrides frame_shift */
	int edge;              /* [edge] enum ser_fe_edge */
	int fft_size;          /* [fft-size] points, >= frame length; 0 = next power of two */
	int remove_dc;         /* [remove-dc] 0|1: subtract the frame mean (Kaldi) */
	double preemph;        /* [preemph] 0..1, per frame: x[i] -= k x[i-1], x[0] -= k x[0] */
	int window;            /* [window] enum ser_fe_window */
	int spectrum;          /* [spectrum] enum ser_fe_spectrum */
	int n_mels;            /* [n-mels] filters, 1..1024 */
	double low_freq;       /* [low-freq] Hz, >= 0 */
	double high_freq;      /* [high-freq] Hz; <= 0: offset from Nyquist (Kaldi) */
	int mel_scale;         /* [mel-scale] enum ser_fe_melscale */
	int mel_shape;         /* [mel-shape] triangles linear in mel (Kaldi, HTK) or in Hz (librosa) */
	int mel_norm;          /* [mel-norm] enum ser_fe_melnorm (slaney: 2 / width in Hz) */
	int log;               /* [log] enum ser_fe_log: ln(x) or 10 log10(x) */
	double log_floor;      /* [log-floor] filter outputs below this are raised to it, > 0 */
	double top_db;         /* [top-db] dB below the utterance maximum to floor at, 0 = off (log=db) */
	int dct;               /* [dct] enum ser_fe_dct; none outputs the log mel energies */
	int n_ceps;            /* [n-ceps] cepstra kept (C0 included), 1..n-mels */
	double lifter;         /* [lifter] Q of 1 + Q/2 sin(pi n / Q), 0 = off */
	int energy;            /* [energy] enum ser_fe_energy: log energy replaces C0 */
	double energy_floor;   /* [energy-floor] floor of the energy (not log), 0 = none */
	int c0;                /* [c0] enum ser_fe_c0: C0 first, or last (HTK _0) */
	int cmvn;              /* [cmvn] enum ser_fe_cmvn */
	int cmvn_vars;         /* [cmvn-vars] 0|1: also divide by the std deviation */
	int cmvn_window;       /* [cmvn-window] frames of causal sliding CMVN, 1..1000000 */
	int deltas;            /* [deltas] 0..2 orders of regression coefficients appended */
	int delta_window;      /* [delta-window] K of the regression, 1..100 */
	int pool;              /* [pool] enum ser_fe_pool: one vector per utterance */
} ser_feat_opts;

/* Names of the presets, NULL-terminated: ser, librosa, kaldi, htk. */
extern const char *const ser_feat_presets[];
/* Sets every field from preset `name`. SER_EINVAL for an unknown name. */
int ser_feat_preset(ser_feat_opts *o, const char *name, ser_error *err);
/* Sets one parameter by its key from text; checks type and range of the
 * one value (cross-field checks are in ser_feat_check). SER_EINVAL with a
 * message naming the key on failure, o unchanged. Floats are rounded to
 * 9 significant digits so that the settings text states them exactly. */
int ser_feat_set(ser_feat_opts *o, const char *key, const char *value, ser_error *err);
/* The keys in canonical order, NULL-terminated; and a one-line help
 * ("TYPE, RANGE: meaning") for a key, or NULL. */
extern const char *const ser_feat_keys[];
const char *ser_feat_key_help(const char *key);
/* Effective values after resolving seconds, fft-size 0 and high-freq <= 0. */
int ser_feat_frame_length(const ser_feat_opts *o);   /* samples */
int ser_feat_frame_shift(const ser_feat_opts *o);    /* samples */
int ser_feat_fft_size(const ser_feat_opts *o);       /* points */
double ser_feat_high_freq(const ser_feat_opts *o);   /* Hz */
/* Cross-field validation (high-freq <= Nyquist, fft-size >= frame length,
 * n-ceps <= n-mels, ...). */
int ser_feat_check(const ser_feat_opts *o, ser_error *err);
/* 0 when frames of these settings can be taken back to mel filter powers
 * exactly: power spectrum, log ln or db, dct none (log mel) or ortho with
 * n-ceps = n-mels and C0 first, and no lifter, energy, CMVN, top-db,
 * deltas or pooling; else SER_EINVAL naming the first obstacle. */
int ser_feat_invertible(const ser_feat_opts *o, ser_error *err);
/* Values per output frame (after deltas and pooling). */
size_t ser_feat_dim(const ser_feat_opts *o);

/* Canonical settings text: "key=value" for every key in canonical order,
 * separated by single spaces, effective values, floats as %.9g. Returns
 * the length it needs (like snprintf); buf may be NULL with n 0. */
size_t ser_feat_settings_text(const ser_feat_opts *o, char *buf, size_t n);
/* Parses a settings text (keys missing from it keep the ser preset's
 * values). SER_EINVAL on an unknown key or bad value. */
int ser_feat_parse_settings(ser_feat_opts *o, const char *text, ser_error *err);
/* Compares settings texts a and b key by key; writes the differences as
 * "KEY: VA NAME_A, VB NAME_B; ..." (e.g. "n-mels: 40 here, 23 in the
 * model") into buf (truncated to n). Returns the number of differing keys. */
int ser_feat_settings_diff(const char *a, const char *b, const char *name_a,
                           const char *name_b, char *buf, size_t n);

/* ---- what a feature frame holds: one description, derived from the
 * settings, for the voice-activity detector, augmentation, the model's
 * input and the trainer ---- */
typedef struct ser_frame_layout {
	int dim;                /* values per frame (ser_feat_dim) */
	int n_mels;
	int dct;                /* enum ser_fe_dct of the cepstra, SER_DCT_NONE: log mels */
	/* the frame's log energy: k * mean of values [energy_first, +energy_count)
	 * in dB, less scale_db (20 log10 of the sample scale) for full scale:
	 * C0 (at 0, or n_ceps - 1 with c0 last) with energy or a DCT, else the
	 * mean of the log mel energies */
	int energy_first, energy_count;
	double energy_k;        /* dB per unit of that mean */
	double scale_db;
	int absolute;           /* 0: CMVN or pooling took the absolute level away */
	int invertible;         /* frames go back to log mel energies (ser_feat_invertible) */
	int cepstra;            /* invertible through the orthonormal DCT (ser_dct_ortho_matrix) */
} ser_frame_layout;
void ser_frame_layout_of(const ser_feat_opts *o, ser_frame_layout *l);

/* ---- conversions used by the front end (exposed for tests) ---- */
double ser_hz_to_mel(double hz, int scale);   /* enum ser_fe_melscale */
double ser_mel_to_hz(double mel, int scale);
/* Coefficient (k, m) of the DCT-II of n points, kind SER_DCT_ORTHO
 * (orthonormal: row 0 scaled sqrt(1/n), the others sqrt(2/n)) or SER_DCT_HTK
 * (sqrt(2/n) every row): c_k = sum_m coef(k, m) l_m. The one definition the
 * front end, the model's inverse DCT and augmentation use. ref: Kaldi
 * matrix-functions.cc ComputeDctMatrix, HTK HSigP.c FBank2MFCC. */
double ser_dct_coef(int kind, int n, int k, int m);
/* The orthonormal (n, n) matrix in floats; its inverse is its transpose. */
void ser_dct_ortho_matrix(float *d, int n);
/* Window of length L (enum ser_fe_window) into w. */
void ser_window_fill(float *w, int L, int type);

/* ---- the streaming front end ---- */
typedef struct ser_fe ser_fe;
/* Validates o and precomputes FFT plan, window, filterbank, DCT. */
ser_fe *ser_fe_new(const ser_feat_opts *o, ser_error *err);
/* Appends n samples in [-1, 1) at the settings' rate; computes the frames
 * they complete. Allocates only where an utterance-wide stage holds the
 * utterance (or when frames pile up without ser_fe_get). */
int ser_fe_accept(ser_fe *fe, const float *x, size_t n, ser_error *err);
/* Frames ready to take. */
size_t ser_fe_ready(const ser_fe *fe);
/* Copies up to nmax ready frames (dim floats each) to out, removes them,
 * returns the count. */
size_t ser_fe_get(ser_fe *fe, float *out, size_t nmax);
/* End of the utterance: computes edge frames and utterance-wide stages.
 * Further accepts are an error until ser_fe_reset. */
int ser_fe_finish(ser_fe *fe, ser_error *err);
/* A whole utterance at once: accepts x (n samples) into fe (new or
 * reset), finishes, and takes every frame into *out (malloc, (*nf, dim),
 * room for at least one frame; the caller frees it). On error *out is
 * NULL and *nf 0. */
int ser_fe_utterance(ser_fe *fe, const float *x, size_t n, float **out, size_t *nf,
                     ser_error *err);
/* Ready for the next utterance (untaken frames are dropped); keeps plans. */
void ser_fe_reset(ser_fe *fe);
size_t ser_fe_dim(const ser_fe *fe);
/* Frames produced so far in this utterance (before pooling). */
size_t ser_fe_frames(const ser_fe *fe);
const ser_feat_opts *ser_fe_opts(const ser_fe *fe);
/* Weights of mel filter m (0..n-mels-1) over FFT bins first..first+len-1
 * (bin k is k * rate / fft-size Hz), for tests and inspection. */
const float *ser_fe_filter(const ser_fe *fe, int m, int *first, int *len);
void ser_fe_free(ser_fe *fe);

#endif
