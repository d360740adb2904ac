/* NumPy output: .npy (one utterance, a (frames, dim) float32 array) and
 * .npz (a zip archive, entries stored uncompressed, one "KEY.npy" array per
 * utterance), as numpy.load reads them without pickle. Used by the feature
 * writer (featio.h, SER_FW_NPY and SER_FW_NPZ); layout in ser-formats(5).
 * ref: numpy's format.py (NEP 1, format version 1.0: "\x93NUMPY", 1, 0,
 * u16 header length, a Python dict literal padded with spaces to a multiple
 * of 64 bytes and ended by "\n"); PKWARE APPNOTE.TXT 4.3 (local file
 * header, central directory, end of central directory record). */
#ifndef SER_NPY_H
#define SER_NPY_H

#include <stdio.h>
#include "ser.h"

#define SER_NPZ_MAX_ENTRIES 65535      /* utterances in one .npz (no zip64) */

typedef struct ser_npw ser_npw;
/* zip: 0 .npy (a second utterance is SER_EINVAL), 1 .npz. */
ser_npw *ser_npw_new(FILE *f, int zip, uint32_t dim, ser_error *err);
int ser_npw_begin(ser_npw *w, const char *key, ser_error *err);
/* n frames of dim floats; kept until ser_npw_end */
int ser_npw_frames(ser_npw *w, const float *x, size_t n, ser_error *err);
/* Writes the utterance (header, values). */
int ser_npw_end(ser_npw *w, ser_error *err);
/* Drops the open utterance. */
void ser_npw_abort(ser_npw *w);
/* Ends the output: the .npz central directory; a .npy without any
 * utterance gets an empty (0, dim) array. */
int ser_npw_finish(ser_npw *w, ser_error *err);
void ser_npw_free(ser_npw *w);

#endif
