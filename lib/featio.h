/* The ser feature stream: writer and reader (byte layout in ser-formats(5)).
 *
 * A stream is a header (dimension, rate, frame shift and length, the
 * feature settings as canonical text and their 64-bit fingerprint),
 * then utterances: BEGIN(key), any number of FRAMES blocks, END (or
 * ABORT: the producer stopped inside the utterance, which is incomplete
 * and never to be labelled or trained on). A header
 * may appear again between utterances (concatenated streams); readers
 * accept it when the settings are identical. Every record carries its
 * count twice (n and ~n) and ends with a CRC-32 (the zlib one) of its
 * bytes, so damage is found at the record where it is. */
#ifndef SER_FEATIO_H
#define SER_FEATIO_H

#include <stdio.h>
#include "ser.h"
#include "mfcc.h"

#define SER_FEAT_MAGIC "SERFEAT"       /* 7 bytes, then the version byte */
#define SER_FEAT_VERSION 1

/* Limits enforced by the reader (and the writer), stated in ser-formats(5). */
#define SER_FEAT_DIM_MAX 4096
#define SER_FEAT_KEY_MAX 4096          /* bytes */
#define SER_FEAT_SETTINGS_MAX 65536    /* bytes */
#define SER_FEAT_BLOCK_MAX 65536       /* frames per FRAMES record */
#define SER_FEAT_BLOCK_VALUES_MAX 4194304 /* frames x dim per FRAMES record (16 MiB) */
#define SER_FEAT_UTT_MAX 100000000     /* frames per utterance */
#define SER_FEAT_FRAME_MAX 1048576     /* frame length and shift, samples */

typedef struct ser_feat_info {
	uint32_t dim;         /* values per frame */
	uint32_t rate;        /* sample rate of the analysed audio, Hz */
	uint32_t shift;       /* frame shift, samples (0: one vector per utterance) */
	uint32_t length;      /* frame length, samples */
	uint64_t fingerprint; /* of the settings text (ser_fingerprint) */
	const char *settings; /* canonical settings text, NUL-terminated */
} ser_feat_info;

/* Fills info for a feature stream of front-end settings o (mfcc.h); the
 * settings text is written to text (n bytes, SER_FEAT_SETTINGS_MAX is
 * plenty) and info->settings points to it. Validates like ser_feat_check.
 * (lib/fe_info.c) */
int ser_feat_info_fill(const ser_feat_opts *o, ser_feat_info *info, char *text,
                       size_t n, ser_error *err);

/* FNV-1a 64 of n bytes: the fingerprint of a settings text.
 * ref: Fowler, Noll, Vo; offset basis 0xcbf29ce484222325, prime 0x100000001b3. */
uint64_t ser_fingerprint(const void *p, size_t n);
/* The same continued over more bytes: ser_fingerprint_more(SER_FINGERPRINT_BASIS,
 * p, n) = ser_fingerprint(p, n), and feeding a text in pieces gives the hash
 * of the whole. */
#define SER_FINGERPRINT_BASIS 0xcbf29ce484222325u
uint64_t ser_fingerprint_more(uint64_t h, const void *p, size_t n);
/* CRC-32 of n bytes (reflected polynomial 0xedb88320, init and final
 * xor 0xffffffff: zlib's crc32(0, p, n)); crc32("123456789") = 0xcbf43926. */
uint32_t ser_crc32(const void *p, size_t n);

enum ser_fw_format {
	SER_FW_BINARY = 0, /* ser feature stream */
	SER_FW_TEXT = 1,   /* Kaldi text archive, as copy-feats ark,t: writes it:
	                      "KEY  [", "\n  v v ... v " a frame, "]\n"; %.7g */
	SER_FW_RAW = 2,    /* bare float32 little-endian, frames back to back */
	SER_FW_ARK = 3,    /* Kaldi binary archive ("KEY \0BFM ..."), buffers an utterance */
	SER_FW_NPY = 4,    /* NumPy .npy: one utterance, (frames, dim) float32 (npy.h) */
	SER_FW_NPZ = 5     /* NumPy .npz: a zip of "KEY.npy" arrays; needs ser_fw_finish */
};

typedef struct ser_fw ser_fw;
/* A writer on f (not closed by ser_fw_free). The binary header is written
 * at once (info checked: ranges, printable ASCII settings, fingerprint =
 * ser_fingerprint(settings)); the other formats use only info->dim.
 * Every record goes out in one fwrite; the writer never flushes f. */
