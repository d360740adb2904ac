/* Unit tests of lib/metrics: hand-computed confusion matrices, and scores
 * per group against the same hand-computed values. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "metrics.h"

static void add_n(ser_confusion *c, int t, int p, int k)
{
	while (k-- > 0)
		ser_confusion_add(c, t, p);
}

/* Groups: two hand-computed groups added interleaved, out of name order,
 * then many one-utterance groups (hash table growth). */
static void test_groups(void)
{
	ser_error err;
	ser_groups *g = ser_groups_new(3, &err);
	CHECK(g != NULL, "groups: new over 3 classes");
	CHECK(ser_groups_new(0, &err) == NULL && err.code == SER_EINVAL, "groups: 0 classes refused");
	if (!g)
		return;
	/* "zeta": the 3-class matrix of main (accuracy .6, UAR 1.75/3, macro F1
	 * (.75+4/7+.4)/3). "alpha": truth A A B, pred A B other:
	 *        A  B  C  other
	 *   A    1  1  0  0      recall 1/2
	 *   B    0  0  0  1      recall 0
	 *   C    absent         (left out of this group's UAR)
	 * accuracy 1/3; UAR (1/2 + 0)/2 = 1/4; F1 A 2(1)(1/2)/(3/2) = 2/3,
	 * B 0 (predicted once, never right); macro F1 over A, B = 1/3. */
	static const int zeta[][3] = { {0, 0, 3}, {0, 1, 1}, {1, 1, 2}, {1, 2, 2}, {2, 0, 1}, {2, 2, 1} };
	static const int alpha[][2] = { {0, 0}, {0, 1}, {1, -1} };
	int rc = 0;
	for (int i = 0; i < 6; i++) {
		for (int k = 0; k < zeta[i][2]; k++)
			rc |= ser_groups_add(g, "zeta", zeta[i][0], zeta[i][1], &err);
		if (i < 3)
			rc |= ser_groups_add(g, "alpha", alpha[i][0], alpha[i][1], &err);
	}
	rc |= ser_groups_add(g, "ignored", 3, 0, &err);    /* truth out of range */
	rc |= ser_groups_add(g, "ignored", -1, 0, &err);
	CHECK(rc == 0 && ser_groups_count(g) == 2, "groups: 2 (a truth out of range makes none; got %zu)",
	      ser_groups_count(g));
	ser_group_score out[302];
	ser_group_mean mean;
	ser_groups_score(g, out, &mean);
	CHECK(strcmp(out[0].name, "alpha") == 0 && strcmp(out[1].name, "zeta") == 0, "groups: sorted by name");
	const ser_metrics *a = &out[0].m, *z = &out[1].m;
	CHECK(a->total == 3 && a->correct == 1 && a->other == 1 && z->total == 10 && z->correct == 6,
	      "groups: alpha 1/3 (1 other), zeta 6/10");
	CHECK(check_close(a->accuracy, 1.0 / 3, 1e-12, 0) && check_close(z->accuracy, 0.6, 1e-12, 0),
	      "groups: accuracy 1/3, 0.6 (got %g %g)", a->accuracy, z->accuracy);
	CHECK(a->n_truth == 2 && check_close(a->uar, 0.25, 1e-12, 0), "groups: alpha UAR over its 2 classes 0.25 (got %g over %d)",
	      a->uar, a->n_truth);
	CHECK(z->n_truth == 3 && check_close(z->uar, 1.75 / 3, 1e-12, 0), "groups: zeta UAR 1.75/3 (got %g)", z->uar);
	CHECK(a->n_f1 == 2 && check_close(a->macro_f1, 1.0 / 3, 1e-12, 0)
	      && check_close(z->macro_f1, (0.75 + 4.0 / 7 + 0.4) / 3, 1e-12, 0),
	      "groups: macro F1 1/3, (.75+4/7+.4)/3 (got %g %g)", a->macro_f1, z->macro_f1);
	CHECK(mean.groups == 2 && mean.total == 13 && check_close(mean.accuracy, (1.0 / 3 + 0.6) / 2, 1e-12, 0)
	      && check_close(mean.uar, (0.25 + 1.75 / 3) / 2, 1e-12, 0)
	      && check_close(mean.macro_f1, (1.0 / 3 + (0.75 + 4.0 / 7 + 0.4) / 3) / 2, 1e-12, 0),
	      "groups: mean of rows, unweighted (got %g %g %g)", mean.accuracy, mean.uar, mean.macro_f1);
	/* scoring again gives the same (the scratch matrix is back to zero) */
	ser_group_score again[2];
	ser_groups_score(g, again, NULL);
	CHECK(again[1].m.correct == 6 && again[1].m.total == 10 && again[0].m.total == 3, "groups: scored twice, same counts");

	/* 300 more groups, one utterance each, in reverse order; "" is a name */
	char name[16];
	for (int i = 299; i >= 0 && rc == 0; i--) {
		snprintf(name, sizeof name, "g%03d", i);
		rc |= ser_groups_add(g, name, i % 3, i % 2 ? i % 3 : -1, &err);
	}
	rc |= ser_groups_add(g, "", 0, 0, &err);
	CHECK(rc == 0 && ser_groups_count(g) == 303, "groups: 303 after growth (got %zu)", ser_groups_count(g));
	ser_group_score *big = calloc(303, sizeof *big);
	if (big) {
		ser_groups_score(g, big, &mean);
		int sorted = 1, right = 1;
		for (int i = 1; i < 303; i++)
			sorted &= strcmp(big[i - 1].name, big[i].name) < 0;
		for (int i = 0; i < 300; i++)
			right &= big[2 + i].m.total == 1 && big[2 + i].m.correct == (i % 2);  /* after "", alpha */
		CHECK(sorted && big[0].name[0] == '\0' && strcmp(big[2].name, "g000") == 0
		      && strcmp(big[302].name, "zeta") == 0, "groups: 303 sorted: \"\", alpha, g000..g299, zeta");
		CHECK(right, "groups: each one-utterance group right or wrong as added");
		/* mean accuracy: alpha 1/3, zeta .6, "" 1, 150 of 300 groups 1 */
		CHECK(mean.groups == 303 && mean.total == 314
		      && check_close(mean.accuracy, (1.0 / 3 + 0.6 + 1 + 150) / 303, 1e-12, 0),
		      "groups: mean over 303 rows (got %g)", mean.accuracy);
		free(big);
	}
	ser_groups_free(g);
	ser_groups_free(NULL);
}

