/* Inference with a ser model on whole utterances or windows of frames.
 *
 * A model with trim_db > 0 first has the leading and trailing quiet
 * frames of each utterance or window dropped (ser_trim, trim.h), as in
 * training; a window's times and voice decision are unchanged.
 * A sequence shorter than the net's minimum length is repeated (frame 0,
 * 1, ..., n-1, 0, 1, ...) up to that length, so every non-empty clip
 * gets a decision. Normalisation and layout are the model's
 * (ser_model_input): with SER_NORM_UTT_MEAN the mean is taken over the
 * frames given (the utterance, or the window). */
#ifndef SER_CLASSIFY_H
#define SER_CLASSIFY_H

#include "ser.h"
#include "model.h"
#include "vad.h"

typedef struct ser_clf ser_clf;

/* A classifier over model m (not owned; must outlive it). SER_EINVAL when
 * m trims and its feature settings keep no energy (ser_vad_new). */
ser_clf *ser_clf_new(ser_model *m, ser_error *err);
void ser_clf_free(ser_clf *c);

/* Frames (n, feat_dim) of one utterance -> probs (n_classes). n >= 1;
 * a SER_LAYOUT_VECTOR model needs n == 1 (a pooled stream). */
int ser_clf_run(ser_clf *c, const float *frames, int n, float *probs, ser_error *err);

/* An utterance as the model says to classify it: with m->utt_window > 0
 * (the training crop length, stored by ser-train) the mean of the
 * probabilities over windows of that many frames every m->utt_hop
 * (ser_clf_windows: a shorter utterance is one window), after trimming the
 * utterance once; with 0 the same as ser_clf_run. */
int ser_clf_run_utt(ser_clf *c, const float *frames, int n, float *probs, ser_error *err);

/* Normalisation statistics (feat_dim each, the model's input domain) to
 * use from now on in place of the model's (ser_model_input_with; NULL:
 * the model's own). Not copied: they must stay valid while used. */
void ser_clf_set_norm(ser_clf *c, const float *mean, const float *std);
/* The frames of an utterance as the model's normalisation sees them:
 * checked, trimmed as ser_clf_run does, taken back to log mel energies
 * when the model does so. *out points into c (valid until the next call)
 * or into frames. Returns their count (>= 1) or an error. */
int ser_clf_input(ser_clf *c, const float *frames, int n, const float **out, ser_error *err);

/* Index of the largest probability (first on ties). */
int ser_clf_argmax(const float *probs, int n);

/* ---- deciding among some of the model's classes (ser-classify --only) ----
 * A restricted classifier returns from ser_clf_run and ser_clf_run_utt
 * probs with the dropped classes 0 and the kept ones renormalised to sum
 * to 1 (ser_clf_renorm): for ser_clf_run_utt after the mean over the
 * utterance windows; for a stream (ser_clfs) per window, before smoothing.
 * The argmax of such probs is a kept class. */

/* keep (m->n_classes) = 1 for the classes of m named in list, else 0.
 * list is comma-separated (ser_classes_parse, labels.h): at least 2 names,
 * each a class of m, no duplicates, in any order. Returns the number kept,
 * SER_EINVAL with a reason (an unknown name is quoted, with m's classes)
 * or SER_ENOMEM. */
int ser_clf_mask(const ser_model *m, const char *list, unsigned char *keep, ser_error *err);
/* Decide among the classes with keep[k] != 0 (k < n_classes; copied).
 * keep NULL, or every class kept: no restriction (probs as the model gives
 * them, bit for bit). */
void ser_clf_restrict(ser_clf *c, const unsigned char *keep);
/* 1 if class k is kept (every class of an unrestricted classifier). */
int ser_clf_kept(const ser_clf *c, int k);
/* probs (n): dropped classes (keep[k] == 0) set to 0, kept ones divided
 * by their sum; when that sum is not > 0 (every kept probability
 * underflowed) each kept class gets 1 / (number kept). keep NULL, or no
 * class kept: unchanged. */
