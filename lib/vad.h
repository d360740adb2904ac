/* Voice-activity decision from the feature stream itself: cheap, causal,
 * one frame at a time, no allocation after ser_vad_new.
 *
 * Frame energy e (dB) is read back from the features (no audio needed):
 *   dct=ortho, energy=none:  e = k * C0 / sqrt(n-mels)    (C0 of the
 *                            orthonormal DCT-II is sqrt(n-mels) times the
 *                            mean log mel energy)
 *   dct=htk, energy=none:    e = k * C0 / sqrt(2 n-mels)
 *   dct=none:                e = k * mean of the n-mels log mel values
 *   energy=raw|windowed:     e = 10 log10(e^C0) (C0 holds ln frame energy)
 * with k = 10 / ln 10 for log=ln, 1 for log=db, doubled for
 * spectrum=magnitude (so e is a power in dB), minus 20 log10(scale) (so
 * e does not depend on the sample scale). C0 is at index 0 (c0=first) or
 * n-ceps - 1 (c0=last); the lifter leaves C0 unchanged. Features with
 * CMVN or pooling have lost the absolute energy: refused (SER_EINVAL).
 *
 * Rule, per frame t (ref: minimum-statistics noise floor tracking,
 * simplified; R. Martin, IEEE TSAP 9(5), 2001):
 *   floor_0 = e_0;
 *   floor_t = e_t                        if e_t < floor_{t-1}
 *             floor_{t-1} + rise * shift / rate   otherwise;
 *   voiced_t = e_t >= floor_t + margin  and  e_t >= gate.
 * So a steady sound (hum, fan, a held tone) becomes the floor within
 * margin / rise seconds and is not speech; speech, with its pauses between
 * syllables, keeps pulling the floor down to the background. */
#ifndef SER_VAD_H
#define SER_VAD_H

#include <stdint.h>
#include "ser.h"

typedef struct ser_vad_opts {
	double margin;   /* dB above the noise floor for a voiced frame, 0..100 (default 12) */
	double gate;     /* dB, absolute minimum energy of a voiced frame, -200..100 (default -60) */
	double rise;     /* dB per second the floor rises while frames are above it, 0..1000 (default 2) */
} ser_vad_opts;

void ser_vad_defaults(ser_vad_opts *o);

typedef struct ser_vad ser_vad;
/* A VAD for frames of dim values with these feature settings (canonical
 * text of a model or stream). SER_EINVAL when the settings do not keep the
 * energy, or for options out of range. */
ser_vad *ser_vad_new(const ser_vad_opts *o, const char *settings, uint32_t dim, ser_error *err);
/* Energy e of one frame (dim values), dB, by the rule above; no state. */
double ser_vad_energy(const ser_vad *v, const float *x);
/* One frame (dim values): 1 voiced, 0 not. *energy (may be NULL) gets e in dB. */
int ser_vad_frame(ser_vad *v, const float *x, double *energy);
/* Current noise floor, dB (meaningless before the first frame). */
double ser_vad_floor(const ser_vad *v);
/* Fraction of voiced frames among n frames (n, dim) of one utterance, by
 * the rule above from a fresh floor (the VAD is reset before and after). */
double ser_vad_fraction(ser_vad *v, const float *x, size_t n, size_t dim);
/* Forgets the floor: the next frame starts a new utterance. */
void ser_vad_reset(ser_vad *v);
void ser_vad_free(ser_vad *v);

#endif
