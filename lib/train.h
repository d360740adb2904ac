/* The training loop: a labelled, split dataset (dataset.h) and a model
 * whose net, classes, feature settings and normalisation are set
 * (model.h) to a trained network. Batches of random crops (SpecAugment,
 * augment.h), mixup, class weights, the loss over each corpus's classes,
 * the optimiser and its schedule, validation after every epoch, the best
 * network by validation UAR, patience, and a stop flag for SIGINT.
 * Checkpoints (checkpoint.h) hold its state after an epoch, so a resumed
 * run ends with the same network byte for byte.
 *
 * The library never prints: progress and per-epoch results go to the
 * caller's hooks, which print, log and save as they like. */
#ifndef SER_TRAIN_H
#define SER_TRAIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "ser.h"
#include "checkpoint.h"
#include "batch.h"
#include "labels.h"
#include "optim.h"

enum ser_class_weights {
	SER_CW_NONE = 0,
	SER_CW_BALANCED = 1,   /* class c weighs ntrain / (classes present * count[c]) */
	SER_CW_CORPUS = 2      /* every (corpus, class) pair weighs alike */
};

enum ser_adversary {
	SER_ADV_NONE = 0,
	SER_ADV_CORPUS = 1,     /* an adversary tells the corpus (ser_utt.group) */
	SER_ADV_SPEAKER = 2     /* an adversary tells the speaker */
};

enum ser_batch_by {
	SER_BATCH_ANY = 0,      /* batches of any utterances */
	SER_BATCH_CORPUS = 1,   /* each batch from one corpus (ser_utt.group) */
	SER_BATCH_SPEAKER = 2   /* each batch from one speaker */
};

typedef struct ser_train_opts {
	long epochs;             /* 1.. */
	long batch;              /* utterances per step */
	long patience;           /* stop after this many epochs without a better
	                            validation UAR; 0 = never */
	long crop;               /* frames per training crop (frames layout) */
	double mixup;            /* Beta(alpha, alpha) weight per batch; 0 = off */
	long average_from;       /* 0: off; else the network the run ends with is
	                            the mean of the parameters (bn statistics
	                            too) after every step of epochs
	                            average_from..epochs, and validation, if
	                            any, selects nothing */
	float label_smoothing;   /* 0..0.99 */
	int class_weights;       /* enum ser_class_weights */
	int loss_classes;        /* 0: over all classes; 1: over each corpus's (ser_utt.group) */
	int batch_by;            /* enum ser_batch_by: a group's utterances in ceil(n / batch)
	                            batches of near-equal size, the batches in random order,
	                            so batch norm sees one corpus or speaker at a time */
	int adversary;           /* enum ser_adversary: domain-adversarial training
	                            (net.h, ser_net_set_adversary) against the
	                            training utterances' corpora or speakers */
	float adv_weight;        /* the reversal's weight at the end: step s of S
	                            reverses adv_weight * (2 / (1 + exp(-10 s / S)) - 1)
	                            (Ganin and Lempitsky's ramp) */
	int adv_hidden;          /* the adversary's hidden units */
	uint64_t seed;           /* the generator, the crops and the dropout masks */
	size_t p0;               /* parameters [p0, ntrainable) train (ser_net_tail_offset) */
	ser_optim_opts optim;    /* lr: the peak of the schedule */
	int sched;               /* enum ser_lr_kind: constant, or cosine with one epoch of warm-up */
	ser_specaug sa;          /* masks of the crops */
	ser_aug *aug;            /* audio-like changes of the crops, or NULL; not owned */
	const volatile int *stop;/* nonzero: stop after the current batch; may be NULL */
} ser_train_opts;

/* Validation figures: mean cross-entropy, accuracy, UAR over n utterances. */
typedef struct ser_train_eval {
	double loss, acc, uar;
	long n;
} ser_train_eval;