void ser_clf_renorm(float *probs, const unsigned char *keep, int n);

/* Windows over an utterance of n frames: window w and hop h frames (>= 1).
 * Windows start at 0, h, 2h, ... while start + w <= n; when n < w there is
 * one window [0, n); when the last full window ends before n, one more
 * window [n - w, n) covers the tail. Blocks (h >= w, e.g. the original
 * project's 4 s blocks): windows start at 0, h, 2h, ... while start < n,
 * each min(w, n - start) frames long, so the last is the remainder and no
 * window overlaps another. Returns the count and, for i < count,
 * ser_clf_window_at gives window i's first frame and length. */
int ser_clf_windows(int n, int w, int h);
void ser_clf_window_at(int n, int w, int h, int i, int *start, int *len);
/* Sizes the buffers for windows up to frames long (no allocation later). */
int ser_clf_reserve(ser_clf *c, int frames, ser_error *err);

/* ---- windows over a stream, frame by frame (offline --window and --live) ----
 * The same windows as ser_clf_windows, decided as the frames arrive: the
 * window [n - w, n) is decided when frame n - 1 is pushed and (n - w) is a
 * multiple of h; ser_clfs_finish decides the tail window (for blocks, the
 * remainder) or, for an utterance shorter than w, the one window [0, n).
 * Memory is bounded by the window and by the input: a ring of the last w
 * frames (and their voice flags), which grows with the first frames of an
 * utterance up to w (so a window far longer than the input costs only the
 * input), and the last `smooth` probability vectors. Once w frames have
 * come, a push allocates nothing.
 *
 * With a VAD, a window whose fraction of voiced frames is below min_voiced
 * is silence: the model is not run, the smoothing history is emptied.
 * Otherwise the decision's probs are the mean of the model's outputs for
 * this window and the speech windows before it, up to `smooth` in all,
 * back to the last silence or the start of the utterance. */
typedef struct ser_clfs_opts {
	int window;         /* frames, >= 1 */
	int hop;            /* frames, >= 1 */
	int smooth;         /* decisions averaged, 1..1000 (1: none) */
	double min_voiced;  /* fraction of voiced frames for speech, 0..1 */
} ser_clfs_opts;

typedef struct ser_decision {
	int start, len;     /* frames of the window */
	int speech;         /* 0: silence (probs NULL, label -1) */
	double voiced;      /* fraction of voiced frames in the window */
	const float *probs; /* (n_classes) smoothed, valid until the next call */
	int label;          /* argmax of probs, or -1 */
	double confidence;  /* probs[label]; for silence 1 - voiced */
} ser_decision;

typedef struct ser_clfs ser_clfs;
/* A stream over classifier clf (not owned) and vad (not owned; NULL: every
 * window is speech). */
ser_clfs *ser_clfs_new(ser_clf *clf, ser_vad *vad, const ser_clfs_opts *o, ser_error *err);
/* One frame (feat_dim values). Returns 1 when d holds a decision, 0 when
 * none is due, or an error (SER_ENOMEM when the ring cannot grow). No
 * allocation once w frames of an utterance have come. */
int ser_clfs_push(ser_clfs *s, const float *frame, ser_decision *d, ser_error *err);
/* End of the utterance: 1 with the last window in d, 0 when none is due
 * (no frames, or the last full window ended at the last frame). Then
 * ready for the next utterance (ser_clfs_reset). */
int ser_clfs_finish(ser_clfs *s, ser_decision *d, ser_error *err);
/* Frames pushed in this utterance. */
long ser_clfs_frames(const ser_clfs *s);
/* Frames still to push before the push that returns the next decision
 * (>= 1): the pacing of a live reader (ser-classify --live). */
long ser_clfs_due(const ser_clfs *s);
void ser_clfs_reset(ser_clfs *s);
void ser_clfs_free(ser_clfs *s);

#endif
