/* An in-memory set of labelled utterances read from feature streams, for
 * training: speaker split, normalisation statistics, random crops with
 * SpecAugment-style masking, and batches laid out for ser_net_train_batch.
 *
 * Labels and speakers are set by the caller (from labels.h); utterances
 * the caller cannot label are removed with ser_ds_compact. */
#ifndef SER_DATASET_H
#define SER_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "ser.h"
#include "featio.h"
#include "labels.h"
#include "augment.h"
#include "model.h"
#include "rng.h"

enum ser_ds_part { SER_PART_TRAIN = 0, SER_PART_VAL = 1, SER_PART_EXCLUDED = 2 };

typedef struct ser_utt {
	char *key;
	float *x;         /* (n, dim) frames, frame-major as in the stream */
	int n;            /* frames */
	int label;        /* class index, -1: none */
	int speaker;      /* index into speakers, -1: unknown */
	int group;        /* corpus (enum ser_corpus, labels.h) or the caller's grouping; 0: none */
	int part;         /* enum ser_ds_part */
	const float *nmean, *nstd; /* (dim) normalisation statistics of its speaker
	                              (ser_ds_speaker_norm), NULL: the model's */
} ser_utt;

typedef struct ser_dataset {
	/* settings of the streams (from the first one read) */
	uint32_t dim, rate, shift, length;
	uint64_t fingerprint;
	char *settings;
	size_t n, cap;
	ser_utt *u;       /* (n) utterances in input order */
	int nspk, spkcap;
	char **spk;       /* (nspk) speaker names */
	float *spk_stats; /* (nspk + 1, 2, dim) of ser_ds_speaker_norm, or NULL */
} ser_dataset;

void ser_ds_init(ser_dataset *ds);
void ser_ds_free(ser_dataset *ds);

/* Appends every utterance of reader r (label and speaker -1, part TRAIN).
 * The first reader fixes the settings; a later reader whose settings text
 * differs is refused with SER_EMISMATCH (callers compare first with
 * ser_feat_settings_diff to name the difference). Utterances with no frames
 * are kept (n = 0). An utterance the stream marks as aborted is dropped
 * and 1 returned, err->msg naming it: call again to read on. Otherwise 0
 * at the end of the stream or a negative status. */
int ser_ds_read(ser_dataset *ds, ser_fr *r, ser_error *err);

/* Index of speaker name, added if new; negative status on error. */
int ser_ds_speaker(ser_dataset *ds, const char *name, ser_error *err);

/* Labels (class index in cls), corpora and speakers of every utterance
 * from map (labels.h: a TSV map, or NULL for file names); utterances
 * without a label, with a label not in cls or without frames are counted
 * in *sk and removed (ser_ds_compact). Negative status on error. */
typedef struct ser_ds_skipped {
	long nolabel, unknown, empty;
	char first[128];          /* key of the first skipped, "" if none */
} ser_ds_skipped;
int ser_ds_label(ser_dataset *ds, const ser_labelmap *map, const ser_classes *cls,
                 ser_ds_skipped *sk, ser_error *err);

/* Utterances in part (enum ser_ds_part). */
long ser_ds_count(const ser_dataset *ds, int part);

/* Removes (and frees) utterances with label < 0 or no frames; returns how
 * many were removed. */
size_t ser_ds_compact(ser_dataset *ds);

/* Sets part from two comma-separated speaker lists (either may be NULL or
 * empty): speakers in `exclude` -> EXCLUDED, in `val` -> VAL, others TRAIN.
 * A speaker in both lists is SER_EINVAL. A listed name with no utterance
 * is copied into unknown (cap bytes; "" if none) for a warning. */
int ser_ds_split(ser_dataset *ds, const char *val, const char *exclude, char *unknown,
                 size_t cap, ser_error *err);

/* Voice-activity trimming of every utterance (ser_trim, trim.h): leading
 * and trailing frames more than db dB below the utterance's loudest are
 * dropped, at least min_len frames kept. db 0 does nothing; 0..SER_TRIM_DB_MAX.
 * SER_EINVAL for pooled features or settings without the energy (CMVN).
 * *dropped (may be NULL) gets the frames removed in all. */
int ser_ds_trim(ser_dataset *ds, double db, int min_len, long *dropped, ser_error *err);

/* (idct: the model's input transform (ser_model.idct) applied to the frames
 * first, or NULL.)
 * Per-dimension mean and std (dim each) over the frames of utterances in
 * `part`: mode SER_NORM_GLOBAL uses raw frames, SER_NORM_UTT_MEAN frames
 * minus their utterance mean (mean is then 0). std is floored at 1e-5. */
int ser_ds_norm_stats(const ser_dataset *ds, int part, int mode, const float *idct, float *mean,
                      float *std, ser_error *err);

/* Per-speaker normalisation (SER_NORM_SPEAKER): the statistics of each
 * speaker's own utterances that are not EXCLUDED (train and validation),
 * in model m's input domain (adapt.h; the frames as trimmed already), the
 * utterances of no known speaker making one group; every such utterance's
 * nmean/nstd then point to its speaker's. */
int ser_ds_speaker_norm(ser_dataset *ds, const ser_model *m, ser_error *err);

/* FNV-1a 64 (ser_fingerprint_more) of the settings and of every
 * utterance's key, label, speaker, part and frames: equal for the same
 * labelled data in the same order. */
uint64_t ser_ds_fingerprint(const ser_dataset *ds);

/* Counts of each class (ncls) in part. */
void ser_ds_class_counts(const ser_dataset *ds, int part, int ncls, long *count);

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
 * work holds crop * dim floats. Draws from rng in sample order.
 * Returns T or a negative status. */
int ser_ds_batch(const ser_dataset *ds, const ser_model *m, const int *idx, int B, int crop,
                 ser_aug *aug, const ser_specaug *sa, ser_rng *rng, float *x, int *y,
                 float *work, ser_error *err);

/* Masks (C, T) x in place. */
void ser_specaug_apply(const ser_specaug *sa, float *x, int C, int T, ser_rng *rng);

#endif
