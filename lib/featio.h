/* The ser feature stream: writer and reader (format in ser-formats(5)).
 *
 * A stream is a header (dimension, rate, frame shift and length, the
 * feature settings as canonical text and their 64-bit fingerprint),
 * then utterances: BEGIN(key), any number of FRAMES blocks, END. A header
 * may appear again between utterances (concatenated streams); readers
 * accept it when the settings are identical. */
#ifndef SER_FEATIO_H
#define SER_FEATIO_H

#include <stdio.h>
#include "ser.h"

/* Limits enforced by the reader, stated in ser-formats(5). */
#define SER_FEAT_DIM_MAX 4096
#define SER_FEAT_KEY_MAX 4096          /* bytes */
#define SER_FEAT_SETTINGS_MAX 65536    /* bytes */
#define SER_FEAT_BLOCK_MAX 65536       /* frames per FRAMES record */
#define SER_FEAT_UTT_MAX 100000000     /* frames per utterance */

typedef struct ser_feat_info {
	uint32_t dim;         /* values per frame */
	uint32_t rate;        /* sample rate of the analysed audio, Hz */
	uint32_t shift;       /* frame shift, samples (0: one vector per utterance) */
	uint32_t length;      /* frame length, samples */
	uint64_t fingerprint; /* of the settings text (ser_fingerprint) */
	const char *settings; /* canonical settings text, NUL-terminated */
} ser_feat_info;

/* FNV-1a 64 of n bytes: the fingerprint of a settings text. */
uint64_t ser_fingerprint(const void *p, size_t n);

enum ser_fw_format {
	SER_FW_BINARY = 0, /* ser feature stream */
	SER_FW_TEXT = 1,   /* Kaldi text archive: "KEY [", a frame a line, "]" */
	SER_FW_RAW = 2,    /* bare float32 little-endian, frames back to back */
	SER_FW_ARK = 3     /* Kaldi binary archive ("KEY \0BFM ..."), buffers an utterance */
};

typedef struct ser_fw ser_fw;
/* A writer on f (not closed by ser_fw_free). The binary header is written
 * at once. */
ser_fw *ser_fw_new(FILE *f, int format, const ser_feat_info *info, ser_error *err);
int ser_fw_begin(ser_fw *w, const char *key, ser_error *err);
/* n frames of info->dim floats. */
int ser_fw_frames(ser_fw *w, const float *x, size_t n, ser_error *err);
int ser_fw_end(ser_fw *w, ser_error *err);
void ser_fw_free(ser_fw *w);

enum ser_fr_event {
	SER_FR_EOF = 0,     /* clean end of the stream */
	SER_FR_BEGIN = 1,   /* ev->key is set */
	SER_FR_FRAMES = 2,  /* ev->n frames at ev->x (valid until the next call) */
	SER_FR_END = 3      /* ev->key still set; ev->n = frames in the utterance */
};
typedef struct ser_fr_ev {
	int type;
	const char *key;
	const float *x;
	size_t n;
} ser_fr_ev;

typedef struct ser_fr ser_fr;
/* A reader on f; reads and checks the header at once (so info is
 * available), name is used in messages. A stream that is empty (0 bytes)
 * is an SER_EFORMAT error "empty input". */
ser_fr *ser_fr_open(FILE *f, const char *name, ser_error *err);
const ser_feat_info *ser_fr_info(const ser_fr *r);
/* Next event (>= 0) or a negative status: damaged, truncated, over a
 * limit, NaN/Inf values (SER_EFORMAT), or a repeated header whose settings
 * differ (SER_EMISMATCH). */
int ser_fr_next(ser_fr *r, ser_fr_ev *ev, ser_error *err);
void ser_fr_free(ser_fr *r);

#endif
