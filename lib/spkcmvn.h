/* Per-speaker CMVN (cmvn=speaker): every utterance of a run is held, then
 * each frame has its speaker's mean over all that speaker's frames removed
 * (and with vars, is divided by the speaker's standard deviation, when
 * the variance exceeds 1e-20, as the front end's utterance CMVN does),
 * and the utterances are written in their order.
 * ref: Kaldi compute-cmvn-stats --spk2utt, apply-cmvn --utt2spk. */
#ifndef SER_SPKCMVN_H
#define SER_SPKCMVN_H

#include "featio.h"

typedef struct ser_spkcmvn ser_spkcmvn;
ser_spkcmvn *ser_spkcmvn_new(size_t dim, int vars, ser_error *err);
/* An utterance of speaker spk (any string) begins. */
int ser_spkcmvn_begin(ser_spkcmvn *s, const char *key, const char *spk, ser_error *err);
/* n frames (n, dim) of the open utterance. */
int ser_spkcmvn_frames(ser_spkcmvn *s, const float *x, size_t n, ser_error *err);
/* Keeps the open utterance. */
int ser_spkcmvn_end(ser_spkcmvn *s, ser_error *err);
/* Drops the open utterance (aborted: not in the statistics). */
void ser_spkcmvn_drop(ser_spkcmvn *s);
/* Normalises and writes every kept utterance to w (BEGIN, frames, END). */
int ser_spkcmvn_write(ser_spkcmvn *s, ser_fw *w, ser_error *err);
void ser_spkcmvn_free(ser_spkcmvn *s);

#endif
