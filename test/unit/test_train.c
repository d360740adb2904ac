/* Unit tests of lib/train.c: a toy problem learnt, the hooks, the stop
 * flag, a run stopped and restored from its state that ends with the
 * network of a run never stopped, bit for bit, and weight averaging
 * (the mean of the network after every averaged step). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "train.h"

#define DIM 4
#define FRAMES 20

/* 48 utterances of 4 speakers; class 1 has feature 0 near -1, class 0 near +1. */
static void toy_data(ser_dataset *ds)
{
	ser_rng r;
	char unk[16];
	ser_rng_seed(&r, 7);
	ser_ds_init(ds);
	ds->dim = DIM;
	ds->shift = 160;
	ds->cap = 48;
	ds->u = calloc(ds->cap, sizeof *ds->u);
	for (int i = 0; i < 48; i++) {
		ser_utt *u = &ds->u[ds->n++];
		char key[32], spk[8];
		snprintf(key, sizeof key, "u%02d", i);
		snprintf(spk, sizeof spk, "s%d", i % 4);
		u->key = strdup(key);
		u->n = FRAMES;
		u->x = malloc(FRAMES * DIM * sizeof *u->x);
		u->label = (i / 4) % 2;
		for (int k = 0; k < FRAMES * DIM; k++)
			u->x[k] = ser_rng_normal(&r) * 0.5f + (k % DIM == 0 ? (u->label ? -1.0f : 1.0f) : 0);
		u->speaker = ser_ds_speaker(ds, spk, NULL);
	}
	ser_ds_split(ds, "s3", NULL, unk, sizeof unk, NULL);
}

static void toy_model(ser_model *m)
{
	static char *names[2] = { "a", "b" };
	ser_error err;
	memset(m, 0, sizeof *m);
	m->layout = SER_LAYOUT_FRAMES;
	m->net = ser_net_new("conv:8:3 relu stats dense:2", DIM, 0, 2, &err);
	ser_net_init(m->net, 3, SER_INIT_GLOROT);
	m->n_classes = 2;
	m->class_names = names;
	m->feat_dim = DIM;
}

static int toy_batch_by;   /* opts.batch_by of toy_opts */

static void toy_opts(ser_train_opts *o, const volatile int *stop)
{
	memset(o, 0, sizeof *o);
	o->batch_by = toy_batch_by;
	o->epochs = 6;
	o->batch = 8;
	o->crop = 12;
	o->seed = 5;
	o->class_weights = SER_CW_BALANCED;
	o->mixup = 0.2;
	o->label_smoothing = 0.1f;
	ser_optim_defaults(&o->optim, SER_OPT_ADAMW);
	o->optim.lr = 0.01f;
	o->sched = SER_LR_COSINE;
	ser_specaug_parse(&o->sa, "2:1:1:1", NULL);
	o->stop = stop;
}

struct seen {
	int batches, epochs;
	const ser_trainer *t;    /* with it, each epoch's batches are checked: */
	int mixed, sizes, once;  /* batches of two speakers, not of 6, utterances not once */
	long stop_after;         /* epoch after which the hook raises the flag */
	volatile int *flag;
	double first_loss, last_loss, last_uar;
	const ser_model *m;      /* with sum: the parameters summed after each */
	double *sum;             /* step of epochs avg_from.. (in double) */
	long avg_from, nsum;
};

static void on_batch(void *ctx, const ser_train_epoch *e)
{
	struct seen *s = ctx;
	s->batches += e->seen > 0 && e->seen <= e->ntrain;
	if (s->sum && e->epoch >= s->avg_from) {
		const float *p = ser_net_params(s->m->net);
		for (size_t i = 0; i < ser_net_nparams(s->m->net); i++)
			s->sum[i] += p[i];
		s->nsum++;
	}
}

