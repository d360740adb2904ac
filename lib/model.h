/* The ser model file: a trained network with everything needed to use it
 * (classes, feature settings, input normalisation, training record).
 * Byte layout and limits in ser-formats(5), section MODEL FILE. */
#ifndef SER_MODEL_H
#define SER_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "ser.h"
#include "net.h"

#define SER_MODEL_MAGIC "SERMODEL"   /* 8 bytes, no NUL */
#define SER_MODEL_VERSION 3          /* written; versions 1 (no trim_db) and 2 (no
                                      * utterance windows) are still read */
#define SER_MODEL_WINDOW_MAX 1000000 /* frames of an utterance window */
/* Limits checked by the loader before allocating. */
#define SER_MODEL_CLASSES_MAX 1024
#define SER_MODEL_NAME_MAX 256           /* bytes of a class name */
#define SER_MODEL_TEXT_MAX 1048576       /* bytes of settings / training record */
#define SER_MODEL_DIM_MAX 4096           /* feature dimension (= SER_FEAT_DIM_MAX) */

/* How a feature utterance (frames (T, dim), frame-major as read from a
 * feature stream) becomes the net input. */
enum ser_model_layout {
	SER_LAYOUT_FRAMES = 0, /* input (C = dim, T = frames): transpose */
	SER_LAYOUT_VECTOR = 1  /* one frame per utterance taken as a sequence:
	                          input (C = 1, T = dim) (the "seed" arch) */
};

/* Input normalisation, applied per feature dimension j before layout. */
enum ser_model_norm {
	SER_NORM_NONE = 0,
	SER_NORM_GLOBAL = 1,   /* x = (x - mean[j]) / std[j] */
	SER_NORM_UTT_MEAN = 2, /* x = (x - utterance mean of j) / std[j] */
	SER_NORM_SPEAKER = 3,  /* x = (x - mean[j]) / std[j] with the statistics of
	                          the utterance's speaker (trained so: each
	                          speaker's own); mean, std stored are those of all
	                          training frames, used when no adaptation
	                          statistics are given (adapt.h) */
	SER_NORM_SPEAKER_MEAN = 4, /* x = (x - mean[j]) / std[j]: the mean of the
	                          utterance's speaker (as SPEAKER), the spread of
	                          all training frames */
	SER_NORM_LEVEL = 5,    /* x = (x - mean[j] - level) / std[j]: the training
	                          mean and spread, and the crop's level taken away:
	                          level = the mean of x - mean over the crop's frames
	                          and the level dimensions (the log mel energies, or
	                          C0 of cepstra; ser_model_set_level), subtracted
	                          from those dimensions only. Invariant to gain;
	                          the spectral shape of the crop is kept */
	SER_NORM_SPEAKER_LEVEL = 6 /* the same with the mean of the utterance's
	                          speaker (as SPEAKER_MEAN) */
};
#define SER_NORM_LAST SER_NORM_SPEAKER_LEVEL
/* 1: the mode normalises by each speaker's statistics (trained with each
 * speaker's own; ser-classify --adapt=speaker gives a new speaker's). */
int ser_norm_per_speaker(int mode);
/* 1: the mode takes each crop's level away (LEVEL, SPEAKER_LEVEL). */
int ser_norm_level(int mode);

/* A model. Every pointer is owned by the model (malloc'd; freed by
 * ser_model_free), so a trainer fills it with malloc'd/strdup'd data. */
