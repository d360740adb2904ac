/* Adaptation to the recordings being labelled (ser-classify --adapt) and
 * per-speaker normalisation (ser-train --norm speaker).
 *
 * The statistics are those of the frames as the model's normalisation
 * sees them: after voice-activity trimming and the inverse DCT
 * (ser_clf_input, classify.h), before normalisation. They are kept a row
 * per utterance (key, group, frames, the sums of x and x*x per dimension),
 * so that statistics made in pieces (by several processes, or machines)
 * and joined (`cat`) are the same as those made at once: the rows are
 * summed in the order of their keys, whatever order they came in.
 *
 * What the statistics of a set of rows replace depends on the model's
 * normalisation (model.h): GLOBAL and SPEAKER take their mean and standard
 * deviation (over all frames of the rows); UTT_MEAN takes the standard
 * deviation of the frames around their own utterance's mean (pooled over
 * the rows), the mean being each utterance's own anyway.
 *
 * The file (ser-formats(5)): text lines, '#' lines are comments except
 *   "# ser adaptation statistics 1 dim D fingerprint HEX16 idct 0|1 trim DB"
 * which comes first (repeated identical lines, as `cat` of two files
 * gives, are allowed; a different one is an error), then
 *   KEY<TAB>GROUP<TAB>FRAMES<TAB>S_1 ... S_D<TAB>Q_1 ... Q_D
 * with KEY and GROUP escaped as ser_tsv_escape writes them (GROUP "-":
 * none), the sums in %.17g (exact round trip), values separated by one
 * space. */
#ifndef SER_ADAPT_H
#define SER_ADAPT_H

#include <stdio.h>
#include "ser.h"
#include "model.h"

#define SER_ADAPT_STD_MIN 1e-5   /* floor of a standard deviation (as training's) */

typedef struct ser_adapt ser_adapt;

/* Statistics for model m's input (dimension, feature fingerprint, inverse
 * DCT, trimming and normalisation mode are taken from it). */
ser_adapt *ser_adapt_new(const ser_model *m, ser_error *err);
void ser_adapt_free(ser_adapt *a);

/* Adds the row of one utterance: x (n, dim) frames in the input domain,
 * n >= 1. group NULL or "": none. Keys are copied; a key given twice is
 * found by ser_adapt_finish. */
int ser_adapt_add(ser_adapt *a, const char *key, const char *group, const float *x, int n,
                  ser_error *err);
size_t ser_adapt_count(const ser_adapt *a);

/* Writes the header and the rows (in key order once finished); SER_EIO
 * on a write error. */
int ser_adapt_write(ser_adapt *a, FILE *f, const char *name, ser_error *err);
/* Appends the rows of a file ("-": stdin); SER_EFORMAT "NAME:LINE: why"
 * for a malformed line, SER_EMISMATCH when the header is of other
 * features or another model input. */
int ser_adapt_read(ser_adapt *a, const char *path, ser_error *err);

/* Sorts the rows by key (SER_EFORMAT for a key twice) and sums them per
 * group and in all. Call after the adds/reads, before ser_adapt_stats. */
int ser_adapt_finish(ser_adapt *a, ser_error *err);
/* The statistics of group (NULL: all rows) for the model's normalisation,
 * into mean and std (dim each). SER_EINVAL if the group has no rows. */
int ser_adapt_stats(const ser_adapt *a, const char *group, float *mean, float *std,
                    ser_error *err);

/* ---- running statistics of a live stream ----
 * Exponentially weighted mean and variance of the input-domain frames,
 * with time constant tau seconds (the weight of a frame decays by 1/e
 * after tau seconds of frames that update), starting from the model's
 * stored statistics. */
typedef struct ser_adapt_run {
	int dim, mode;          /* mode: the model's normalisation */
	double alpha;           /* weight of a new frame */
	double *mu, *var;       /* (dim) running mean and variance */
	float *mean, *std;      /* (dim) their current values as floats */
	long frames;            /* frames seen */
} ser_adapt_run;

/* frame_rate: frames per second of the model's features. */
int ser_adapt_run_init(ser_adapt_run *r, const ser_model *m, double tau, double frame_rate,
                       ser_error *err);
/* Updates with frames x (n, dim) of the input domain; centre NULL: the
 * deviations are taken from the running mean, else from centre (dim; the
 * window's own mean for an UTT_MEAN model). Then mean/std are current. */
void ser_adapt_run_update(ser_adapt_run *r, const float *x, int n, const float *centre);
void ser_adapt_run_free(ser_adapt_run *r);

#endif
