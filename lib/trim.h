/* Voice-activity trimming of an utterance's frames, the same in training
 * (ser_ds_trim) and inference (ser_clf_run, per utterance or per window).
 *
 * Rule: with e_t the frame energy (dB, ser_vad_energy) and E = max_t e_t,
 * keep frames [a, b] where a is the first and b the last frame with
 * e_t >= E - db: the leading and trailing runs of quieter frames go, the
 * interior (pauses inside speech) stays. When b - a + 1 < min_len, the
 * kept part is min(min_len, n) frames centred on the loudest frame (the
 * first with e = E), moved as little as needed to contain [a, b] and to
 * stay inside [0, n). An utterance of equal or nearly equal energies
 * (silence alone, a held tone) is kept whole; db <= 0 keeps everything.
 * Frames whose energy is NaN never count as loud. */
#ifndef SER_TRIM_H
#define SER_TRIM_H

#include "vad.h"

#define SER_TRIM_DB_MAX 200.0   /* dB, largest accepted threshold */

/* Frames x (n, dim), energy from v (its floor state is not used). Sets
 * *start (first kept frame) and returns the count kept (n when n <= 0 or
 * db <= 0). No allocation. */
int ser_trim(const ser_vad *v, const float *x, int n, int dim, double db, int min_len, int *start);

#endif