int main(void)
{
	ser_error err;
	ser_confusion c;
	ser_metrics s;
	ser_class_metrics q[4];

	CHECK(ser_confusion_init(&c, 0, &err) == SER_EINVAL, "0 classes refused");

	/* 3 classes A B C, rows truth:
	 *        A  B  C  other
	 *   A    3  1  0  0      support 4, recall 3/4
	 *   B    0  2  2  0      support 4, recall 1/2
	 *   C    1  0  1  0      support 2, recall 1/2
	 * predicted: A 4, B 3, C 3; precision 3/4, 2/3, 1/3
	 * accuracy 6/10; UAR (0.75+0.5+0.5)/3 = 0.5833...
	 * F1 A: 2*.75*.75/1.5 = .75; B: 2*(2/3)(1/2)/(7/6) = 4/7;
	 * C: 2*(1/3)(1/2)/(5/6) = 2/5; macro (0.75+4/7+0.4)/3 */
	CHECK(ser_confusion_init(&c, 3, &err) == 0, "init 3 classes");
	add_n(&c, 0, 0, 3); add_n(&c, 0, 1, 1);
	add_n(&c, 1, 1, 2); add_n(&c, 1, 2, 2);
	add_n(&c, 2, 0, 1); add_n(&c, 2, 2, 1);
	ser_confusion_add(&c, 5, 0);   /* truth out of range: ignored */
	ser_metrics_compute(&c, &s, q);
	CHECK(s.total == 10 && s.correct == 6 && s.other == 0, "total 10 correct 6 (got %ld %ld)", s.total, s.correct);
	CHECK(check_close(s.accuracy, 0.6, 1e-12, 0), "accuracy 0.6 (got %.15g)", s.accuracy);
	CHECK(check_close(s.uar, 1.75 / 3, 1e-12, 0), "UAR 0.58333 (got %.15g)", s.uar);
	CHECK(q[0].support == 4 && q[1].support == 4 && q[2].support == 2, "supports 4 4 2");
	CHECK(q[0].predicted == 4 && q[1].predicted == 3 && q[2].predicted == 3, "predicted 4 3 3");
	CHECK(check_close(q[1].precision, 2.0 / 3, 1e-12, 0) && check_close(q[2].precision, 1.0 / 3, 1e-12, 0),
	      "precision B 2/3, C 1/3");
	CHECK(check_close(q[0].f1, 0.75, 1e-12, 0) && check_close(q[1].f1, 4.0 / 7, 1e-12, 0)
	      && check_close(q[2].f1, 0.4, 1e-12, 0), "F1 A .75 B 4/7 C .4 (got %g %g %g)", q[0].f1, q[1].f1, q[2].f1);
	CHECK(check_close(s.macro_f1, (0.75 + 4.0 / 7 + 0.4) / 3, 1e-12, 0), "macro F1 (got %.15g)", s.macro_f1);
	CHECK(s.n_truth == 3 && s.n_f1 == 3, "3 classes present");
	ser_confusion_free(&c);

	/* Absent classes and predictions outside the set, 4 classes:
	 *        A  B  C  D  other
	 *   A    2  0  0  0  2       support 4, recall .5
	 *   B    0  0  0  0  0       absent from truth and predictions
	 *   C    0  0  0  1  0       support 1, recall 0
	 *   D    0  0  0  0  0       absent from truth, predicted once
	 * accuracy 2/5; UAR over A, C = 0.25; precision A 1, C 0 (undefined
	 * -> 0), D 0; F1 A 2*1*.5/1.5 = 2/3, C 0, D 0; macro over A C D = 2/9 */
	CHECK(ser_confusion_init(&c, 4, &err) == 0, "init 4 classes");
	add_n(&c, 0, 0, 2);
	add_n(&c, 0, -1, 1);
	add_n(&c, 0, 4, 1);   /* n means other too */
	add_n(&c, 2, 3, 1);
	CHECK(ser_confusion_at(&c, 0, -1) == 2 && ser_confusion_at(&c, 0, 4) == 2, "other column counts 2");
	ser_metrics_compute(&c, &s, q);
	CHECK(s.total == 5 && s.correct == 2 && s.other == 2, "total 5 correct 2 other 2");
	CHECK(check_close(s.accuracy, 0.4, 1e-12, 0), "accuracy 0.4 (got %g)", s.accuracy);
	CHECK(s.n_truth == 2 && check_close(s.uar, 0.25, 1e-12, 0), "UAR over 2 present classes 0.25 (got %g over %d)", s.uar, s.n_truth);
	CHECK(q[0].precision == 1.0 && q[2].precision == 0.0 && q[1].recall == 0.0, "precision A 1, undefined -> 0");
	CHECK(s.n_f1 == 3 && check_close(s.macro_f1, 2.0 / 9, 1e-12, 0), "macro F1 over A C D = 2/9 (got %g over %d)", s.macro_f1, s.n_f1);
	ser_confusion_free(&c);

	/* Empty matrix: everything 0, no NaN. */
	CHECK(ser_confusion_init(&c, 2, &err) == 0, "init 2 classes");
	ser_metrics_compute(&c, &s, NULL);
	CHECK(s.total == 0 && s.accuracy == 0 && s.uar == 0 && s.macro_f1 == 0, "empty: zeros");
	ser_confusion_free(&c);

	test_groups();
	return check_status();
}
