/* Optimisers, learning-rate schedules, Keras initialisers (see optim.h).
 * ref: Keras 3 keras/src/optimizers/{rmsprop,adam,adamw}.py,
 *      keras/src/initializers/random_initializers.py */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct ser_optim {
	ser_optim_opts o;
	size_t n;
	long t;      /* steps taken */
	float *m;    /* (n) first moment / momentum; NULL if unused */
	float *v;    /* (n) second moment; NULL if unused */
	float *state;
	size_t nstate;
};

void ser_optim_defaults(ser_optim_opts *o, int kind)
{
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->lr = kind == SER_OPT_SGD ? 1e-2f : 1e-3f;
	o->rho = 0.9f;
	o->momentum = 0.0f;
	o->beta1 = 0.9f;
	o->beta2 = 0.999f;
	o->eps = 1e-7f;
	o->weight_decay = kind == SER_OPT_ADAMW ? 0.004f : 0.0f;
}

int ser_optim_kind(const char *name)
{
	static const char *names[] = { "sgd", "rmsprop", "adam", "adamw" };
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

ser_optim *ser_optim_new(const ser_optim_opts *o, size_t n, ser_error *err)
{
	if (o->kind < SER_OPT_SGD || o->kind > SER_OPT_ADAMW) {
		ser_seterr(err, SER_EINVAL, "unknown optimiser %d", o->kind);
		return NULL;
	}
	if (!(o->lr >= 0) || !(o->eps > 0) || !(o->rho >= 0 && o->rho < 1) ||
	    !(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) ||
	    !(o->momentum >= 0 && o->momentum < 1) || !(o->weight_decay >= 0)) {
		ser_seterr(err, SER_EINVAL, "optimiser setting out of range");
		return NULL;
	}
	ser_optim *opt = calloc(1, sizeof *opt);
	size_t per = o->kind == SER_OPT_SGD ? (o->momentum > 0) : o->kind == SER_OPT_RMSPROP ? 1 : 2;
	if (opt) {
		opt->o = *o;
		opt->n = n;
		opt->nstate = per * n;
		opt->state = calloc(per * n + 1, sizeof(float));
	}
	if (!opt || !opt->state) {
		free(opt);
		ser_seterr(err, SER_ENOMEM, "optimiser state: out of memory");
		return NULL;
	}
	if (o->kind == SER_OPT_RMSPROP)
		opt->v = opt->state;
	else if (o->kind == SER_OPT_SGD)
		opt->m = per ? opt->state : NULL;
	else {
		opt->m = opt->state;
		opt->v = opt->state + n;
	}
	return opt;
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define RMSPROP_AVX 1
/* RMSprop over [0, n - n % 8) in 8 AVX lanes, the same operations in the
 * same order as the scalar loop: same bits. Returns the count done. */
static __attribute__((target("avx"))) size_t rmsprop_avx(float *restrict p, float *restrict v,
	const float *restrict g, size_t n, float rho_, float lr_, float eps_)
{
	const __m256 rho = _mm256_set1_ps(rho_), rho1 = _mm256_set1_ps(1.0f - rho_);
	const __m256 vlr = _mm256_set1_ps(lr_), eps = _mm256_set1_ps(eps_);
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		__m256 gi = _mm256_loadu_ps(g + i), vi = _mm256_loadu_ps(v + i);
		vi = _mm256_add_ps(_mm256_mul_ps(rho, vi), _mm256_mul_ps(_mm256_mul_ps(rho1, gi), gi));
		_mm256_storeu_ps(v + i, vi);
		__m256 step = _mm256_div_ps(_mm256_mul_ps(vlr, gi), _mm256_add_ps(_mm256_sqrt_ps(vi), eps));
		_mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), step));
	}
	return i;
}
#endif

