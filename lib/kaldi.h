/* Kaldi feature archives read as feature streams (ser_fr), and the
 * feature settings they lack. Byte layout in ser-formats(5).
 *
 * An archive is a sequence of "KEY" + one space + an object: binary
 * ("\0B", then "FM " (float32) or "DM " (float64) rows and columns, each
 * as a size byte 4 and an int32, then the values row by row; "FV "/"DV "
 * a vector: one frame) or text ("[", rows of numbers ended by newlines,
 * "]"). An scp file has "KEY RXFILE" lines, RXFILE a file name with an
 * optional ":OFFSET", the byte offset of the object in it (after "KEY ").
 * ref: Kaldi util/kaldi-table-inl.h (archive and scp readers),
 * base/io-funcs.cc InitKaldiInputStream, matrix/kaldi-matrix.cc
 * MatrixBase::Read, Matrix::Read. Compressed matrices ("CM", "CM2",
 * "CM3"), pipes and ranges in scp files are refused with a message. */
#ifndef SER_KALDI_H
#define SER_KALDI_H

#include <stdio.h>
#include "featio.h"

/* Settings for an archive from s: a settings text (it has a '='), a
 * preset name, or the name of a ser feature stream whose header to use.
 * info->settings points into text (n bytes; SER_FEAT_SETTINGS_MAX is
 * plenty). SER_EINVAL for a bad text or an unknown name, else the
 * stream's error. */
int ser_kaldi_settings(const char *s, ser_feat_info *info, char *text, size_t n, ser_error *err);

/* A Kaldi archive on f whose first nhead bytes (head) were read already
 * (ser_fr_open_as calls it when the ser magic is absent). as: the
 * settings (frames must have as->dim values); NULL: refused, saying how to
 * give them. Not an archive: SER_EFORMAT "not a ser feature stream (bad
 * magic)". */
ser_fr *ser_kaldi_open(FILE *f, const unsigned char *head, size_t nhead, const char *name,
                       const ser_feat_info *as, ser_error *err);
/* A Kaldi scp file (objects read from the files it names, file names
 * relative to the working directory as in Kaldi); as above. */
ser_fr *ser_kaldi_open_scp(const char *path, const ser_feat_info *as, ser_error *err);
/* 1 if the first n bytes of an input look like the start of a Kaldi
 * archive: a key, one space, then "\0B" or white space and "[". */
int ser_kaldi_sniff(const unsigned char *head, size_t n);
/* 1 if path names an scp file (ends in ".scp"). */
int ser_kaldi_is_scp(const char *path);

#endif
