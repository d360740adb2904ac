/* Classification metrics: confusion matrix and the scores derived from it.
 * Rules in metrics.h. */
#include "metrics.h"

#include <stdlib.h>

int ser_confusion_init(ser_confusion *c, int n, ser_error *err)
{
	c->n = 0;
	c->m = NULL;
	if (n < 1 || n > 1 << 16)
		return ser_seterr(err, SER_EINVAL, "confusion matrix: %d classes (need 1..65536)", n);
	c->m = calloc((size_t)n * (size_t)(n + 1), sizeof *c->m);
	if (!c->m)
		return ser_seterr(err, SER_ENOMEM, "confusion matrix: out of memory");
	c->n = n;
	return SER_OK;
}

void ser_confusion_add(ser_confusion *c, int truth, int pred)
{
	if (truth < 0 || truth >= c->n)
		return;
	if (pred < 0 || pred >= c->n)
		pred = c->n;
	c->m[(size_t)truth * (size_t)(c->n + 1) + (size_t)pred]++;
}

long ser_confusion_at(const ser_confusion *c, int t, int p)
{
	if (t < 0 || t >= c->n)
		return 0;
	if (p < 0 || p > c->n)
		p = c->n;
	return c->m[(size_t)t * (size_t)(c->n + 1) + (size_t)p];
}

void ser_confusion_free(ser_confusion *c)
{
	free(c->m);
	c->m = NULL;
	c->n = 0;
}

static double ratio(long a, long b)
{
	return b > 0 ? (double)a / (double)b : 0.0;
}

void ser_metrics_compute(const ser_confusion *c, ser_metrics *out, ser_class_metrics *cls)
{
	int n = c->n;
	double rsum = 0, fsum = 0;
	ser_metrics s = {0};
	for (int k = 0; k < n; k++) {
		ser_class_metrics q = {0};
		for (int p = 0; p <= n; p++)
			q.support += ser_confusion_at(c, k, p);
		for (int t = 0; t < n; t++)
			q.predicted += ser_confusion_at(c, t, k);
		q.correct = ser_confusion_at(c, k, k);
		q.precision = ratio(q.correct, q.predicted);
		q.recall = ratio(q.correct, q.support);
		q.f1 = q.precision + q.recall > 0
		     ? 2 * q.precision * q.recall / (q.precision + q.recall) : 0.0;
		s.total += q.support;
		s.correct += q.correct;
		s.other += ser_confusion_at(c, k, n);
		if (q.support > 0) {
			s.n_truth++;
			rsum += q.recall;
		}
		if (q.support > 0 || q.predicted > 0) {
			s.n_f1++;
			fsum += q.f1;
		}
		if (cls)
			cls[k] = q;
	}
	s.accuracy = ratio(s.correct, s.total);
	s.uar = s.n_truth ? rsum / s.n_truth : 0.0;
	s.macro_f1 = s.n_f1 ? fsum / s.n_f1 : 0.0;
	*out = s;
}
