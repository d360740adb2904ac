/* The training loop (see train.h). */
#include "train.h"
#include "classify.h"
#include "metrics.h"
#include "outfile.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Per-corpus targets (loss_classes, SER_CW_CORPUS): which classes each
 * corpus (ser_utt.group) has, the weight of each (corpus, class) pair, and
 * the batch's class mask and sample weights made from them. */
typedef struct corpus_targets {
	int ncls;
	unsigned char has[SER_CORPUS_COUNT][SER_CLASSES_MAX]; /* class seen in the corpus */
	float cell_w[SER_CORPUS_COUNT][SER_CLASSES_MAX];      /* (corpus, class) weight */
	int masked;            /* the loss is over each corpus's classes */
	int weighted;          /* samples weighted by cell_w */
	unsigned char *mask;   /* (batch, ncls) */
	float *w;              /* (batch) */
} corpus_targets;

struct ser_trainer {
	const ser_dataset *ds;
	ser_model *m;
	ser_train_opts o;
	int ncls;
	long count[3];           /* utterances per part */
	long *ncount[3];         /* (ncls) per class of each part */
	float *cw;               /* (ncls) balanced class weights, or NULL */
	corpus_targets ct;
	ser_optim *opt;
	ser_optim *aopt;         /* opts.adversary: the adversary's optimiser */
	int *alab, *ya;          /* (ds->n) each utterance's adversary class, (batch) the batch's */
	double adv_sum;          /* this epoch's adversary loss * B, and samples right */
	long adv_ok;
	ser_lr_sched ls;
	ser_clf *clf;            /* validation */
	ser_rng rng;
	int C, T;                /* batch input (B, C, T) */
	float *x, *xm, *work, *best;
	int *y, *y2, *bidx, *perm, *order;
	long nbatch;             /* batches per epoch */
	long *bstart;            /* (nbatch + 1) where each batch starts in order */
	long *gkey;              /* opts.batch_by: (2 * ntrain) sort pairs (group, place), */
	int *gtmp, *gperm;       /* (ntrain) the order being arranged, (nbatch) the batches */
	long *gfrom, *glen;      /* (nbatch) shuffled, and where each starts in gtmp, its length */
	float *vin;              /* pooled vectors: (ds->n, dim) model inputs, made once */
	int *vlab;               /* (ds->n) their labels */
	long step, done, best_epoch;
	long avg_step0;          /* opts.average_from: steps before the averaged ones */
	double best_uar;
	ser_train_eval best_ev;
	const char *stopped;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int ser_text_vprintf(ser_text *t, const char *fmt, va_list ap)
{
	va_list aq;
	int k;
	va_copy(aq, ap);
	k = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (k < 0)
		return SER_EINVAL;
	if (t->n + (size_t)k + 1 > t->cap) {
		size_t nc = t->cap ? t->cap : 1024;
		char *s;
		while (nc < t->n + (size_t)k + 1)
			nc *= 2;
		if (!(s = realloc(t->s, nc)))
			return SER_ENOMEM;
		t->s = s;
		t->cap = nc;
	}
	vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
	t->n += (size_t)k;
	return 0;
}

int ser_text_printf(ser_text *t, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = ser_text_vprintf(t, fmt, ap);
	va_end(ap);
	return rc;
}

static int corpus_targets_init(corpus_targets *ct, const ser_dataset *ds, int ncls, int losscls,
                               int cw_corpus, long batch)
{
	long count[SER_CORPUS_COUNT][SER_CLASSES_MAX] = { { 0 } };
	long ntrain = 0, cells = 0;
	int used[SER_CORPUS_COUNT] = { 0 };
	memset(ct, 0, sizeof *ct);
	ct->ncls = ncls;
	for (size_t i = 0; i < ds->n; i++) {
		const ser_utt *u = &ds->u[i];
		ct->has[u->group][u->label] = 1;
		used[u->group] = 1;
		if (u->part == SER_PART_TRAIN) {
			cells += count[u->group][u->label]++ == 0;
			ntrain++;
		}
	}
	for (int g = 0; g < SER_CORPUS_COUNT; g++)
		for (int c = 0; c < ncls; c++) {
			ct->masked |= losscls && used[g] && !ct->has[g][c];
			ct->cell_w[g][c] = count[g][c] ? (float)((double)ntrain / ((double)cells * count[g][c]))
			                               : 0.0f;
		}
	ct->weighted = cw_corpus;
	ct->mask = calloc((size_t)batch * ncls, 1);
	ct->w = calloc((size_t)batch, sizeof *ct->w);
	return ct->mask && ct->w ? 0 : SER_ENOMEM;
}

/* The mask rows and weights of batch idx[0..B); with mixup (perm) a row
 * allows the classes of both samples' corpora. */
static void corpus_targets_fill(corpus_targets *ct, const ser_dataset *ds, const int *idx,
                                const int *perm, int B)
{
	for (int b = 0; b < B; b++) {
		const ser_utt *u = &ds->u[idx[b]];
		const ser_utt *v = perm ? &ds->u[idx[perm[b]]] : u;
		for (int c = 0; c < ct->ncls; c++)
			ct->mask[(size_t)b * ct->ncls + c] = ct->has[u->group][c] | ct->has[v->group][c];
		ct->w[b] = ct->cell_w[u->group][u->label];
	}
}

int ser_train_masked(const ser_trainer *t) { return t->ct.masked; }

int ser_train_one_class_corpus(const ser_trainer *t)
{
	for (int g = 0; t->ct.masked && g < SER_CORPUS_COUNT; g++) {
		int k = 0;
		for (int c = 0; c < t->ncls; c++)
			k += t->ct.has[g][c];
		if (k == 1)
			return g;
	}
	return -1;
}

/* The corpora and their classes. */
static int record_corpora(const corpus_targets *ct, const ser_classes *cls, ser_text *rec)
{
	int rc = 0;
	if (!ct->masked)
		return 0;
	rc |= ser_text_printf(rec, "loss classes: per corpus:");
	for (int g = 0; g < SER_CORPUS_COUNT; g++) {
		const char *sep = "=";
		int any = 0;
		for (int c = 0; c < ct->ncls; c++)
			any |= ct->has[g][c];
		if (!any)
			continue;
		rc |= ser_text_printf(rec, " %s", ser_corpus_name(g));
		for (int c = 0; c < ct->ncls; c++)
			if (ct->has[g][c]) {
				rc |= ser_text_printf(rec, "%s%s", sep, cls->name[c]);
				sep = ",";
			}
	}
	return rc | ser_text_printf(rec, "\n");
}

int ser_train_record(const ser_trainer *t, const ser_classes *cls, long skipped, ser_text *rec)
{
	static const char *const pname[] = { "train", "validation", "excluded" };
	const ser_dataset *ds = t->ds;
	int rc = record_corpora(&t->ct, cls, rec);
	rc |= ser_text_printf(rec, "data: %ld train, %ld validation, %ld excluded, %ld skipped\n",
	                      t->count[SER_PART_TRAIN], t->count[SER_PART_VAL],
	                      t->count[SER_PART_EXCLUDED], skipped);
	rc |= ser_text_printf(rec, "classes (train/validation):");
	for (int c = 0; c < t->ncls; c++)
		rc |= ser_text_printf(rec, " %s=%ld/%ld", cls->name[c], t->ncount[SER_PART_TRAIN][c],
		                      t->ncount[SER_PART_VAL][c]);
	for (int part = 0; part < 3; part++) {
		int any = 0;
		rc |= ser_text_printf(rec, "\n%s speakers:", pname[part]);
		for (int s = 0; s < ds->nspk; s++) {
			int has = 0;
			for (size_t i = 0; i < ds->n && !has; i++)
				has = ds->u[i].speaker == s && ds->u[i].part == part;
			if (has) {
				rc |= ser_text_printf(rec, "%s%s", any ? "," : " ", ds->spk[s]);
				any = 1;
			}
		}
		if (!any)
			rc |= ser_text_printf(rec, " -");
	}
	return rc | ser_text_printf(rec, "\n");
}

long ser_train_count(const ser_trainer *t, int part) { return t->count[part]; }
const long *ser_train_class_count(const ser_trainer *t, int part) { return t->ncount[part]; }

/* Balanced class weights: ntrain / (classes present * count). */
static float *balanced_weights(const long *n, int ncls, long ntrain)
{
	float *cw = calloc((size_t)ncls, sizeof *cw);
	int present = 0;
	if (!cw)
		return NULL;
	for (int c = 0; c < ncls; c++)
		present += n[c] > 0;
	for (int c = 0; c < ncls; c++)
		cw[c] = n[c] ? (float)((double)ntrain / ((double)present * n[c])) : 1.0f;
	return cw;
}

/* The group of utterance i for opts.batch_by. */
static long group_of(const ser_trainer *t, int i)
{
	const ser_utt *u = &t->ds->u[i];
	return t->o.batch_by == SER_BATCH_SPEAKER ? u->speaker : u->group;
}

static int by_group_then_place(const void *x, const void *y)
{
	const long *a = x, *b = y;
	return a[0] != b[0] ? (a[0] < b[0] ? -1 : 1) : (a[1] > b[1]) - (a[1] < b[1]);
}

static int by_long(const void *x, const void *y)
{
	long a = *(const long *)x, b = *(const long *)y;
	return (a > b) - (a < b);
}

/* The batches of an epoch: ceil(ntrain / batch), or with opts.batch_by the
 * sum of ceil(n / batch) over the groups; -1 out of memory. */
static long count_batches(const ser_trainer *t)
{
	long n = t->count[SER_PART_TRAIN], B = t->o.batch, nb = 0, k = 0;
	if (!t->o.batch_by || !n)
		return (n + B - 1) / B;
	long *key = malloc((size_t)n * sizeof *key);
	if (!key)
		return -1;
	for (size_t i = 0; i < t->ds->n; i++)
		if (t->ds->u[i].part == SER_PART_TRAIN)
			key[k++] = group_of(t, (int)i);
	qsort(key, (size_t)n, sizeof *key, by_long);
	for (long a = 0, b; a < n; a = b) {
		for (b = a; b < n && key[b] == key[a]; b++)
			;
		nb += (b - a + B - 1) / B;
	}
	free(key);
	return nb;
}

/* With opts.batch_by, after the shuffle: each group's utterances (in their
 * shuffled order) cut into ceil(n / batch) batches of near-equal size, the
 * batches shuffled, t->order and t->bstart rewritten. */
static void arrange_groups(ser_trainer *t)
{
	long n = t->count[SER_PART_TRAIN], B = t->o.batch, nb = 0, at = 0;
	for (long k = 0; k < n; k++) {
		t->gkey[2 * k] = group_of(t, t->order[k]);
		t->gkey[2 * k + 1] = k;
	}
	qsort(t->gkey, (size_t)n, 2 * sizeof *t->gkey, by_group_then_place);
	for (long k = 0; k < n; k++)
		t->gtmp[k] = t->order[t->gkey[2 * k + 1]];
	/* the batches in group order: where each starts in gtmp, its length */
	for (long a = 0, b; a < n; a = b) {
		for (b = a; b < n && t->gkey[2 * b] == t->gkey[2 * a]; b++)
			;
		long m = b - a, parts = (m + B - 1) / B;
		for (long p = 0; p < parts; p++, nb++) {
			t->gfrom[nb] = at;
			t->glen[nb] = m / parts + (p < m % parts);
			at += t->glen[nb];
		}
	}
	for (long p = 0; p < nb; p++)
		t->gperm[p] = (int)p;
	ser_rng_shuffle(&t->rng, t->gperm, (size_t)nb);
	t->bstart[0] = 0;
	for (long p = 0; p < nb; p++) {
		long q = t->gperm[p];
		memcpy(t->order + t->bstart[p], t->gtmp + t->gfrom[q], (size_t)t->glen[q] * sizeof *t->order);
		t->bstart[p + 1] = t->bstart[p] + t->glen[q];
	}
}

/* The adversary's classes: the corpora (or speakers) of the training
 * part, numbered 0..nadv-1 in the order of their indices; other
 * parts' utterances -1. Then the adversary and its optimiser. */
static int setup_adversary(ser_trainer *t, ser_error *err)
{
	const ser_dataset *ds = t->ds;
	int speaker = t->o.adversary == SER_ADV_SPEAKER;
	long nkey = speaker ? ds->nspk : SER_CORPUS_COUNT;
	int *id = malloc((size_t)(nkey > 0 ? nkey : 1) * sizeof *id);
	int rc, nadv = 0;
	if (!id || !(t->alab = malloc((ds->n ? ds->n : 1) * sizeof *t->alab)) ||
	    !(t->ya = calloc((size_t)t->o.batch, sizeof *t->ya))) {
		free(id);
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	}
	for (long k = 0; k < nkey; k++)
		id[k] = -1;
	/* numbered in key order, so the classes do not depend on file order */
	for (size_t i = 0; i < ds->n; i++) {
		int key = speaker ? ds->u[i].speaker : ds->u[i].group;
		if (ds->u[i].part == SER_PART_TRAIN && key >= 0 && key < nkey)
			id[key] = 0;
	}
	for (long k = 0; k < nkey; k++)
		if (id[k] == 0)
			id[k] = nadv++;
	for (size_t i = 0; i < ds->n; i++) {
		int key = speaker ? ds->u[i].speaker : ds->u[i].group;
		t->alab[i] = key >= 0 && key < nkey ? id[key] : -1;
		if (ds->u[i].part == SER_PART_TRAIN && t->alab[i] < 0) {
			free(id);
			return ser_seterr(err, SER_EINVAL, "--adversary %s: %s has no %s", speaker ?
			                  "speaker" : "corpus", ds->u[i].key, speaker ? "speaker" : "corpus");
		}
	}
	free(id);
	if (nadv < 2)
		return ser_seterr(err, SER_EINVAL, "--adversary %s: the training data has %d %s; it "
		                  "needs two or more", speaker ? "speaker" : "corpus", nadv,
		                  speaker ? "speaker" : "corpus");
	if ((rc = ser_net_set_adversary(t->m->net, nadv, t->o.adv_hidden, err)) < 0)
		return rc;
	ser_net_adversary_init(t->m->net, ser_rng_mix(t->o.seed, 0xad7e5a));
	if (!(t->aopt = ser_optim_new(&t->o.optim, ser_net_adversary_nparams(t->m->net), err)))
		return err ? err->code : SER_ENOMEM;
	return 0;
}

/* Counts, class weights, corpus targets, optimiser and schedule. */
static int setup_targets(ser_trainer *t, ser_error *err)
{
	const ser_dataset *ds = t->ds;
	const ser_train_opts *o = &t->o;
	size_t ntrainable = ser_net_ntrainable(t->m->net);
	long steps_per_epoch;
	for (int p = 0; p < 3; p++) {
		if (!(t->ncount[p] = calloc((size_t)t->ncls, sizeof *t->ncount[p])))
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		ser_ds_class_counts(ds, p, t->ncls, t->ncount[p]);
	}
	for (size_t i = 0; i < ds->n; i++)
		t->count[ds->u[i].part]++;
	if (o->class_weights == SER_CW_BALANCED &&
	    !(t->cw = balanced_weights(t->ncount[SER_PART_TRAIN], t->ncls, t->count[SER_PART_TRAIN])))
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	if (corpus_targets_init(&t->ct, ds, t->ncls, o->loss_classes,
	                        o->class_weights == SER_CW_CORPUS, o->batch) < 0)
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	ser_net_freeze(t->m->net, o->p0);
	if (!(t->opt = ser_optim_new(&o->optim, ntrainable - o->p0, err)))
		return err ? err->code : SER_ENOMEM;
	if (o->adversary && setup_adversary(t, err) < 0)
		return err ? err->code : SER_ENOMEM;
	if ((t->nbatch = steps_per_epoch = count_batches(t)) < 0)
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	t->ls.kind = o->sched;
	t->ls.lr = o->optim.lr;
	t->ls.total = steps_per_epoch * o->epochs;
	t->ls.warmup = o->sched == SER_LR_COSINE ? steps_per_epoch : 0;
	t->ls.gamma = 0.1f;
	return 0;
}

/* Batch buffers, the training order, the pooled inputs made once (no
 * crop, no SpecAugment, no draw from rng: each batch only gathers rows). */
static int setup_buffers(ser_trainer *t, ser_error *err)
{
	const ser_dataset *ds = t->ds;
	const ser_train_opts *o = &t->o;
	long ntrain = t->count[SER_PART_TRAIN], k = 0;
	int vector = t->m->layout == SER_LAYOUT_VECTOR, mix = o->mixup > 0;
	size_t in = (size_t)o->batch * (size_t)t->C * (size_t)t->T;
	t->x = calloc(in, sizeof *t->x);
	t->work = calloc(((size_t)o->crop + 1) * ds->dim, sizeof *t->work);
	t->best = calloc(ser_net_nparams(t->m->net), sizeof *t->best);
	t->y = calloc((size_t)o->batch, sizeof *t->y);
	t->bidx = calloc((size_t)o->batch, sizeof *t->bidx);
	t->y2 = mix ? calloc((size_t)o->batch, sizeof *t->y2) : NULL;
	t->perm = mix ? calloc((size_t)o->batch, sizeof *t->perm) : NULL;
	t->xm = mix ? calloc(in, sizeof *t->xm) : NULL;
	t->order = calloc(ntrain ? (size_t)ntrain : 1, sizeof *t->order);
	t->bstart = calloc((size_t)t->nbatch + 1, sizeof *t->bstart);
	if (o->batch_by) {
		t->gkey = calloc(2 * (size_t)ntrain + 1, sizeof *t->gkey);
		t->gtmp = calloc((size_t)ntrain + 1, sizeof *t->gtmp);
		t->gperm = calloc((size_t)t->nbatch + 1, sizeof *t->gperm);
		t->gfrom = calloc((size_t)t->nbatch + 1, sizeof *t->gfrom);
		t->glen = calloc((size_t)t->nbatch + 1, sizeof *t->glen);
	}
	t->vin = vector ? calloc(ds->n * ds->dim, sizeof *t->vin) : NULL;
	t->vlab = vector ? calloc(ds->n, sizeof *t->vlab) : NULL;
	if (!t->x || !t->work || !t->best || !t->y || !t->bidx || !t->order || !t->bstart ||
	    (o->batch_by && (!t->gkey || !t->gtmp || !t->gperm || !t->gfrom || !t->glen)) ||
	    (mix && (!t->y2 || !t->perm || !t->xm)) || (vector && (!t->vin || !t->vlab)))
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	if (!(t->clf = ser_clf_new(t->m, err)))
		return err ? err->code : SER_ENOMEM;
	for (size_t i = 0; i < ds->n; i++)
		if (ds->u[i].part == SER_PART_TRAIN)
			t->order[k++] = (int)i;
	for (long b = 0; b <= t->nbatch; b++)   /* arrange_groups rewrites them */
		t->bstart[b] = b < t->nbatch ? b * o->batch : ntrain;
	for (k = 0; vector && k < ntrain; k++) {
		int i = t->order[k];
		if (ser_ds_batch(ds, t->m, &i, 1, (int)o->crop, NULL, &o->sa, NULL,
		                 t->vin + (size_t)i * ds->dim, t->vlab + i, t->work, err) < 0)
			return err ? err->code : SER_EINVAL;
	}
	return 0;
}

ser_trainer *ser_train_new(const ser_dataset *ds, ser_model *m, const ser_train_opts *o,
                           ser_error *err)
{
	ser_trainer *t = calloc(1, sizeof *t);
	if (!t) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	t->ds = ds;
	t->m = m;
	t->o = *o;
	t->ncls = m->n_classes;
	t->C = m->layout == SER_LAYOUT_VECTOR ? 1 : (int)ds->dim;
	t->T = m->layout == SER_LAYOUT_VECTOR ? (int)ds->dim : (int)o->crop;
	t->best_uar = -1;
	t->best_ev.loss = t->best_ev.acc = t->best_ev.uar = NAN;
	t->stopped = "completed";
	if (setup_targets(t, err) < 0 || setup_buffers(t, err) < 0) {
		ser_train_free(t);
		return NULL;
	}
	if (o->average_from > 0)
		t->avg_step0 = (o->average_from - 1) * t->nbatch;
	ser_rng_seed(&t->rng, ser_rng_mix(o->seed, 0x5e7da7a));
	return t;
}

void ser_train_free(ser_trainer *t)
{
	if (!t)
		return;
	ser_clf_free(t->clf);
	ser_optim_free(t->opt);
	ser_optim_free(t->aopt);
	if (t->o.adversary)   /* the net outlives the trainer: its adversary does not */
		ser_net_set_adversary(t->m->net, 0, 0, NULL);
	free(t->alab);
	free(t->ya);
	for (int p = 0; p < 3; p++)
		free(t->ncount[p]);
	free(t->cw);
	free(t->ct.mask);
	free(t->ct.w);
	free(t->x);
	free(t->xm);
	free(t->work);
	free(t->best);
	free(t->y);
	free(t->y2);
	free(t->bidx);
	free(t->perm);
	free(t->order);
	free(t->bstart);
	free(t->gkey);
	free(t->gtmp);
	free(t->gperm);
	free(t->gfrom);
	free(t->glen);
	free(t->vin);
	free(t->vlab);
	free(t);
}

/* Validation pass over part VAL, one utterance at a time (eval mode); an
 * error names the utterance. */
static int evaluate(ser_trainer *t, ser_train_eval *ev, ser_error *err)
{
	const ser_dataset *ds = t->ds;
	ser_confusion cm;
	ser_metrics mt;
	ser_error e2;
	float *p = calloc((size_t)t->ncls, sizeof *p);
	double loss = 0;
	int rc = 0;
	memset(ev, 0, sizeof *ev);
	if (!p)
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	if ((rc = ser_confusion_init(&cm, t->ncls, err)) < 0) {
		free(p);
		return rc;
	}
	for (size_t i = 0; i < ds->n && rc == 0; i++) {
		const ser_utt *u = &ds->u[i];
		if (u->part != SER_PART_VAL)
			continue;
		ser_clf_set_norm(t->clf, u->nmean, u->nstd);   /* its speaker's (--norm speaker) */
		if ((rc = ser_clf_run_utt(t->clf, u->x, u->n, p, &e2)) < 0) {
			ser_seterr(err, rc, "%s: %s", u->key, e2.msg[0] ? e2.msg : ser_strerror(rc));
			break;
		}
		loss -= log(p[u->label] > 1e-12f ? p[u->label] : 1e-12);
		ser_confusion_add(&cm, u->label, ser_clf_argmax(p, t->ncls));
		ev->n++;
	}
	ser_clf_set_norm(t->clf, NULL, NULL);
	ser_metrics_compute(&cm, &mt, NULL);
	ev->loss = ev->n ? loss / ev->n : NAN;
	ev->acc = mt.accuracy;
	ev->uar = mt.uar;
	ser_confusion_free(&cm);
	free(p);
	return rc;
}

/* Mixup: sample b with sample perm[b], one weight per batch. */
static void mixup(ser_trainer *t, int B, int Tb, float *lam)
{
	size_t per = (size_t)t->C * (size_t)Tb;
	*lam = (float)ser_rng_beta(&t->rng, t->o.mixup, t->o.mixup);
	for (int b = 0; b < B; b++)
		t->perm[b] = b;
	ser_rng_shuffle(&t->rng, t->perm, (size_t)B);
	for (int b = 0; b < B; b++) {
		const float *p1 = t->x + b * per, *p2 = t->x + t->perm[b] * per;
		for (size_t k = 0; k < per; k++)
			t->xm[b * per + k] = *lam * p1[k] + (1 - *lam) * p2[k];
		t->y2[b] = t->y[t->perm[b]];
	}
}

/* The batch order[s0..s0+B) into x, y; returns its T. */
static int gather(ser_trainer *t, long s0, int B, ser_error *err)
{
	const ser_dataset *ds = t->ds;
	memcpy(t->bidx, t->order + s0, (size_t)B * sizeof *t->bidx);
	if (!t->vin)
		return ser_ds_batch(ds, t->m, t->bidx, B, (int)t->o.crop, t->o.aug, &t->o.sa, &t->rng,
		                    t->x, t->y, t->work, err);
	for (int b = 0; b < B; b++) {
		memcpy(t->x + (size_t)b * ds->dim, t->vin + (size_t)t->bidx[b] * ds->dim,
		       ds->dim * sizeof *t->x);
		t->y[b] = t->vlab[t->bidx[b]];
	}
	return (int)ds->dim;
}

long ser_train_averaged(const ser_trainer *t)
{
	return t->o.average_from > 0 && t->step > t->avg_step0 ? t->step - t->avg_step0 : 0;
}

/* Weight averaging: the running mean of the whole parameter block (the bn
 * statistics in it too) after each averaged step, kept in t->best. */
static void average(ser_trainer *t)
{
	long k = ser_train_averaged(t);
	const float *p = ser_net_params(t->m->net);
	size_t n = ser_net_nparams(t->m->net);
	if (k == 1)
		memcpy(t->best, p, n * sizeof *p);
	else if (k > 1)
		for (size_t i = 0; i < n; i++)
			t->best[i] += (p[i] - t->best[i]) / (float)k;
}

void ser_train_use_average(ser_trainer *t)
{
	if (ser_train_averaged(t))
		memcpy(ser_net_params(t->m->net), t->best,
		       ser_net_nparams(t->m->net) * sizeof *t->best);
}

/* One step on the batch order[s0..s0+B): its mean loss, correct count
 * and learning rate. */
static int step(ser_trainer *t, long s0, int B, long ep, float *loss, int *ok, float *lr,
                ser_error *err)
{
	ser_net *net = t->m->net;
	int Tb = gather(t, s0, B, err), rc;
	float lam = 1;
	ser_error e2;
	if (Tb < 0)
		return Tb;
	if (t->xm)
		mixup(t, B, Tb, &lam);
	ser_net_zero_grad(net);
	ser_targets tg = { t->y, t->y2, lam, t->cw, NULL, NULL, t->o.label_smoothing, NULL, 0 };
	if (t->ct.masked || t->ct.weighted) {
		corpus_targets_fill(&t->ct, t->ds, t->bidx, t->xm ? t->perm : NULL, B);
		tg.mask = t->ct.masked ? t->ct.mask : NULL;
		tg.sample_weights = t->ct.weighted ? t->ct.w : NULL;
	}
	if (t->o.adversary) {
		double p = t->ls.total > 0 ? (double)t->step / (double)t->ls.total : 1;
		for (int b = 0; b < B; b++)
			t->ya[b] = t->alab[t->bidx[b]];
		tg.adv_labels = t->ya;
		tg.adv_weight = (float)(t->o.adv_weight * (2 / (1 + exp(-10 * p)) - 1));
	}
	if ((rc = ser_net_train_batch_targets(net, t->xm ? t->xm : t->x, B, Tb, NULL, &tg,
	                                      ser_rng_mix(t->o.seed, (uint64_t)t->step + 1), loss,
	                                      ok, &e2)) < 0)
		return ser_seterr(err, rc, "training: %s", e2.msg);
	if (!isfinite(*loss))
		return ser_seterr(err, SER_EINVAL, "epoch %ld: the loss is not finite (try a smaller "
		                  "--lr)", ep);
	*lr = ser_lr_at(&t->ls, t->step);
	ser_optim_step(t->opt, ser_net_params(net) + t->o.p0, ser_net_grads(net) + t->o.p0, *lr);
	if (t->aopt) {
		double al;
		int aok;
		ser_net_adversary_result(net, &al, &aok);
		t->adv_sum += al * B;
		t->adv_ok += aok;
		ser_optim_step(t->aopt, ser_net_adversary_params(net), ser_net_adversary_grads(net), *lr);
	}
	t->step++;
	average(t);
	return 0;
}

static int stop_asked(const ser_trainer *t) { return t->o.stop && *t->o.stop; }

/* Validation after a completed epoch, and the best network. */
static int epoch_end(ser_trainer *t, ser_train_epoch *e, ser_error *err)
{
	int rc;
	t->done = e->epoch;
	if (t->count[SER_PART_VAL] && (rc = evaluate(t, &e->val, err)) < 0)
		return rc;
	/* with weight averaging validation only reports */
	e->better = t->count[SER_PART_VAL] && !t->o.average_from && e->val.uar > t->best_uar;
	if (e->better) {
		t->best_uar = e->val.uar;
		t->best_ev = e->val;
		t->best_epoch = e->epoch;
		memcpy(t->best, ser_net_params(t->m->net),
		       ser_net_nparams(t->m->net) * sizeof *t->best);
	}
	e->best_epoch = t->best_epoch;
	e->best = t->best_ev;
	return 0;
}

/* One epoch: the steps, then (if it ended) validation and the hook. */
static int epoch(ser_trainer *t, const ser_train_hooks *h, ser_train_epoch *e, ser_error *err)
{
	long ntrain = t->count[SER_PART_TRAIN], correct = 0;
	double t0 = now(), sum_loss = 0;
	int rc;
	t->adv_sum = 0;
	t->adv_ok = 0;
	ser_rng_shuffle(&t->rng, t->order, (size_t)ntrain);
	if (t->o.batch_by)
		arrange_groups(t);
	for (long bi = 0; bi < t->nbatch && !stop_asked(t); bi++) {
		long s0 = t->bstart[bi];
		int B = (int)(t->bstart[bi + 1] - s0), ok = 0;
		float loss;
		if ((rc = step(t, s0, B, e->epoch, &loss, &ok, &e->lr, err)) < 0)
			return rc;
		sum_loss += (double)loss * B;
		correct += ok;
		e->seen += B;
		e->loss = sum_loss / e->seen;
		e->acc = (double)correct / e->seen;
		e->adv_loss = t->aopt ? t->adv_sum / e->seen : NAN;
		e->adv_acc = t->aopt ? (double)t->adv_ok / e->seen : NAN;
		if (h && h->batch)
			h->batch(h->ctx, e);
	}
	if (e->seen < ntrain)   /* interrupted inside the epoch */
		return 0;
	if ((rc = epoch_end(t, e, err)) < 0)
		return rc;
	e->seconds = now() - t0;
	return h && h->epoch ? h->epoch(h->ctx, e, err) : 0;
}

static int patience_over(const ser_trainer *t)
{
	return t->count[SER_PART_VAL] && t->o.patience && !t->o.average_from &&
	       t->done - t->best_epoch >= t->o.patience;
}

int ser_train_run(ser_trainer *t, const ser_train_hooks *h, ser_train_epoch *last,
                  ser_error *err)
{
	int rc = 0;
	memset(last, 0, sizeof *last);
	if (patience_over(t))
		t->stopped = "early stopping";
	for (long ep = t->done + 1; ep <= t->o.epochs && !stop_asked(t) &&
	     strcmp(t->stopped, "early stopping"); ep++) {
		memset(last, 0, sizeof *last);
		last->epoch = ep;
		last->epochs = t->o.epochs;
		last->ntrain = t->count[SER_PART_TRAIN];
		last->val.loss = last->val.acc = last->val.uar = NAN;
		if ((rc = epoch(t, h, last, err)) < 0)
			return rc;
		if (last->seen < last->ntrain)
			break;
		if (patience_over(t)) {
			t->stopped = "early stopping";
			break;
		}
	}
	if (stop_asked(t))
		t->stopped = "interrupted";
	return 0;
}

const char *ser_train_stopped(const ser_trainer *t) { return t->stopped; }
long ser_train_epochs_done(const ser_trainer *t) { return t->done; }

long ser_train_best(const ser_trainer *t, ser_train_eval *best)
{
	if (best)
		*best = t->best_ev;
	return t->best_epoch;
}

void ser_train_use_best(ser_trainer *t)
{
	if (t->count[SER_PART_VAL] && !t->o.average_from)
		memcpy(ser_net_params(t->m->net), t->best,
		       ser_net_nparams(t->m->net) * sizeof *t->best);
}

const int *ser_train_order(const ser_trainer *t, const long **bstart, long *nbatch)
{
	*bstart = t->bstart;
	*nbatch = t->nbatch;
	return t->order;
}

void ser_train_state(const ser_trainer *t, uint64_t run, ser_ckpt *c)
{
	memset(c, 0, sizeof *c);
	c->run = run;
	c->epoch = t->done;
	c->step = t->step;
	memcpy(c->rng, t->rng.s, sizeof c->rng);
	c->best_epoch = t->best_epoch;
	c->best_uar = t->best_uar;
	c->best_acc = t->best_ev.acc;
	c->best_loss = t->best_ev.loss;
	c->n_order = (uint64_t)t->count[SER_PART_TRAIN];
	c->order = (int32_t *)t->order;
	c->nparams = ser_net_nparams(t->m->net);
	c->params = ser_net_params(t->m->net);
	c->best = t->best;
	c->nstate = ser_optim_nstate(t->opt);
	c->opt = ser_optim_state(t->opt);
	c->opt_steps = ser_optim_steps(t->opt);
	if (t->aopt) {
		c->nadv = ser_net_adversary_nparams(t->m->net);
		c->adv = ser_net_adversary_params(t->m->net);
		c->nadvstate = ser_optim_nstate(t->aopt);
		c->advopt = ser_optim_state(t->aopt);
		c->advopt_steps = ser_optim_steps(t->aopt);
	}
}

int ser_train_restore(ser_trainer *t, uint64_t run, const ser_ckpt *c, ser_error *err)
{
	if (c->run != run || c->n_order != (uint64_t)t->count[SER_PART_TRAIN] ||
	    c->nparams != ser_net_nparams(t->m->net) || c->nstate != ser_optim_nstate(t->opt) ||
	    c->nadv != ser_net_adversary_nparams(t->m->net) ||
	    c->nadvstate != (t->aopt ? ser_optim_nstate(t->aopt) : 0))
		return ser_seterr(err, SER_EMISMATCH, "a checkpoint of another run (command line, data "
		                  "or settings differ); run the command that wrote it, with --resume "
		                  "added");
	for (uint64_t i = 0; i < c->n_order; i++)
		if (c->order[i] < 0 || c->order[i] >= INT32_MAX)
			return ser_seterr(err, SER_EFORMAT, "damaged utterance order");
	memcpy(t->order, c->order, c->n_order * sizeof *t->order);
	memcpy(ser_net_params(t->m->net), c->params, c->nparams * sizeof *c->params);
	memcpy(t->best, c->best, c->nparams * sizeof *c->best);
	memcpy(ser_optim_state(t->opt), c->opt, c->nstate * sizeof *c->opt);
	ser_optim_set_steps(t->opt, (long)c->opt_steps);
	if (t->aopt) {
		memcpy(ser_net_adversary_params(t->m->net), c->adv, c->nadv * sizeof *c->adv);
		memcpy(ser_optim_state(t->aopt), c->advopt, c->nadvstate * sizeof *c->advopt);
		ser_optim_set_steps(t->aopt, (long)c->advopt_steps);
	}
	memcpy(t->rng.s, c->rng, sizeof c->rng);
	t->done = (long)c->epoch;
	t->step = (long)c->step;
	t->best_epoch = (long)c->best_epoch;
	t->best_uar = c->best_uar;
	t->best_ev.acc = c->best_acc;
	t->best_ev.loss = c->best_loss;
	t->best_ev.uar = c->best_epoch ? c->best_uar : NAN;
	return 0;
}

int ser_train_checkpoint(const ser_trainer *t, uint64_t run, const char *path, ser_error *err)
{
	ser_ckpt c;
	ser_out *o = ser_out_open(path, err);
	ser_train_state(t, run, &c);
	if (!o || ser_ckpt_write(&c, ser_out_file(o), err) < 0 || ser_out_commit(o, err) < 0) {
		if (o && err && err->code != SER_EIO)
			ser_out_abort(o);
		return err ? err->code : SER_EIO;
	}
	return 0;
}