/* Where a run is: given to the hooks after every batch and every epoch. */
typedef struct ser_train_epoch {
	long epoch, epochs;      /* 1-based, of opts.epochs */
	long seen, ntrain;       /* training utterances so far in this epoch, of all */
	double loss, acc;        /* training loss and accuracy over the seen ones */
	double adv_loss, adv_acc;/* with opts.adversary: the adversary's, over them */
	float lr;                /* of the last step */
	double seconds;          /* the epoch's time, training and validation */
	ser_train_eval val;      /* this epoch's validation (NAN without) */
	int better;              /* this epoch is the best so far */
	long best_epoch;         /* 0: none yet */
	ser_train_eval best;     /* the best epoch's validation */
} ser_train_epoch;

typedef struct ser_train_hooks {
	void *ctx;
	/* after every step (progress); may be NULL */
	void (*batch)(void *ctx, const ser_train_epoch *e);
	/* after every completed epoch and its validation (log, save the best,
	 * checkpoint); a negative status ends the run with it; may be NULL */
	int (*epoch)(void *ctx, const ser_train_epoch *e, ser_error *err);
} ser_train_hooks;

typedef struct ser_trainer ser_trainer;

/* A trainer of m->net on ds (utterances labelled 0..m->n_classes-1, parts
 * set by ser_ds_split; not copied: both must outlive it). The net is
 * initialised by the caller. Fills the pooled-vector inputs once; seeds
 * the generator. NULL on error. */
ser_trainer *ser_train_new(const ser_dataset *ds, ser_model *m, const ser_train_opts *o,
                           ser_error *err);
void ser_train_free(ser_trainer *t);

/* Counts: utterances of part (enum ser_ds_part) and per class of it. */
long ser_train_count(const ser_trainer *t, int part);
const long *ser_train_class_count(const ser_trainer *t, int part);
/* Whether the loss is over each corpus's classes (some corpus lacks a
 * class), and the first corpus with one class only (it teaches nothing
 * then), or -1. */
int ser_train_masked(const ser_trainer *t);
int ser_train_one_class_corpus(const ser_trainer *t);

/* A growing text (the training record). */
typedef struct ser_text {
	char *s;
	size_t n, cap;
} ser_text;
int ser_text_printf(ser_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ser_text_vprintf(ser_text *t, const char *fmt, va_list ap);

/* Appends the record of the data: the corpora's loss classes (if masked),
 * counts (skipped: utterances the caller left out), the classes
 * (train/validation) and the speakers of each part. */
int ser_train_record(const ser_trainer *t, const ser_classes *cls, long skipped, ser_text *rec);

/* Runs epochs from the one after the last completed (0, or the restored
 * checkpoint's) to opts.epochs, early stopping or opts.stop. *last gets the
 * last epoch's figures. 0 when it ended (see ser_train_stopped), else a
 * negative status. */
int ser_train_run(ser_trainer *t, const ser_train_hooks *h, ser_train_epoch *last,
                  ser_error *err);
/* "completed", "early stopping" or "interrupted" (opts.stop). */
const char *ser_train_stopped(const ser_trainer *t);
/* Epochs completed; the best epoch (0: no validation) and its figures. */
long ser_train_epochs_done(const ser_trainer *t);
long ser_train_best(const ser_trainer *t, ser_train_eval *best);
/* Puts the best network's parameters into the net (with validation). */
void ser_train_use_best(ser_trainer *t);
/* With opts.average_from: the steps averaged so far (0: none yet, the
 * net stays as it is), and their mean put into the net. */
long ser_train_averaged(const ser_trainer *t);
void ser_train_use_average(ser_trainer *t);

/* The training order of the current (or last) epoch, as indices into the
 * dataset, and where each of its *nbatch batches starts in it (*bstart has
 * nbatch + 1 entries, the last the training count). */
const int *ser_train_order(const ser_trainer *t, const long **bstart, long *nbatch);

/* The state as a checkpoint (arrays point into the trainer), and back:
 * SER_EMISMATCH for a checkpoint of another run (run id, data or sizes
 * differ), SER_EFORMAT for a damaged utterance order. */
void ser_train_state(const ser_trainer *t, uint64_t run, ser_ckpt *c);
int ser_train_restore(ser_trainer *t, uint64_t run, const ser_ckpt *c, ser_error *err);
/* The state written atomically to path (outfile.h). */
int ser_train_checkpoint(const ser_trainer *t, uint64_t run, const char *path, ser_error *err);

#endif
