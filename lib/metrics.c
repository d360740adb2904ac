/* Classification metrics: confusion matrix and the scores derived from it.
 * Rules in metrics.h. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "featio.h"   /* ser_fingerprint: the hash of group names */

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

/* ---- scores per group ---- */

typedef struct group {
	char *name;
	int (*tp)[2];     /* (n) (truth, prediction) pairs */
	size_t n, cap;
} group;

struct ser_groups {
	ser_confusion cm; /* scratch matrix, all zero between calls */
	group *g;         /* (n) groups in order of first use */
	size_t n, cap;
	size_t *slot;     /* (nslot) hash table: group index + 1, 0 = empty */
	size_t nslot;     /* power of 2, >= 2 n */
};

ser_groups *ser_groups_new(int n, ser_error *err)
{
	ser_groups *g = calloc(1, sizeof *g);
	if (!g) {
		ser_seterr(err, SER_ENOMEM, "groups: out of memory");
		return NULL;
	}
	if (ser_confusion_init(&g->cm, n, err) < 0) {
		free(g);
		return NULL;
	}
	return g;
}

static size_t slot_of(const ser_groups *g, const char *name)
{
	return (size_t)ser_fingerprint(name, strlen(name)) & (g->nslot - 1);
}

static int grow_slots(ser_groups *g)
{
	size_t ns = g->nslot ? 2 * g->nslot : 64;
	size_t *s = calloc(ns, sizeof *s);
	if (!s)
		return -1;
	free(g->slot);
	g->slot = s;
	g->nslot = ns;
	for (size_t i = 0; i < g->n; i++) {
		size_t j = slot_of(g, g->g[i].name);
		while (g->slot[j])
			j = (j + 1) & (ns - 1);
		g->slot[j] = i + 1;
	}
	return 0;
}

/* The group called name, created if new; NULL when out of memory. */
static group *find_group(ser_groups *g, const char *name)
{
	if (2 * (g->n + 1) > g->nslot && grow_slots(g) < 0)
		return NULL;
	size_t j = slot_of(g, name);
	for (; g->slot[j]; j = (j + 1) & (g->nslot - 1))
		if (strcmp(g->g[g->slot[j] - 1].name, name) == 0)
			return &g->g[g->slot[j] - 1];
	if (g->n == g->cap) {
		size_t nc = g->cap ? 2 * g->cap : 16;
		group *ng = realloc(g->g, nc * sizeof *ng);
		if (!ng)
			return NULL;
		g->g = ng;
		g->cap = nc;
	}
	group *r = &g->g[g->n];
	*r = (group){0};
	if (!(r->name = strdup(name)))
		return NULL;
	g->slot[j] = ++g->n;
	return r;
}

int ser_groups_add(ser_groups *g, const char *name, int truth, int pred, ser_error *err)
{
	if (truth < 0 || truth >= g->cm.n)
		return SER_OK;
	group *r = find_group(g, name);
	if (r && r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 16;
		int (*ntp)[2] = realloc(r->tp, nc * sizeof *ntp);
		if (ntp) {
			r->tp = ntp;
			r->cap = nc;
		} else {
			r = NULL;
		}
	}
	if (!r)
		return ser_seterr(err, SER_ENOMEM, "groups: out of memory");
	r->tp[r->n][0] = truth;
	r->tp[r->n][1] = pred;
	r->n++;
	return SER_OK;
}

size_t ser_groups_count(const ser_groups *g)
{
	return g->n;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const ser_group_score *)a)->name, ((const ser_group_score *)b)->name);
}

void ser_groups_score(ser_groups *g, ser_group_score *out, ser_group_mean *mean)
{
	ser_confusion *c = &g->cm;
	size_t cells = (size_t)c->n * (size_t)(c->n + 1);
	for (size_t i = 0; i < g->n; i++) {
		const group *r = &g->g[i];
		for (size_t k = 0; k < r->n; k++)
			ser_confusion_add(c, r->tp[k][0], r->tp[k][1]);
		out[i].name = r->name;
		ser_metrics_compute(c, &out[i].m, NULL);
		memset(c->m, 0, cells * sizeof *c->m);  /* same cost as the compute */
	}
	if (g->n > 1)
		qsort(out, g->n, sizeof *out, by_name);
	if (!mean)
		return;
	ser_group_mean s = {0};
	s.groups = g->n;
	for (size_t i = 0; i < g->n; i++) {
		s.total += out[i].m.total;
		s.accuracy += out[i].m.accuracy;
		s.uar += out[i].m.uar;
		s.macro_f1 += out[i].m.macro_f1;
	}
	if (g->n) {
		s.accuracy /= (double)g->n;
		s.uar /= (double)g->n;
		s.macro_f1 /= (double)g->n;
	}
	*mean = s;
}

void ser_groups_free(ser_groups *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		free(g->g[i].name);
		free(g->g[i].tp);
	}
	free(g->g);
	free(g->slot);
	ser_confusion_free(&g->cm);
	free(g);
}
