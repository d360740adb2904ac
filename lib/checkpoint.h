/* Training checkpoints: the state a ser-train run has after an epoch, so
 * that an interrupted run continues to the model an uninterrupted one
 * writes, byte for byte. Byte layout in ser-formats(5), section TRAINING
 * CHECKPOINT. */
#ifndef SER_CHECKPOINT_H
#define SER_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>
#include "ser.h"

#define SER_CKPT_MAGIC "SERCKPT\0"   /* 8 bytes */
#define SER_CKPT_VERSION 2   /* the newest; 1 without an adversary */
#define SER_CKPT_ORDER_MAX 100000000  /* training utterances */

typedef struct ser_ckpt {
	uint64_t run;          /* fingerprint of the run: command line, data, settings */
	int64_t epoch;         /* epochs completed (>= 1) */
	int64_t step;          /* batches done */
	uint64_t rng[4];       /* the trainer's generator after those epochs */
	int64_t best_epoch;    /* epoch of the best validation UAR; 0: none */
	double best_uar, best_acc, best_loss;
	uint64_t n_order;      /* training utterances */
	int32_t *order;        /* (n_order) their order after the last shuffle */
	uint64_t nparams;      /* parameter block size */
	float *params;         /* (nparams) the network now */
	float *best;           /* (nparams) the best network so far; with weight
	                        * averaging (ser_train_opts.average_from) the
	                        * mean so far */
	uint64_t nstate;       /* optimiser state floats */
	float *opt;            /* (nstate) its moments */
	int64_t opt_steps;     /* its step counter */
	/* version 2 (written only with an adversary, ser_net_set_adversary):
	 * its parameters, its optimiser's state and step counter */
	uint64_t nadv;
	float *adv;
	uint64_t nadvstate;
	float *advopt;
	int64_t advopt_steps;
} ser_ckpt;

/* Writes c to f; SER_EIO on a write error. */
int ser_ckpt_write(const ser_ckpt *c, FILE *f, ser_error *err);
/* Reads a whole checkpoint from f: magic, version, sizes against the
 * limits (nparams, nstate <= SER_NET_PARAMS_MAX floats each) before
 * allocating, then the checksum ("checksum mismatch: file damaged").
 * Arrays are malloc'd into *c (ser_ckpt_free). name is for messages. */
int ser_ckpt_read(ser_ckpt *c, FILE *f, const char *name, ser_error *err);
void ser_ckpt_free(ser_ckpt *c);

#endif
