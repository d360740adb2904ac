/* The adversary of domain-adversarial training (net.h,
 * ser_net_set_adversary): a small classifier of a nuisance label off the
 * first stats layer's output, whose gradient reaches the net reversed. */
#include "net_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void net_adv_shard_free(shard *s)
{
	free(s->ah), free(s->az), free(s->aprob), free(s->adz), free(s->adh), free(s->adx);
	free(s->agrad);
	s->ah = s->az = s->aprob = s->adz = s->adh = s->adx = s->agrad = NULL;
	s->acap = 0;
}

int ser_net_set_adversary(ser_net *net, int K, int hidden, ser_error *err)
{
	adversary *a = &net->adv;
	int at = -1;
	for (int i = 0; i < SER_NET_THREADS_MAX; i++)
		net_adv_shard_free(&net->sh[i]);
	free(a->params), free(a->grad);
	memset(a, 0, sizeof *a);
	if (K == 0)
		return 0;
	for (int i = 0; i < net->nl && at < 0; i++)
		if (net->l[i].kind == L_STATS)
			at = i;
	if (at < 0 || at == net->nl - 1)
		return ser_seterr(err, SER_EINVAL, "an adversary needs a stats layer before the last "
		                  "layer (architecture '%s')", net->arch);
	if (K < 2 || hidden < 1)
		return ser_seterr(err, SER_EINVAL, "an adversary needs at least 2 classes (%d) and 1 "
		                  "hidden unit (%d)", K, hidden);
	a->K = K;
	a->H = hidden;
	a->D = net->l[at].C_out;
	a->at = at;
	a->n = (size_t)a->H * a->D + a->H + (size_t)K * a->H + K;
	a->params = calloc(a->n, sizeof *a->params);
	a->grad = calloc(a->n, sizeof *a->grad);
	if (!a->params || !a->grad) {
		free(a->params), free(a->grad);
		memset(a, 0, sizeof *a);
		return ser_seterr(err, SER_ENOMEM, "adversary: out of memory");
	}
	return 0;
}

size_t ser_net_adversary_nparams(const ser_net *net) { return net->adv.n; }
float *ser_net_adversary_params(ser_net *net) { return net->adv.params; }
float *ser_net_adversary_grads(ser_net *net) { return net->adv.grad; }

void ser_net_adversary_result(const ser_net *net, double *loss, int *correct)
{
	*loss = net->adv.loss;
	*correct = net->adv.correct;
}

/* glorot_uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)) */
static void glorot(float *w, size_t n, int fan_in, int fan_out, ser_rng *r)
{
	float l = sqrtf(6.0f / (float)(fan_in + fan_out));
	for (size_t i = 0; i < n; i++)
		w[i] = ser_rng_range_f(r, -l, l);
}

void ser_net_adversary_init(ser_net *net, uint64_t seed)
{
	adversary *a = &net->adv;
	ser_rng r;
	if (!a->params)
		return;
	ser_rng_seed(&r, seed);
	memset(a->params, 0, a->n * sizeof *a->params);
	glorot(a->params, (size_t)a->H * a->D, a->D, a->H, &r);
	glorot(a->params + (size_t)a->H * a->D + a->H, (size_t)a->K * a->H, a->H, a->K, &r);
}

int net_adv_reserve(ser_net *net, shard *s, int B, ser_error *err)
{
	const adversary *a = &net->adv;
	if (s->agrad && B <= s->acap)
		return 0;
	net_adv_shard_free(s);
	s->ah = calloc((size_t)B * a->H, sizeof(float));
	s->adh = calloc((size_t)B * a->H, sizeof(float));
	s->az = calloc((size_t)B * a->K, sizeof(float));
	s->aprob = calloc((size_t)B * a->K, sizeof(float));
	s->adz = calloc((size_t)B * a->K, sizeof(float));
	s->adx = calloc((size_t)B * a->D, sizeof(float));
	s->agrad = calloc(a->n, sizeof(float));
	if (!s->ah || !s->adh || !s->az || !s->aprob || !s->adz || !s->adx || !s->agrad) {
		net_adv_shard_free(s);
		return ser_seterr(err, SER_ENOMEM, "adversary: out of memory for a batch of %d", B);
	}
	s->acap = B;
	return 0;
}

void net_adv_pass(ser_net *net, shard *s)
{
	const adversary *a = &net->adv;
	const float *x = s->act[a->at];   /* (B, D, 1): T is 1 after stats */
	const float *w1 = a->params, *b1 = w1 + (size_t)a->H * a->D, *w2 = b1 + a->H,
	            *b2 = w2 + (size_t)a->K * a->H;
	float *g1 = s->agrad, *gb1 = g1 + (size_t)a->H * a->D, *g2 = gb1 + a->H,
	      *gb2 = g2 + (size_t)a->K * a->H;
	int B = s->jB;
	size_t nh = (size_t)B * a->H, nx = (size_t)B * a->D;
	memset(s->agrad, 0, a->n * sizeof *s->agrad);
	ser_dense_forward(s->ah, x, w1, b1, B, a->D, a->H);
	ser_relu_inplace(s->ah, nh);
	ser_dense_forward(s->az, s->ah, w2, b2, B, a->H, a->K);
	s->aloss = ser_crossentropy_forward_backward(s->aprob, s->adz, s->az, s->jadv, B, a->K, NULL,
	                                             0.0f, s->jnorm);
	s->acorrect = 0;
	for (int b = 0; b < B; b++)
		s->acorrect += ser_argmax(s->aprob + (size_t)b * a->K, a->K) == s->jadv[b];
	memset(s->adh, 0, nh * sizeof *s->adh);
	ser_dense_backward(s->adh, g2, gb2, s->adz, s->ah, w2, B, a->H, a->K);
	for (size_t k = 0; k < nh; k++)   /* relu: ah > 0 where its input was */
		if (!(s->ah[k] > 0))
			s->adh[k] = 0;
	memset(s->adx, 0, nx * sizeof *s->adx);
	ser_dense_backward(s->adx, g1, gb1, s->adh, x, w1, B, a->D, a->H);
	for (size_t k = 0; k < nx; k++)   /* the reversal */
		s->adx[k] *= -s->jadvw;
}
