/* Optimisers over one flat parameter block, learning-rate schedules and
 * Keras initialisers. */
#ifndef SER_OPTIM_H
#define SER_OPTIM_H

#include <stddef.h>
#include "ser.h"

enum ser_opt_kind {
	SER_OPT_SGD = 0,     /* p -= lr * g (momentum m: v = m*v + g; p -= lr*v) */
	SER_OPT_RMSPROP = 1, /* Keras: v = rho*v + (1-rho)*g^2; p -= lr*g/(sqrt(v)+eps) */
	SER_OPT_ADAM = 2,    /* Kingma & Ba, bias-corrected; Keras eps placement:
	                        p -= lr_t * m / (sqrt(v) + eps), lr_t = lr*sqrt(1-b2^t)/(1-b1^t) */
	SER_OPT_ADAMW = 3    /* Adam + decoupled decay: p -= lr * wd * p (Loshchilov & Hutter) */
};

typedef struct ser_optim_opts {
	int kind;            /* enum ser_opt_kind */
	float lr;            /* base learning rate (schedules scale it per step) */
	float rho;           /* RMSprop decay, default 0.9 */
	float momentum;      /* SGD momentum, default 0 */
	float beta1, beta2;  /* Adam, defaults 0.9, 0.999 */
	float eps;           /* default 1e-7 (Keras) */
	float weight_decay;  /* AdamW decoupled decay, default 0.004 (Keras AdamW) */
} ser_optim_opts;

/* Keras defaults for a kind: lr 1e-3 (SGD 1e-2), rho 0.9, eps 1e-7, ... */
void ser_optim_defaults(ser_optim_opts *o, int kind);
/* Parses "sgd", "rmsprop", "adam", "adamw"; returns the kind or -1. */
int ser_optim_kind(const char *name);

typedef struct ser_optim ser_optim;
/* State for n parameters (all zero; Adam step counter 0). */
ser_optim *ser_optim_new(const ser_optim_opts *o, size_t n, ser_error *err);
/* One update of p[0..n) from g[0..n) with learning rate lr (use
 * ser_lr_at for schedules). No allocation. */
void ser_optim_step(ser_optim *opt, float *p, const float *g, float lr);
/* Optimiser state size in floats and pointer (for checkpointing). */
size_t ser_optim_nstate(const ser_optim *opt);
float *ser_optim_state(ser_optim *opt);
/* Steps taken (Adam's bias correction counts them); set when resuming. */
long ser_optim_steps(const ser_optim *opt);
void ser_optim_set_steps(ser_optim *opt, long t);
void ser_optim_free(ser_optim *opt);

/* ---- learning-rate schedules ---------------------------------------- */
enum ser_lr_kind {
	SER_LR_CONSTANT = 0, /* lr */
	SER_LR_COSINE = 1,   /* linear warm-up from 0 over `warmup` steps, then
	                        lr_min + (lr-lr_min)*(1+cos(pi*s/(total-warmup)))/2 */
	SER_LR_STEP = 2      /* lr * gamma^floor(step / every) (after warm-up) */
};
typedef struct ser_lr_sched {
	int kind;
	float lr;        /* peak / base rate */
	float lr_min;    /* cosine floor, default 0 */
	long warmup;     /* steps of linear warm-up (all kinds), default 0 */
	long total;      /* cosine: total steps */
	long every;      /* step: decay interval in steps */
	float gamma;     /* step: factor, default 0.1 */
} ser_lr_sched;
/* Learning rate at step (0-based); during warm-up lr*(step+1)/warmup. */
float ser_lr_at(const ser_lr_sched *s, long step);

#endif