typedef struct ser_model {
	ser_net *net;            /* arch, in_channels, in_length, classes, params */
	int layout;              /* enum ser_model_layout */
	int n_classes;
	char **class_names;      /* n_classes NUL-terminated strings, 1..NAME_MAX-1 bytes, no
	                            control characters (bytes 0x00-0x1f, 0x7f) */
	/* feature stream settings the model was trained on (ser_feat_info) */
	uint32_t feat_dim, feat_rate, feat_shift, feat_length;
	uint64_t feat_fingerprint;
	char *feat_settings;     /* canonical settings text */
	int norm_mode;           /* enum ser_model_norm */
	float *norm_mean;        /* (feat_dim) or NULL when mode is NONE */
	float *norm_std;         /* (feat_dim) or NULL when mode is NONE */
	float trim_db;           /* dB, voice-activity trimming of the input (trim.h),
	                            0 = none; 0..SER_TRIM_DB_MAX, frames layout only */
	int input_idct;          /* 1: each frame (orthonormal DCT-II cepstra, n-ceps =
	                            n-mels) is taken back to log mel energies by the
	                            inverse DCT before normalisation; frames layout */
	float *idct;             /* (feat_dim, feat_dim) matrix of it, made by
	                            ser_model_set_idct; NULL when input_idct is 0 */
	int utt_window, utt_hop; /* frames: an utterance is classified as the mean of
	                            the probabilities over windows of utt_window frames
	                            every utt_hop (ser_clf_run_utt); 0 = the whole
	                            utterance at once. 1..SER_MODEL_WINDOW_MAX, hop
	                            1..window; frames layout only */
	char *train_record;      /* free text: command line, seed, held-out speakers; may be NULL */
	int level_first, level_count; /* the level dimensions of the model input for
	                            the LEVEL modes, made by ser_model_set_level from
	                            the feature settings (not stored); else 0, 0 */
} ser_model;

/* Writes m to path with ser_out_open (outfile.h): a device or FIFO in
 * place; else through symbolic links, atomically (a temporary beside the
 * target, fsync, rename; the replaced file's mode and owner kept). On
 * failure the target is untouched and the temporary removed. */
int ser_model_save(const ser_model *m, const char *path, ser_error *err);
/* Serialises m into a malloc'd buffer (*buf, *len). */
int ser_model_to_mem(const ser_model *m, unsigned char **buf, size_t *len, ser_error *err);

/* Reads and checks a model file: magic ("NAME: not a ser model"),
 * version, every size against the limits before allocating, the
 * checksum ("checksum mismatch: file damaged"), then rebuilds the net with
 * ser_net_new and checks the parameter count. NULL on error. */
ser_model *ser_model_load(const char *path, ser_error *err);
/* The same from memory; name is used in messages. */
ser_model *ser_model_from_mem(const unsigned char *buf, size_t len, const char *name,
                              ser_error *err);
void ser_model_free(ser_model *m);

/* Sets input_idct (0 or 1) and makes or frees the matrix. */
int ser_model_set_idct(ser_model *m, int on, ser_error *err);
/* Sets level_first/level_count from norm_mode, feat_settings and
 * input_idct: with the inverse DCT every dimension (log mel energies),
 * else the columns the frame's log energy comes from (ser_frame_layout:
 * C0, or the log mel energies of frames without a DCT); 0, 0 for the
 * other modes. Errors when a LEVEL mode's settings name no such columns. */
int ser_model_set_level(ser_model *m, ser_error *err);
/* out (n, dim) = frames (n, dim) . idct: l_m = sum_k c_k idct[k][m]. */
void ser_idct_frames(const float *idct, int dim, const float *frames, int n, float *out);

/* Net input (C, T) for one utterance of frames (n_frames, feat_dim):
 * the inverse DCT first when input_idct is set, then
 * normalises and lays out. For SER_LAYOUT_VECTOR n_frames must be 1.
 * out holds feat_dim * n_frames floats. Returns the net T (>0) or an error. */
int ser_model_input(const ser_model *m, const float *frames, int n_frames, float *out,
                    ser_error *err);
/* The same with normalisation statistics given (feat_dim values each, in
 * the model's input domain: after the inverse DCT): mean replaces the
 * model's where its mode subtracts a stored mean (GLOBAL, SPEAKER,
 * SPEAKER_MEAN, LEVEL, SPEAKER_LEVEL), std where it divides by a spread
 * that adapts (GLOBAL, UTT_MEAN, SPEAKER; the others keep the training
 * spread). Either may be NULL: the model's own. */
int ser_model_input_with(const ser_model *m, const float *frames, int n_frames,
                         const float *mean, const float *std, float *out, ser_error *err);

#endif
