/* Unit tests of lib/metrics: hand-computed confusion matrices. */
#include "check.h"
#include "metrics.h"

static void add_n(ser_confusion *c, int t, int p, int k)
{
	while (k-- > 0)
		ser_confusion_add(c, t, p);
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
	return check_status();
}
