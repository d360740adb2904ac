/* Model inputs from a dataset (dataset.h): normalisation statistics in
 * the model's input domain, per-speaker normalisation, random crops with
 * SpecAugment-style masking, and batches laid out for ser_net_train_batch.
 * Here and not in dataset.h, which knows no model: this file needs
 * model.h and augment.h, and train.h builds on it. */
#ifndef SER_BATCH_H
#define SER_BATCH_H

#include "ser.h"
#include "augment.h"
#include "dataset.h"
#include "model.h"
#include "rng.h"

/* (m: the model whose input these are: its inverse DCT applied to the
 * frames first, its level dimensions; or NULL: the frames as they are.)
 * Per-dimension mean and std (dim each) over the frames of utterances in
 * `part`: mode SER_NORM_GLOBAL uses raw frames, SER_NORM_UTT_MEAN frames
 * minus their utterance mean (mean is then 0), SER_NORM_LEVEL frames whose
 * level dimensions lose the utterance's level (their mean over the
 * utterance). std is floored at 1e-5. */
int ser_ds_norm_stats(const ser_dataset *ds, int part, int mode, const ser_model *m, float *mean,
                      float *std, ser_error *err);

/* Per-speaker normalisation (SER_NORM_SPEAKER): the statistics of each
 * speaker's own utterances that are not EXCLUDED (train and validation),
 * in model m's input domain (adapt.h; the frames as trimmed already), the
 * utterances of no known speaker making one group; every such utterance's
 * nmean/nstd then point to its speaker's. */
int ser_ds_speaker_norm(ser_dataset *ds, const ser_model *m, ser_error *err);

/* SpecAugment-style masking (ref: Park et al. 2019, without time warp):
 * tn masks of up to tw frames and fn masks of up to fw channels, each of
 * width uniform in [0, max], position uniform; masked values are set to 0
 * (the mean after normalisation). */
typedef struct ser_specaug {
	int tw, tn;   /* frames, count */
	int fw, fn;   /* channels, count */
} ser_specaug;
/* Parses "TW:TN:FW:FN" or "none" (all 0). */
int ser_specaug_parse(ser_specaug *s, const char *text, ser_error *err);

/* Fills a training batch for model m from utterances idx[0..B):
 *   SER_LAYOUT_VECTOR: x (B, 1, dim), T = dim (utterances must have 1 frame);
 *   SER_LAYOUT_FRAMES: x (B, dim, crop), T = crop: a random crop of each
 *     utterance, an utterance shorter than crop repeated to fill it.
 * Augmentation of the crop (aug, augment.h; frames layout only; may be
 * NULL), normalisation by ser_model_input_with (per crop for
 * SER_NORM_UTT_MEAN; the utterance's nmean/nstd when set),
 * then masking (frames layout only; sa may be NULL). y (B) labels.
 * With ds->mix_p > 0 a crop is centred, with that probability, on a
 * mixture of its speaker's class means instead of the speaker's mean
 * (per-speaker normalisation; see ser_dataset).
 * work holds (crop + 1) * dim floats. Draws from rng in sample order.
 * Returns T or a negative status. */
int ser_ds_batch(const ser_dataset *ds, const ser_model *m, const int *idx, int B, int crop,
                 ser_aug *aug, const ser_specaug *sa, ser_rng *rng, float *x, int *y,
                 float *work, ser_error *err);

/* Masks (C, T) x in place. */
void ser_specaug_apply(const ser_specaug *sa, float *x, int C, int T, ser_rng *rng);

#endif
