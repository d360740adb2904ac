/* Classification metrics for libser: confusion matrix, accuracy,
 * unweighted average recall (UAR), per-class precision/recall/F1, macro F1.
 *
 * Rules (also in ser-eval(1)):
 * - The matrix has n rows (true class) and n+1 columns (predicted class;
 *   column n counts predictions outside the class set, "other"). Such
 *   predictions are errors: they count in the row's support and lower
 *   its recall, and belong to no class's precision.
 * - accuracy = trace / total (0 when total = 0).
 * - recall_c = m[c][c] / support_c; precision_c = m[c][c] / predicted_c;
 *   F1_c = 2 P R / (P + R). Each is 0 when its denominator is 0.
 * - UAR = mean of recall_c over classes with support_c > 0 (classes absent
 *   from the truth are left out, not counted as 0).
 * - macro F1 = mean of F1_c over classes with support_c > 0 or
 *   predicted_c > 0 (classes in the truth or in the predictions, as
 *   scikit-learn's f1_score(average="macro") without labels=). */
#ifndef SER_METRICS_H
#define SER_METRICS_H

#include "ser.h"

typedef struct ser_confusion {
	int n;      /* classes */
	long *m;    /* (n, n+1) counts, row = truth, column = prediction, n = other */
} ser_confusion;

/* Allocates a zeroed matrix for n >= 1 classes. */
int ser_confusion_init(ser_confusion *c, int n, ser_error *err);
/* Counts one utterance: truth in [0, n), pred in [0, n) or -1 (other). */
void ser_confusion_add(ser_confusion *c, int truth, int pred);
/* Count in row t, column p (p = -1 or n: other). */
long ser_confusion_at(const ser_confusion *c, int t, int p);
void ser_confusion_free(ser_confusion *c);

typedef struct ser_class_metrics {
	long support;      /* utterances of this true class (row sum incl. other) */
	long predicted;    /* utterances predicted as this class (column sum) */
	long correct;      /* diagonal */
	double precision, recall, f1;
} ser_class_metrics;

typedef struct ser_metrics {
	long total;        /* utterances counted */
	long correct;      /* trace */
	long other;        /* predictions outside the class set */
	int n_truth;       /* classes with support > 0 (UAR denominator) */
	int n_f1;          /* classes in truth or predictions (macro F1 denominator) */
	double accuracy, uar, macro_f1;
} ser_metrics;

/* Computes the summary into *out and, if cls is not NULL, per-class
 * values into cls[0..n-1]. */
void ser_metrics_compute(const ser_confusion *c, ser_metrics *out, ser_class_metrics *cls);

#endif
