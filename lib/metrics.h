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
 *   scikit-learn's f1_score(average="macro") without labels=).
 * - Per group (ser_groups: a corpus, a speaker): each group has its own
 *   matrix and the rules above apply to it alone, so a group's UAR is the
 *   mean recall over the classes present in that group's truth. The mean
 *   over groups is the unweighted mean of the groups' scores. */
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

/* ---- scores per group ----
 * Utterances counted under a group name (a corpus, a speaker); each group
 * is scored by ser_metrics_compute on its own matrix. Storage is one
 * (truth, prediction) pair per utterance, so memory does not grow with
 * groups x classes^2. */
typedef struct ser_groups ser_groups;

typedef struct ser_group_score {
	const char *name;  /* owned by the ser_groups, valid until it is freed */
	ser_metrics m;     /* the group's scores */
} ser_group_score;

typedef struct ser_group_mean {
	size_t groups;     /* rows averaged */
	long total;        /* utterances over all groups */
	double accuracy, uar, macro_f1;  /* unweighted means over the groups (0 if none) */
} ser_group_mean;

/* An empty set of groups over n >= 1 classes (as ser_confusion_init). */
ser_groups *ser_groups_new(int n, ser_error *err);
/* Counts one utterance in group name (any non-NULL string, "" included;
 * copied): truth in [0, n), pred in [0, n) or -1 (other), as
 * ser_confusion_add. A truth out of range is ignored. SER_ENOMEM. */
int ser_groups_add(ser_groups *g, const char *name, int truth, int pred, ser_error *err);
/* Number of groups with at least one utterance. */
size_t ser_groups_count(const ser_groups *g);
/* Scores every group into out[0 .. count-1] (a caller array of
 * ser_groups_count(g) entries), sorted by name (bytewise, strcmp), and, if
 * mean is not NULL, their unweighted mean. Never fails. */
void ser_groups_score(ser_groups *g, ser_group_score *out, ser_group_mean *mean);
void ser_groups_free(ser_groups *g);

#endif