ser_fw *ser_fw_new(FILE *f, int format, const ser_feat_info *info, ser_error *err);
/* key: 1..SER_FEAT_KEY_MAX bytes; for SER_FW_TEXT and SER_FW_ARK also a
 * Kaldi token (no ASCII white space or control byte, no 0xff). */
int ser_fw_begin(ser_fw *w, const char *key, ser_error *err);
/* The key checks of ser_fw_begin alone (nothing written): SER_EINVAL
 * when the format cannot hold key. */
int ser_fw_key_check(const ser_fw *w, const char *key, ser_error *err);
/* n frames of info->dim floats, (n, dim) row-major; all finite (else
 * SER_EINVAL naming the frame, nothing written). No allocation except for
 * SER_FW_ARK, which keeps the utterance until ser_fw_end. */
int ser_fw_frames(ser_fw *w, const float *x, size_t n, ser_error *err);
int ser_fw_end(ser_fw *w, ser_error *err);
/* Ends the open utterance as cut short (an input error, a signal): an
 * ABORT record in the binary stream; the text form gets " ABORTED ]" (not
 * a number: Kaldi refuses the matrix); the ark form drops the buffered
 * utterance; raw float32 cannot say it. */
int ser_fw_abort(ser_fw *w, ser_error *err);
/* Ends the output (the .npz directory; a .npy without an utterance gets
 * an empty array); nothing for the other formats. */
int ser_fw_finish(ser_fw *w, ser_error *err);
void ser_fw_free(ser_fw *w);

enum ser_fr_event {
	SER_FR_EOF = 0,     /* clean end of the stream */
	SER_FR_BEGIN = 1,   /* ev->key is set */
	SER_FR_FRAMES = 2,  /* ev->n frames at ev->x (valid until the next call) */
	SER_FR_END = 3,     /* ev->key still set; ev->n = frames in the utterance */
	SER_FR_ABORT = 4    /* the utterance was cut short by its producer: drop it;
	                       ev->key still set, ev->n = frames it had */
};
typedef struct ser_fr_ev {
	int type;
	const char *key;
	const float *x;
	size_t n;
} ser_fr_ev;

typedef struct ser_fr ser_fr;
/* A reader on f; reads and checks the header at once (so info is
 * available). name is kept for the caller; messages do not repeat it (the
 * programs print "prog: NAME: msg") but give byte offsets and keys. A
 * stream that is empty (0 bytes) is an SER_EFORMAT error "empty input". */
ser_fr *ser_fr_open(FILE *f, const char *name, ser_error *err);
const ser_feat_info *ser_fr_info(const ser_fr *r);
/* Next event (its type, >= 0) or a negative status: damaged (SER_EFORMAT:
 * unknown tag, count check, CRC, record out of place, END count, NaN/Inf
 * values naming key and frame), truncated (SER_ETRUNC with the byte
 * offset; a stream ending between records inside an utterance is
 * "stream ended inside utterance KEY"), over a limit (SER_ELIMIT, refused
 * before allocating), read error (SER_EIO; SER_EINTR when a caught
 * signal interrupted the read: the stream cannot be resumed), or a
 * repeated header that differs (SER_EMISMATCH naming the field). Errors
 * are sticky: later calls return the same status. */
int ser_fr_next(ser_fr *r, ser_fr_ev *ev, ser_error *err);
void ser_fr_free(ser_fr *r);

/* ---- other feature formats read through ser_fr (lib/kaldi.c) ---- */
/* ser_fr_open, and when f holds a Kaldi archive (binary or text: "KEY "
 * then "\0B" or "[") rather than a ser stream: read with the settings as
 * (copied) when given, else refused (SER_EFORMAT, saying how to give
 * them). ser_fr_open(f, name, err) = ser_fr_open_as(f, name, NULL, err). */
ser_fr *ser_fr_open_as(FILE *f, const char *name, const ser_feat_info *as, ser_error *err);
/* A reader whose events come from next(p, ...) (errors sticky there),
 * with the stream description info (copied); free(p) at ser_fr_free, and
 * at once when this fails. */
/* 1 when r reads another format (ser_fr_from), 0 for a ser stream. */
int ser_fr_foreign(const ser_fr *r);
ser_fr *ser_fr_from(void *p, int (*next)(void *, ser_fr_ev *, ser_error *), void (*free_p)(void *),
                    const char *name, const ser_feat_info *info, ser_error *err);

#endif
