/* Inference with a ser model on whole utterances or windows of frames.
 *
 * A sequence shorter than the net's minimum length is repeated (frame 0,
 * 1, ..., n-1, 0, 1, ...) up to that length, so every non-empty clip
 * gets a decision. Normalisation and layout are the model's
 * (ser_model_input): with SER_NORM_UTT_MEAN the mean is taken over the
 * frames given (the utterance, or the window). */
#ifndef SER_CLASSIFY_H
#define SER_CLASSIFY_H

#include "ser.h"
#include "model.h"

typedef struct ser_clf ser_clf;

/* A classifier over model m (not owned; must outlive it). */
ser_clf *ser_clf_new(ser_model *m, ser_error *err);
void ser_clf_free(ser_clf *c);

/* Frames (n, feat_dim) of one utterance -> probs (n_classes). n >= 1;
 * a SER_LAYOUT_VECTOR model needs n == 1 (a pooled stream). */
int ser_clf_run(ser_clf *c, const float *frames, int n, float *probs, ser_error *err);

/* Index of the largest probability (first on ties). */
int ser_clf_argmax(const float *probs, int n);

/* Windows over an utterance of n frames: window w and hop h frames (>= 1).
 * Windows start at 0, h, 2h, ... while start + w <= n; when n < w there is
 * one window [0, n); when the last full window ends before n, one more
 * window [n - w, n) covers the tail. Returns the count and, for i < count,
 * ser_clf_window_at gives window i's first frame and length. */
int ser_clf_windows(int n, int w, int h);
void ser_clf_window_at(int n, int w, int h, int i, int *start, int *len);

#endif
