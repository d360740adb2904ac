/* An in-memory set of labelled utterances read from feature streams, for
 * training: labels, speaker split, trimming, counts and a fingerprint.
 * What a model makes of it (normalisation statistics, crops, masking,
 * batches) is batch.h.
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
	                              (ser_ds_speaker_norm, batch.h), NULL: the model's */
	const float *cmean;         /* (ds->cm_ncls, dim) its speaker's mean per class */
	const unsigned char *chas;  /* (ds->cm_ncls) the speaker has the class; both
	                               NULL without mixed references (mix_p 0) */
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
	float *spk_stats; /* (nspk + 1, 2, dim) of ser_ds_speaker_norm (batch.h), or NULL */
	float *spk_cmean;         /* the class means of each speaker group, and */
	unsigned char *spk_chas;  /* whether it has the class (ser_ds_speaker_norm,
	                             made only when mix_p > 0), or NULL */
	int cm_ncls;              /* classes of those */
	/* mixed references (ser_ds_batch): with probability mix_p a training crop
	 * is centred on a mixture of its speaker's class means, weights
	 * Dirichlet(mix_alpha) over the classes the speaker has; 0: off. Set
	 * before ser_ds_speaker_norm, which makes the class means only then */
	float mix_p, mix_alpha;
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
/* The same without classes: every utterance with frames gets class 0 (for
 * passes whose labels matter to nothing, ser-train --adapt-bn); its corpus
 * and speaker from map where it has a label, none otherwise. */
int ser_ds_unlabelled(ser_dataset *ds, const ser_labelmap *map, ser_ds_skipped *sk,
                      ser_error *err);

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

/* FNV-1a 64 (ser_fingerprint_more) of the settings and of every
 * utterance's key, label, speaker, part and frames: equal for the same
 * labelled data in the same order. */
uint64_t ser_ds_fingerprint(const ser_dataset *ds);

/* Counts of each class (ncls) in part. */
void ser_ds_class_counts(const ser_dataset *ds, int part, int ncls, long *count);

#endif
