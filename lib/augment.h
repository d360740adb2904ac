/* Augmentation of feature frames for training, as if the audio had been
 * changed before the front end: a gain change (with the noise floor of a
 * 16-bit recording under it), band-limiting through a lower-rate chain
 * (the resampler down to 8000 or 11025 Hz and back: telephone and
 * low-rate recordings), and additive white or pink noise at a random
 * signal-to-noise ratio.
 *
 * How: the frames are taken back to mel filter powers (inverse of the log
 * and, for cepstra, of the orthonormal DCT), changed there and taken
 * forward again. Noise and uncorrelated speech add in power, so adding the
 * filter powers of real noise frames (noise made here and run through the
 * same front end settings) is exact in expectation; the noise frames are
 * real realisations, so their frame-to-frame spread is too. A chain's band
 * gains are measured the same way (noise through the resampler, its filter
 * powers over the clean noise's). This needs settings whose frames can be
 * inverted: power spectrum, log ln or db, dct none (log mel) or ortho with
 * n-ceps = n-mels, C0 first, and no lifter, energy, CMVN, top-db, deltas
 * or pooling; the ser preset is such.
 *
 * SNR is the ratio of the crop's mean filter power (after any gain and
 * band change) to the noise's, in dB. */
#ifndef SER_AUGMENT_H
#define SER_AUGMENT_H

#include <stddef.h>
#include "ser.h"
#include "rng.h"

typedef struct ser_aug_opts {
	double noise_p, snr_lo, snr_hi;  /* additive noise: probability, SNR range in dB */
	double band_p;                   /* band-limiting: probability */
	double gain_p, gain_db;          /* gain: probability, down to -gain_db dB */
} ser_aug_opts;

/* Parses "none" or a comma-separated list of noise:P:LO:HI, band:P and
 * gain:P:DB (P 0..1, LO <= HI within -50..100 dB, DB 0..100), each kind
 * at most once; kinds not listed stay off. SER_EINVAL with a message. */
int ser_aug_parse(ser_aug_opts *o, const char *text, ser_error *err);
/* Canonical text of o (as parsed back), snprintf-like. */
size_t ser_aug_text(const ser_aug_opts *o, char *buf, size_t n);
/* 1 if any kind is on. */
int ser_aug_on(const ser_aug_opts *o);

typedef struct ser_aug ser_aug;
/* For frames of the given settings text (a feature stream's). Makes the
 * noise frames and band gains once (deterministic: no seed involved).
 * SER_EINVAL naming the setting when the frames cannot be inverted. */
ser_aug *ser_aug_new(const char *settings, const ser_aug_opts *o, ser_error *err);
void ser_aug_free(ser_aug *a);

/* One draw: which changes apply to a crop. */
typedef struct ser_aug_draw {
	double gain_db;   /* <= 0; 0 = no gain change */
	int band;         /* chain index, -1 = none */
	int noise;        /* 0 white, 1 pink, -1 none */
	double snr_db;
	int offset;       /* first noise frame used (cyclic) */
} ser_aug_draw;

/* Draws the changes for one crop from rng (also when nothing applies, so
 * the number of draws per crop is fixed). */
void ser_aug_draw_one(const ser_aug *a, ser_rng *rng, ser_aug_draw *d);
/* Applies d to frames x (T, dim), frame-major, in place. Returns 0, or a
 * negative status when out of memory (x unchanged). Not thread-safe on
 * one ser_aug (it keeps a work buffer). */
int ser_aug_apply(ser_aug *a, const ser_aug_draw *d, float *x, int T, ser_error *err);

/* Inspection, for tests: chains (and their rates), noise frames made, and
 * the mean total filter power of one noise frame at unit sample variance
 * (samples in [-1, 1) before the settings' scale). */
int ser_aug_chains(const ser_aug *a, int *rates, int max);
int ser_aug_noise_frames(const ser_aug *a);
double ser_aug_noise_power(const ser_aug *a, int kind);

#endif
