/* Worker threads and a spinning barrier (see workers.h). */
#include "workers.h"

#include <stdlib.h>

#define SPIN_ITERS 3000 /* pause loops before sleeping: ~50-150 us */

int ser_barrier_init(ser_barrier *b, int n)
{
	atomic_init(&b->count, 0);
	atomic_init(&b->gen, 0);
	b->n = n;
	if (pthread_mutex_init(&b->mu, NULL))
		return -1;
	if (pthread_cond_init(&b->cv, NULL)) {
		pthread_mutex_destroy(&b->mu);
		return -1;
	}
	return 0;
}

void ser_barrier_destroy(ser_barrier *b)
{
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
}

void ser_barrier_wait(ser_barrier *b)
{
	unsigned g = atomic_load_explicit(&b->gen, memory_order_acquire);
	if (atomic_fetch_add_explicit(&b->count, 1, memory_order_acq_rel) + 1 == b->n) {
		atomic_store_explicit(&b->count, 0, memory_order_relaxed);
		pthread_mutex_lock(&b->mu);
		atomic_store_explicit(&b->gen, g + 1, memory_order_release);
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		return;
	}
	for (int i = 0; i < SPIN_ITERS; i++) {
		if (atomic_load_explicit(&b->gen, memory_order_acquire) != g)
			return;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
		__builtin_ia32_pause();
#endif
	}
	pthread_mutex_lock(&b->mu);
	while (atomic_load_explicit(&b->gen, memory_order_acquire) == g)
		pthread_cond_wait(&b->cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
}

typedef struct worker {
	ser_workers *w;
	int i;      /* job index */
} worker;

static void *worker_main(void *arg)
{
	ser_workers *w = ((worker *)arg)->w;
	int i = ((worker *)arg)->i;
	free(arg);
	pthread_mutex_lock(&w->mu); /* held by ser_workers_start until the barriers exist */
	int quit = w->quit;
	pthread_mutex_unlock(&w->mu);
	while (!quit) {
		ser_barrier_wait(&w->start);
		if (w->quit)
			break;
		if (i < w->jobs)
			w->fn(w->ctx, i);
		ser_barrier_wait(&w->done);
	}
	return NULL;
}

void ser_workers_stop(ser_workers *w)
{
	if (!w->on)
		return;
	w->quit = 1;
	ser_barrier_wait(&w->start);
	for (int i = 1; i <= w->n; i++)
		pthread_join(w->tid[i], NULL);
	ser_barrier_destroy(&w->start);
	ser_barrier_destroy(&w->done);
	pthread_mutex_destroy(&w->mu);
	w->n = w->on = w->quit = 0;
}

void ser_workers_start(ser_workers *w, int threads, ser_job_fn fn, void *ctx)
{
	int n = 1; /* threads running: the caller and the workers started */
	w->threads = threads;
	w->fn = fn;
	w->ctx = ctx;
	if (threads > SER_WORKERS_MAX)
		threads = SER_WORKERS_MAX;
	if (pthread_mutex_init(&w->mu, NULL))
		return;
	pthread_mutex_lock(&w->mu);
	for (; n < threads; n++) {
		worker *k = malloc(sizeof *k);
		if (!k)
			break;
		k->w = w;
		k->i = n;
		if (pthread_create(&w->tid[n], NULL, worker_main, k)) {
			free(k);
			break;
		}
	}
	int ok = n > 1 && ser_barrier_init(&w->start, n) == 0;
	if (ok && ser_barrier_init(&w->done, n)) {
		ser_barrier_destroy(&w->start);
		ok = 0;
	}
	w->quit = !ok;
	pthread_mutex_unlock(&w->mu);
	if (ok) {
		w->n = n - 1;
		w->on = 1;
		return;
	}
	for (int i = 1; i < n; i++) /* they saw quit: no barrier */
		pthread_join(w->tid[i], NULL);
	pthread_mutex_destroy(&w->mu);
	w->quit = 0;
}

void ser_workers_run(ser_workers *w, int jobs)
{
	w->jobs = jobs;
	ser_barrier_wait(&w->start);
	w->fn(w->ctx, 0);
	for (int i = w->n + 1; i < jobs; i++)
		w->fn(w->ctx, i); /* no worker for it: same result */
	ser_barrier_wait(&w->done);
}