static int on_epoch(void *ctx, const ser_train_epoch *e, ser_error *err)
{
	struct seen *s = ctx;
	if (s->epochs++ == 0)
		s->first_loss = e->loss;
	s->last_loss = e->loss;
	s->last_uar = e->val.uar;
	if (s->t) {
		const long *bs;
		long nb;
		const int *ord = ser_train_order(s->t, &bs, &nb);
		int used[48] = { 0 };
		for (long b = 0; b < nb; b++) {
			s->sizes += bs[b + 1] - bs[b] != 6;
			for (long k = bs[b]; k < bs[b + 1]; k++) {
				used[ord[k]]++;
				s->mixed += ord[k] % 4 != ord[bs[b]] % 4;   /* toy speaker: i % 4 */
			}
		}
		for (int i = 0; i < 48; i++)
			s->once += i % 4 != 3 && used[i] != 1;   /* s3 validates */
		s->sizes += nb != 6 || bs[nb] != 36;
	}
	if (s->flag && e->epoch == s->stop_after)
		*s->flag = 1;
	return 0;
}

/* Trains a fresh toy model m (2 threads), averaging from epoch avg (0:
 * not); the hooks count into s, with avg also the parameters (s->sum,
 * the caller frees it). */
static ser_trainer *toy_run(ser_dataset *ds, ser_model *m, volatile int *flag, long stop_after,
                            long avg, struct seen *s, int *rc)
{
	ser_train_opts o;
	ser_train_hooks h = { s, on_batch, on_epoch };
	ser_train_epoch last;
	ser_error err;
	ser_trainer *t;
	memset(s, 0, sizeof *s);
	s->flag = flag;
	s->stop_after = stop_after;
	toy_opts(&o, flag);
	o.average_from = avg;
	toy_model(m);
	ser_net_set_threads(m->net, 2, &err);
	if (avg) {
		s->m = m;
		s->avg_from = avg;
		s->sum = calloc(ser_net_nparams(m->net), sizeof *s->sum);
	}
	t = ser_train_new(ds, m, &o, &err);
	*rc = t ? ser_train_run(t, &h, &last, &err) : -1;
	return t;
}

