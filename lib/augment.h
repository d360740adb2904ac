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
	double warp_p, warp_max;         /* vocal-tract length: probability, |alpha - 1| max */
	double reverb_p, t60_lo, t60_hi; /* reverberation: probability, T60 range in seconds */
} ser_aug_opts;

/* Parses "none" or a comma-separated list of noise:P:LO:HI, band:P,
 * gain:P:DB, warp:P:A and reverb:P:LO:HI (P 0..1, SNR LO <= HI within
 * -50..100 dB, DB 0..100, A 0..0.3, T60 LO <= HI within 0.05..5 s), each
 * kind at most once; kinds not listed stay off. SER_EINVAL with a message.
 *
 * warp: the spectrum is stretched in frequency by alpha, uniform in
 * [1 - A, 1 + A] (f -> alpha f, as a vocal tract shorter or longer by that
 * factor; ref: Jaitly and Hinton 2013, VTLP), by interpolating the mel
 * filter powers at the warped centre frequencies (beyond the outer filters
 * the outer one is held).
 * reverb: late reverberation in the filter-power domain: each filter's
 * power gets an exponentially decaying tail, R(t) = a R(t-1) + P(t),
 * a = 10^(-6 shift / T60), added as P + c R, c = (1 - a) 10^(-DRR/10) so
 * that the tail's energy is DRR dB below the direct sound's; the
 * direct-to-reverberant ratio DRR is uniform in [0, 12] dB, T60 uniform in
 * [LO, HI]. A room's coloration is left out: a fixed colouring is removed
 * by the per-utterance mean normalisation anyway. */
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
	double warp;      /* frequency factor alpha; 1 (or 0) = none */
	double t60;       /* seconds; 0 = no reverberation */
	double drr_db;    /* direct-to-reverberant ratio */
} ser_aug_draw;

/* Draws the changes for one crop from rng (also when nothing applies, so
 * the number of draws per crop is fixed by the options; warp and reverb
 * draw only when they are on, so lists without them draw as before). */
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