void ser_optim_step(ser_optim *opt, float *restrict p, const float *restrict g, float lr)
{
	const ser_optim_opts *o = &opt->o;
	size_t n = opt->n;
	float *restrict m = opt->m, *restrict v = opt->v;
	opt->t++;
	switch (o->kind) {
	case SER_OPT_SGD:
		if (m) {
			for (size_t i = 0; i < n; i++) {
				m[i] = o->momentum * m[i] + g[i];
				p[i] -= lr * m[i];
			}
		} else {
			for (size_t i = 0; i < n; i++)
				p[i] -= lr * g[i];
		}
		break;
	case SER_OPT_RMSPROP: {
		size_t i = 0;
#ifdef RMSPROP_AVX
		if (__builtin_cpu_supports("avx"))
			i = rmsprop_avx(p, v, g, n, o->rho, lr, o->eps);
#endif
#ifdef __SSE2__
		/* 4 lanes, the same operations in the same order as the scalar
		 * loop (sqrtps is correctly rounded like sqrtf): same bits */
		const __m128 rho = _mm_set1_ps(o->rho), rho1 = _mm_set1_ps(1.0f - o->rho);
		const __m128 vlr = _mm_set1_ps(lr), eps = _mm_set1_ps(o->eps);
		for (; i + 4 <= n; i += 4) {
			__m128 gi = _mm_loadu_ps(g + i), vi = _mm_loadu_ps(v + i);
			vi = _mm_add_ps(_mm_mul_ps(rho, vi), _mm_mul_ps(_mm_mul_ps(rho1, gi), gi));
			_mm_storeu_ps(v + i, vi);
			__m128 step = _mm_div_ps(_mm_mul_ps(vlr, gi), _mm_add_ps(_mm_sqrt_ps(vi), eps));
			_mm_storeu_ps(p + i, _mm_sub_ps(_mm_loadu_ps(p + i), step));
		}
#endif
		for (; i < n; i++) {
			v[i] = o->rho * v[i] + (1.0f - o->rho) * g[i] * g[i];
			p[i] -= lr * g[i] / (sqrtf(v[i]) + o->eps);
		}
		break;
	}
	case SER_OPT_ADAM:
	case SER_OPT_ADAMW: {
		double t = (double)opt->t;
		float lrt = (float)(lr * sqrt(1.0 - pow(o->beta2, t)) / (1.0 - pow(o->beta1, t)));
		float b1 = o->beta1, b2 = o->beta2;
		if (o->kind == SER_OPT_ADAMW && o->weight_decay > 0) {
			float d = lr * o->weight_decay;
			for (size_t i = 0; i < n; i++)
				p[i] -= d * p[i];
		}
		for (size_t i = 0; i < n; i++) {
			m[i] = b1 * m[i] + (1.0f - b1) * g[i];
			v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
			p[i] -= lrt * m[i] / (sqrtf(v[i]) + o->eps);
		}
		break;
	}
	}
}

size_t ser_optim_nstate(const ser_optim *opt) { return opt->nstate; }
float *ser_optim_state(ser_optim *opt) { return opt->state; }

long ser_optim_steps(const ser_optim *opt) { return opt->t; }
void ser_optim_set_steps(ser_optim *opt, long t) { opt->t = t; }

void ser_optim_free(ser_optim *opt)
{
	if (opt) {
		free(opt->state);
		free(opt);
	}
}

float ser_lr_at(const ser_lr_sched *s, long step)
{
	if (step < 0)
		step = 0;
	if (s->warmup > 0 && step < s->warmup)
		return s->lr * (float)(step + 1) / (float)s->warmup;
	long k = step - (s->warmup > 0 ? s->warmup : 0);
	switch (s->kind) {
	case SER_LR_COSINE: {
		long span = s->total - (s->warmup > 0 ? s->warmup : 0);
		if (span <= 0 || k >= span)
			return s->lr_min;
		double c = 0.5 * (1.0 + cos(3.14159265358979323846 * (double)k / (double)span));
		return (float)(s->lr_min + (s->lr - s->lr_min) * c);
	}
	case SER_LR_STEP:
		if (s->every <= 0)
			return s->lr;
		return (float)(s->lr * pow(s->gamma, (double)(k / s->every)));
	default:
		return s->lr;
	}
}