int main(void)
{
	ser_dataset ds;
	ser_model m1, m2, m3;
	struct seen s1, s2, s3;
	volatile int flag2 = 0, flag3 = 0;
	ser_ckpt c;
	ser_error err;
	ser_train_eval best;
	int rc;
	toy_data(&ds);

	ser_trainer *t1 = toy_run(&ds, &m1, NULL, 0, 0, &s1, &rc);
	CHECK(t1 && rc == 0 && ser_train_count(t1, SER_PART_TRAIN) == 36 &&
	      ser_train_count(t1, SER_PART_VAL) == 12, "trainer runs: 36 train, 12 validation");
	CHECK(s1.epochs == 6 && s1.batches == 6 * 5, "hooks: %d epochs, %d steps (want 6, 30)",
	      s1.epochs, s1.batches);
	CHECK(s1.last_loss < s1.first_loss && s1.last_uar >= 0.9,
	      "the toy problem is learnt: loss %.3f -> %.3f, validation UAR %.3f", s1.first_loss,
	      s1.last_loss, s1.last_uar);
	CHECK(t1 && !strcmp(ser_train_stopped(t1), "completed") && ser_train_epochs_done(t1) == 6 &&
	      ser_train_best(t1, &best) >= 1 && best.uar >= 0.9, "completed, best epoch kept");

	/* stopped after epoch 2; its state restored into a new trainer ends as run 1 */
	ser_trainer *t2 = toy_run(&ds, &m2, &flag2, 2, 0, &s2, &rc);
	CHECK(t2 && rc == 0 && ser_train_epochs_done(t2) == 2 &&
	      !strcmp(ser_train_stopped(t2), "interrupted"), "the stop flag ends the run after epoch 2");
	ser_train_opts o;
	toy_opts(&o, &flag3);
	toy_model(&m3);
	ser_net_set_threads(m3.net, 2, &err);
	ser_trainer *t3 = ser_train_new(&ds, &m3, &o, &err);
	ser_train_state(t2, 42, &c);
	CHECK(t3 && ser_train_restore(t3, 41, &c, &err) == SER_EMISMATCH,
	      "another run's state refused: %s", err.msg);
	CHECK(t3 && ser_train_restore(t3, 42, &c, &err) == 0 && ser_train_epochs_done(t3) == 2,
	      "state restored after epoch 2");
	{
		ser_train_hooks h = { &s3, on_batch, on_epoch };
		ser_train_epoch last;
		memset(&s3, 0, sizeof s3);
		rc = t3 ? ser_train_run(t3, &h, &last, &err) : -1;
	}
	CHECK(rc == 0 && s3.epochs == 4 && ser_train_epochs_done(t3) == 6,
	      "the restored run does epochs 3..6 (%d)", s3.epochs);
	ser_train_use_best(t1);
	ser_train_use_best(t3);
	CHECK(memcmp(ser_net_params(m1.net), ser_net_params(m3.net),
	             ser_net_nparams(m1.net) * sizeof(float)) == 0,
	      "stopped and restored = never stopped, bit for bit");

	/* stop before the first step: nothing done */
	flag3 = 1;
	ser_trainer *t4 = ser_train_new(&ds, &m3, &o, &err);
	{
		ser_train_epoch last;
		rc = t4 ? ser_train_run(t4, NULL, &last, &err) : -1;
	}
	CHECK(rc == 0 && ser_train_epochs_done(t4) == 0 && !strcmp(ser_train_stopped(t4), "interrupted"),
	      "a stop before the first epoch: no epoch done");

	/* weight averaging from epoch 4 of 6 (5 steps an epoch): the net ends as
	 * the mean of the 15 networks after those steps; validation selects none */
	ser_model m5, m6, m7;
	struct seen s5, s6;
	volatile int flag6 = 0;
	ser_trainer *t5, *t6, *t7 = NULL;
	t5 = toy_run(&ds, &m5, NULL, 0, 4, &s5, &rc);
	CHECK(rc == 0 && ser_train_averaged(t5) == 15 && s5.nsum == 15,
	      "averaged steps: %ld (hook saw %ld, want 15)", t5 ? ser_train_averaged(t5) : -1, s5.nsum);
	CHECK(t5 && ser_train_best(t5, NULL) == 0, "with averaging validation selects no epoch");
	{
		size_t n = ser_net_nparams(m5.net);
		float *last = malloc(n * sizeof *last);
		double worst = 0, moved = 0;
		memcpy(last, ser_net_params(m5.net), n * sizeof *last);
		ser_train_use_average(t5);
		for (size_t i = 0; i < n; i++) {
			double want = s5.sum[i] / 15, d = fabs(ser_net_params(m5.net)[i] - want);
			worst = d / (fabs(want) + 1e-3) > worst ? d / (fabs(want) + 1e-3) : worst;
			moved += fabs(ser_net_params(m5.net)[i] - last[i]);
		}
		CHECK(worst < 1e-5, "the net is the mean of the 15 networks (worst relative error %.2g)",
		      worst);
		CHECK(moved > 1e-3, "and not the last one (sum of differences %.3g)", moved);
		free(last);
	}
	/* averaging stopped after epoch 5 and restored ends with the same mean */
	t6 = toy_run(&ds, &m6, &flag6, 5, 4, &s6, &rc);
	{
		ser_train_hooks h = { &s6, on_batch, on_epoch };
		ser_train_epoch last;
		CHECK(rc == 0 && ser_train_epochs_done(t6) == 5 && ser_train_averaged(t6) == 10,
		      "stopped after epoch 5 with 10 steps averaged");
		ser_train_state(t6, 7, &c);
		flag6 = 0;
		toy_opts(&o, &flag6);
		o.average_from = 4;
		toy_model(&m7);
		ser_net_set_threads(m7.net, 2, &err);
		t7 = ser_train_new(&ds, &m7, &o, &err);
		rc = t7 && ser_train_restore(t7, 7, &c, &err) == 0 ? ser_train_run(t7, &h, &last, &err) : -1;
	}
	ser_train_use_average(t7);
	CHECK(rc == 0 && ser_train_averaged(t7) == 15 &&
	      memcmp(ser_net_params(m5.net), ser_net_params(m7.net),
	             ser_net_nparams(m5.net) * sizeof(float)) == 0,
	      "an averaged run stopped and restored = never stopped, bit for bit");

	/* batches of one speaker each: 3 training speakers of 12 utterances,
	 * batch 8: two batches of 6 a speaker, every utterance once an epoch */
	toy_batch_by = SER_BATCH_SPEAKER;
	{
		ser_model mb, mc, md;
		struct seen sb, sc, sd;
		volatile int flagc = 0, flagd = 0;
		ser_train_hooks hb = { &sb, on_batch, on_epoch }, hd = { &sd, on_batch, on_epoch };
		ser_train_epoch last;
		toy_opts(&o, NULL);
		toy_model(&mb);
		ser_net_set_threads(mb.net, 2, &err);
		ser_trainer *tb = ser_train_new(&ds, &mb, &o, &err);
		memset(&sb, 0, sizeof sb);
		sb.t = tb;
		rc = tb ? ser_train_run(tb, &hb, &last, &err) : -1;
		CHECK(rc == 0 && sb.epochs == 6 && sb.batches == 6 * 6,
		      "--batch-by speaker: %d epochs, %d steps (want 6, 36)", sb.epochs, sb.batches);
		CHECK(rc == 0 && !sb.mixed && !sb.sizes && !sb.once,
		      "every batch of one speaker (%d mixed), 6 batches of 6 (%d off), each utterance "
		      "once (%d not)", sb.mixed, sb.sizes, sb.once);
		CHECK(rc == 0 && sb.last_loss < sb.first_loss, "and the toy problem learnt (%.3f -> %.3f)",
		      sb.first_loss, sb.last_loss);
		/* stopped after epoch 3 and restored: the same network */
		ser_trainer *tc = toy_run(&ds, &mc, &flagc, 3, 0, &sc, &rc);
		ser_train_state(tc, 9, &c);
		toy_opts(&o, &flagd);
		toy_model(&md);
		ser_net_set_threads(md.net, 2, &err);
		ser_trainer *td = ser_train_new(&ds, &md, &o, &err);
		memset(&sd, 0, sizeof sd);
		sd.t = td;
		rc = td && ser_train_restore(td, 9, &c, &err) == 0 ? ser_train_run(td, &hd, &last, &err) : -1;
		ser_train_use_best(tb);
		ser_train_use_best(td);
		CHECK(rc == 0 && sd.epochs == 3 && !sd.mixed &&
		      memcmp(ser_net_params(mb.net), ser_net_params(md.net),
		             ser_net_nparams(mb.net) * sizeof(float)) == 0,
		      "--batch-by speaker stopped and restored = never stopped, bit for bit");
		ser_train_free(tb);
		ser_train_free(tc);
		ser_train_free(td);
		ser_net_free(mb.net);
		ser_net_free(mc.net);
		ser_net_free(md.net);
	}
	toy_batch_by = SER_BATCH_ANY;

	free(s5.sum);
	free(s6.sum);
	ser_train_free(t5);
	ser_train_free(t6);
	ser_train_free(t7);
	ser_net_free(m5.net);
	ser_net_free(m6.net);
	ser_net_free(m7.net);
	ser_train_free(t1);
	ser_train_free(t2);
	ser_train_free(t3);
	ser_train_free(t4);
	ser_net_free(m1.net);
	ser_net_free(m2.net);
	ser_net_free(m3.net);
	ser_ds_free(&ds);
	return check_status();
}
