/* Unit tests of lib/train.c: a toy problem learnt, the hooks, the stop
 * flag, and a run stopped and restored from its state that ends with the
 * network of a run never stopped, bit for bit. */
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

static void toy_opts(ser_train_opts *o, const volatile int *stop)
{
	memset(o, 0, sizeof *o);
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
	long stop_after;         /* epoch after which the hook raises the flag */
	volatile int *flag;
	double first_loss, last_loss, last_uar;
};

static void on_batch(void *ctx, const ser_train_epoch *e)
{
	struct seen *s = ctx;
	s->batches += e->seen > 0 && e->seen <= e->ntrain;
}

static int on_epoch(void *ctx, const ser_train_epoch *e, ser_error *err)
{
	struct seen *s = ctx;
	if (s->epochs++ == 0)
		s->first_loss = e->loss;
	s->last_loss = e->loss;
	s->last_uar = e->val.uar;
	if (s->flag && e->epoch == s->stop_after)
		*s->flag = 1;
	return 0;
}

/* Trains a fresh toy model m (2 threads); the hooks count into s. */
static ser_trainer *toy_run(ser_dataset *ds, ser_model *m, volatile int *flag, long stop_after,
                            struct seen *s, int *rc)
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
	toy_model(m);
	ser_net_set_threads(m->net, 2, &err);
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

	ser_trainer *t1 = toy_run(&ds, &m1, NULL, 0, &s1, &rc);
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
	ser_trainer *t2 = toy_run(&ds, &m2, &flag2, 2, &s2, &rc);
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
