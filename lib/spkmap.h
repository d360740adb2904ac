/* Kaldi speaker maps: utt2spk ("UTT SPK" lines) and spk2utt ("SPK UTT
 * UTT ..." lines), white-space separated, as in a Kaldi data directory.
 * Used wherever ser takes speakers (ser-train, ser-eval, ser-mfcc
 * --cmvn speaker). Lookup: the exact key, else the key's file name without
 * its extension against the map's utterances' (ser_key_stem), so an
 * utterance "a" or "dir/a.flac" matches the key "x/a.wav". */
#ifndef SER_SPKMAP_H
#define SER_SPKMAP_H

#include "ser.h"

typedef struct ser_spkmap ser_spkmap;
/* Reads path ("-": stdin); spk2utt: 1 for that form. Errors (SER_EFORMAT
 * "NAME:LINE: reason"): a line without a speaker or utterance, an
 * utterance given twice, a speaker longer than 63 bytes. */
ser_spkmap *ser_spkmap_load(const char *path, int spk2utt, ser_error *err);
/* The speaker of key, or NULL. *clash: set to 1 when only the stem
 * rule could match and two of the map's utterances share the stem (then
 * NULL). */
const char *ser_spkmap_get(const ser_spkmap *m, const char *key, int *clash);
size_t ser_spkmap_count(const ser_spkmap *m);
void ser_spkmap_free(ser_spkmap *m);

#endif
