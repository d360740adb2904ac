/* Persistent worker threads for the shards of a batch: started once,
 * released each round by a start barrier, joined at a done barrier. The
 * barrier spins briefly before sleeping: a training step of a small net
 * takes well under a millisecond, less than a futex sleep and wake-up cost
 * to notice. Which thread runs a job never changes its result. */
#ifndef SER_WORKERS_H
#define SER_WORKERS_H

#include <pthread.h>
#include <stdatomic.h>

#define SER_WORKERS_MAX 64   /* threads, the caller's included (= SER_NET_THREADS_MAX) */

typedef struct ser_barrier {
	atomic_int count;     /* arrived in this round */
	atomic_uint gen;      /* rounds completed */
	int n;                /* participants */
	pthread_mutex_t mu;
	pthread_cond_t cv;
} ser_barrier;

int ser_barrier_init(ser_barrier *b, int n);
void ser_barrier_destroy(ser_barrier *b);
void ser_barrier_wait(ser_barrier *b);

/* Job i of a round (0 <= i < jobs). */
typedef void (*ser_job_fn)(void *ctx, int i);

typedef struct ser_workers {
	int n;                /* worker threads running: jobs 1..n */
	int on;               /* started */
	int threads;          /* the count of the last start (tried or not); 0: never */
	int quit, jobs;
	ser_job_fn fn;
	void *ctx;
	pthread_t tid[SER_WORKERS_MAX];
	ser_barrier start, done;
	pthread_mutex_t mu;
} ser_workers;

/* Starts up to threads - 1 workers for fn; when a thread or a barrier
 * cannot be made, none (w->on stays 0: the caller runs every job). */
void ser_workers_start(ser_workers *w, int threads, ser_job_fn fn, void *ctx);
/* Joins the workers (nothing if not started). */
void ser_workers_stop(ser_workers *w);
/* Runs fn(ctx, i) for i in [0, jobs): job i on worker i, job 0 and jobs
 * past the workers on the caller; returns when all are done. */
void ser_workers_run(ser_workers *w, int jobs);

#endif
