/* The network's buffers and passes (see net.h): one forward and one
 * backward dispatch over the layers of net_arch.c, the arithmetic in
 * nn.c, the shards of a batch on the workers of workers.c. */
#include "net_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void shard_free(ser_net *net, shard *s)
{
	if (s->act)
		for (int i = 0; i < net->nl; i++) {
			if (!net_act_aliased(net, i))
				free(s->act[i]);
			free(s->mask[i]);
			free(s->argmax[i]);
			free(s->bnstat[i]);
		}
	free(s->act), free(s->mask), free(s->argmax), free(s->bnstat);
	free(s->x), free(s->T), free(s->lens), free(s->ids), free(s->d0), free(s->d1);
	free(s->work), free(s->grad), free(s->probs), free(s->dlogits);
	net_adv_shard_free(s);
	memset(s, 0, sizeof *s);
}

void ser_net_free(ser_net *net)
{
	if (!net)
		return;
	ser_workers_stop(&net->wk);
	for (int i = 0; i < SER_NET_THREADS_MAX; i++)
		shard_free(net, &net->sh[i]);
	shard_free(net, &net->inf);
	free(net->arch), free(net->params), free(net->grad), free(net->chunk_a);
	free(net->adv.params), free(net->adv.grad);
	free(net);
}

/* Makes room in s for B samples of T frames (grows only). */
static int shard_reserve(ser_net *net, shard *s, int B, int T, int train, ser_error *err)
{
	if (s->act && B <= s->Bcap && T <= s->Tcap && (!train || s->grad))
		return 0;
	if (s->act) {
		if (B < s->Bcap)
			B = s->Bcap;
		if (T < s->Tcap)
			T = s->Tcap;
		train |= s->grad != NULL;
	}
	shard_free(net, s);
	int nl = net->nl, ok = 1;
	size_t xsz = (size_t)B * net->in_c * T, dmax = xsz, wmax = 1;
	s->act = calloc(nl, sizeof *s->act);
	s->mask = calloc(nl, sizeof *s->mask);
	s->argmax = calloc(nl, sizeof *s->argmax);
	s->bnstat = calloc(nl, sizeof *s->bnstat);
	s->T = calloc(nl + 1, sizeof *s->T);
	s->lens = calloc((size_t)(nl + 1) * B, sizeof *s->lens);
	s->ids = calloc(B, sizeof *s->ids);
	s->x = calloc(xsz, sizeof *s->x);
	ok = s->act && s->mask && s->argmax && s->bnstat && s->T && s->lens && s->ids && s->x;
	int t = T;
	for (int i = 0; ok && i < nl; i++) {
		const layer *L = &net->l[i];
		int to = net_layer_frames(L, t);
		if (to < 1)
			to = 1;
		size_t n = (size_t)B * L->C_out * to;
		if (n > dmax)
			dmax = n;
		/* flatten: the (B, C, T) input read as (B, C*T), no copy;
		 * relu in place (act_aliased) */
		if (net_act_aliased(net, i))
			s->act[i] = i ? s->act[i - 1] : s->x;
		else
			s->act[i] = calloc(n, sizeof(float));
		ok &= s->act[i] != NULL;
		if (L->kind == L_DROPOUT)
			ok &= (s->mask[i] = calloc(n, sizeof(float))) != NULL;
		if (L->kind == L_BN) {
			ok &= (s->mask[i] = calloc(2 * (size_t)L->C_in, sizeof(float))) != NULL;
			ok &= (s->bnstat[i] = calloc(2 * (size_t)L->C_in, sizeof(float))) != NULL;
		}
		if (L->kind == L_MAXPOOL || L->kind == L_MAXPOOL2D)
			ok &= (s->argmax[i] = calloc(n, sizeof(int))) != NULL;
		if (L->kind == L_CONV2D) {
			ser_conv2d_dims d = net_conv2d_dims(L, 1, t);
			size_t w = ser_conv2d_work(&d);
			if (w > wmax)
				wmax = w;
		}
		if (L->kind == L_CONV) {
			ser_conv1d_dims d = net_conv1d_dims(L, 1, t);
			if (d.T_out < 1)
				d.T_out = 1;
			size_t w = ser_conv1d_work(&d);
			if (w > wmax)
				wmax = w;
		}
		t = to;
	}
	if (ok) {
		s->work = calloc(wmax, sizeof(float));
		s->probs = calloc((size_t)B * net->ncls, sizeof(float));
		s->dlogits = calloc(2 * (size_t)B * net->ncls, sizeof(float));
		ok = s->work && s->probs && s->dlogits;
	}
	if (ok && train) {
		s->d0 = calloc(dmax, sizeof(float));
		s->d1 = calloc(dmax, sizeof(float));
		s->grad = calloc(net->nparams, sizeof(float));
		ok = s->d0 && s->d1 && s->grad;
	}
	if (!ok) {
		shard_free(net, s);
		return ser_seterr(err, SER_ENOMEM, "network: out of memory for a batch of %d x %d frames", B, T);
	}
	s->Bcap = B;
	s->Tcap = T;
	return 0;
}

/* Zeroes frames t >= len[b] of a (B, C, T) activation. */
static void mask_frames(float *a, int B, int C, int T, const int *len)
{
	for (int b = 0; b < B; b++)
		if (len[b] < T)
			for (int c = 0; c < C; c++)
				memset(a + ((size_t)b * C + c) * T + len[b], 0,
				       (size_t)(T - len[b]) * sizeof(float));
}

/* Forward pass of B samples (T frames, lengths or NULL) through s.
 * train: dropout on and bn batch statistics (into s->bnstat). Leaves
 * logits in s->act[nl-1]. */
static void forward_layers(ser_net *net, shard *s, int B, int i0, int i1, int train,
                           uint64_t seed);

static void forward(ser_net *net, shard *s, const float *x, int B, int T, const int *lengths,
                    int train, uint64_t seed, int b0)
{
	int nl = net->nl;
	memcpy(s->x, x, (size_t)B * net->in_c * T * sizeof(float));
	s->T[0] = T;
	for (int b = 0; b < B; b++) {
		s->lens[b] = lengths ? lengths[b] : T;
		s->ids[b] = (uint64_t)(b0 + b);
	}
	if (lengths)
		mask_frames(s->x, B, net->in_c, T, s->lens);
	forward_layers(net, s, B, 0, nl, train, seed);
}

/* Layers [i0, i1) of the forward pass: the input of layer i0 is in place
 * (s->x or s->act[i0 - 1]) with s->T[i0] frames and lengths s->lens + i0*B. */
static void forward_layers(ser_net *net, shard *s, int B, int i0, int i1, int train,
                           uint64_t seed)
{
	float *P = net->params;
	for (int i = i0; i < i1; i++) {
		const layer *L = &net->l[i];
		const float *in = i ? s->act[i - 1] : s->x;
		float *out = s->act[i];
		int Ti = s->T[i], C = L->C_in;
		int *li = s->lens + (size_t)i * B, *lo = li + B;
		int To = net_layer_frames(L, Ti);
		s->T[i + 1] = To;
		for (int b = 0; b < B; b++)
			lo[b] = net_layer_frames(L, li[b]);
		size_t n = (size_t)B * C * Ti;
		switch (L->kind) {
		case L_CONV: {
			ser_conv1d_dims d = net_conv1d_dims(L, B, Ti);
			ser_conv1d_forward(out, in, P + L->w, P + L->b, &d, s->work);
			mask_frames(out, B, L->C_out, To, lo);
			break;
		}
		case L_CONV2D: {
			ser_conv2d_dims d = net_conv2d_dims(L, B, Ti);
			ser_conv2d_forward(out, in, P + L->w, P + L->b, &d, s->work);
			mask_frames(out, B, L->C_out, To, lo);
			break;
		}
		case L_MAXPOOL2D:
			ser_maxpool2d_forward(out, train ? s->argmax[i] : NULL, in, B, C / L->rows_in,
			                      L->rows_in, Ti, L->u.pool2d.rows, L->u.pool2d.frames);
			mask_frames(out, B, L->C_out, To, lo);
			break;
		case L_DENSE:
			ser_dense_forward(out, in, P + L->w, P + L->b, B, C, L->u.dense.units);
			break;
		case L_RELU:
			if (out == in)
				ser_relu_inplace(out, n);
			else
				ser_relu_forward(out, in, n);
			break;
		case L_DROPOUT:
			if (train && L->u.dropout.p > 0)
				ser_dropout_forward(out, s->mask[i], in, B, (size_t)C * Ti, L->u.dropout.p,
				                    ser_rng_mix(seed, (uint64_t)i), s->ids);
			else
				memcpy(out, in, n * sizeof(float));
			break;
		case L_MAXPOOL:
			ser_maxpool_forward(out, s->argmax[i], in, B, C, Ti, L->u.pool.size, L->u.pool.stride);
			mask_frames(out, B, C, To, lo);
			break;
		case L_AVGPOOL:
			ser_avgpool_forward(out, in, B, C, Ti, L->u.pool.size, L->u.pool.stride);
			mask_frames(out, B, C, To, lo);
			break;
		case L_BN:
			if (train)
				ser_batchnorm_forward(out, s->mask[i], s->mask[i] + C, in, P + L->w, P + L->b,
				                      s->bnstat[i], s->bnstat[i] + C, B, C, Ti, li, 1, 0.0f,
				                      L->u.bn.eps);
			else
				ser_batchnorm_forward(out, s->mask[i], s->mask[i] + C, in, P + L->w, P + L->b,
				                      P + L->rm, P + L->rv, B, C, Ti, li, 0, 0.0f,
				                      L->u.bn.eps);
			break;
		case L_STATS:
			ser_statpool_forward(out, in, B, C, Ti, li, STATS_EPS);
			break;
		case L_FLATTEN: /* out aliases in (shard_reserve) */
			break;
		}
	}
}

/* Backward pass from s->dlogits, adding parameter gradients into G;
 * with the job's adversary labels its reversed gradient joins at the
 * stats layer's output. */
static void backward(ser_net *net, shard *s, int B, float *G)
{
	const float *P = net->params;
	float *dcur = s->dlogits, *bufs[2] = { s->d0, s->d1 };
	int which = 0;
	for (int i = net->nl - 1; i >= 0; i--) {
		const layer *L = &net->l[i];
		const float *in = i ? s->act[i - 1] : s->x;
		int Ti = s->T[i], To = s->T[i + 1], C = L->C_in;
		const int *li = s->lens + (size_t)i * B, *lo = li + B;
		size_t n = (size_t)B * C * Ti;
		float *din = NULL;
		if (s->jadv && i == net->adv.at)   /* dcur: the gradient of act[i] */
			for (size_t k = 0; k < (size_t)B * net->adv.D; k++)
				dcur[k] += s->adx[k];
		if (L->kind == L_FLATTEN) { /* gradient passes through unchanged */
			if (i == 0)
				break;
			continue;
		}
		if (L->fused_above)   /* done by the dropout above, with its own */
			continue;
		if (i > 0) {
			din = bufs[which];
			which ^= 1;
			/* relu and dropout write all of din (= the += of nn.c on zeros) */
			if (L->kind != L_RELU && L->kind != L_DROPOUT)
				memset(din, 0, n * sizeof(float));
		}
		switch (L->kind) {
		case L_CONV: {
			ser_conv1d_dims d = net_conv1d_dims(L, B, Ti);
			mask_frames(dcur, B, L->C_out, To, lo);
			ser_conv1d_backward(din, G + L->w, G + L->b, dcur, in, P + L->w, &d, s->work);
			break;
		}
		case L_CONV2D: {
			ser_conv2d_dims d = net_conv2d_dims(L, B, Ti);
			mask_frames(dcur, B, L->C_out, To, lo);
			ser_conv2d_backward(din, G + L->w, G + L->b, dcur, in, P + L->w, &d, s->work);
			break;
		}
		case L_MAXPOOL2D:
			mask_frames(dcur, B, L->C_out, To, lo);
			if (din)
				ser_maxpool2d_backward(din, dcur, s->argmax[i], B, C / L->rows_in, L->rows_in, Ti,
				                       L->u.pool2d.rows, L->u.pool2d.frames);
			break;
		case L_DENSE:
			ser_dense_backward(din, G + L->w, G + L->b, dcur, in, P + L->w, B, C,
			                   L->u.dense.units);
			break;
		case L_RELU:
			if (din)
				ser_relu_backward_set(din, dcur, in, n);
			break;
		case L_DROPOUT:
			if (din) {
				if (L->fused_relu)   /* and the relu below: din is its input gradient */
					ser_dropout_relu_backward_set(din, dcur, s->mask[i], s->act[i - 2], n);
				else if (L->u.dropout.p > 0)
					ser_dropout_backward_set(din, dcur, s->mask[i], n);
				else
					memcpy(din, dcur, n * sizeof(float));
			}
			break;
		case L_MAXPOOL:
			mask_frames(dcur, B, C, To, lo);
			if (din)
				ser_maxpool_backward(din, dcur, s->argmax[i], B, C, Ti, L->u.pool.size,
				                     L->u.pool.stride);
			break;
		case L_AVGPOOL:
			mask_frames(dcur, B, C, To, lo);
			if (din)
				ser_avgpool_backward(din, dcur, B, C, Ti, L->u.pool.size, L->u.pool.stride);
			break;
		case L_BN:
			ser_batchnorm_backward(din, G + L->w, G + L->b, dcur, in, s->mask[i], s->mask[i] + C,
			                       P + L->w, B, C, Ti, li);
			break;
		case L_STATS:
			if (din)
				ser_statpool_backward(din, dcur, s->act[i], in, B, C, Ti, li);
			break;
		case L_FLATTEN:
			break;
		}
		if (!din)
			break;
		dcur = din;
	}
}

/* Loss and dlogits (B, n) of one target set of the shard's job. */
static float shard_loss(const ser_net *net, shard *s, float *dlogits, const int *labels)
{
	const float *z = s->act[net->nl - 1];
	if (!s->jw && !s->jmask)
		return ser_crossentropy_forward_backward(s->probs, dlogits, z, labels, s->jB, net->ncls,
		                                         s->jcw, s->jsmooth, s->jnorm);
	return ser_crossentropy_masked_forward_backward(s->probs, dlogits, z, labels, s->jmask, s->jB,
	                                                net->ncls, s->jw, s->jsmooth, s->jnorm);
}

static void run_shard(ser_net *net, shard *s)
{
	int B = s->jB, n = net->ncls;
	memset(s->grad, 0, net->ntrain * sizeof(float));
	forward(net, s, s->jx, B, s->jT, s->jlen, 1, s->jseed, s->jb0);
	s->loss = shard_loss(net, s, s->dlogits, s->jlab);
	if (s->jlab2) {
		/* mixup: lam * (loss, gradient) for jlab + (1 - lam) * for jlab2 */
		float *d2 = s->dlogits + (size_t)B * n, lam = s->jlam;
		float l2 = shard_loss(net, s, d2, s->jlab2);
		s->loss = lam * s->loss + (1 - lam) * l2;
		for (size_t k = 0; k < (size_t)B * n; k++)
			s->dlogits[k] = lam * s->dlogits[k] + (1 - lam) * d2[k];
	}
	s->correct = 0;
	for (int b = 0; b < B; b++)
		s->correct += ser_argmax(s->probs + (size_t)b * n, n) ==
		              (s->jlab2 && s->jlam < 0.5f ? s->jlab2[b] : s->jlab[b]);
	if (s->jadv)
		net_adv_pass(net, s);
	backward(net, s, B, s->grad);
}

/* Shard i of the batch: a job of the workers. */
static void shard_job(void *ctx, int i)
{
	ser_net *net = ctx;
	run_shard(net, &net->sh[i]);
}

static int check_batch(const ser_net *net, int B, int T, const int *lengths, ser_error *err)
{
	if (B < 1 || T < net->min_len || (net->in_len && T != net->in_len))
		return ser_seterr(err, SER_EINVAL, "batch of %d x %d frames: the net needs %s %d frames",
		                  B, T, net->in_len ? "exactly" : "at least",
		                  net->in_len ? net->in_len : net->min_len);
	if ((double)B * net->in_c * T > 1e9)
		return ser_seterr(err, SER_ELIMIT, "batch of %d x %d frames is too large", B, T);
	if (lengths)
		for (int b = 0; b < B; b++)
			if (lengths[b] < net->min_len || lengths[b] > T)
				return ser_seterr(err, SER_EINVAL, "sample %d: length %d outside [%d, %d]", b,
				                  lengths[b], net->min_len, T);
	return 0;
}

int ser_net_train_batch(ser_net *net, const float *x, int B, int T, const int *lengths,
                        const int *labels, const float *class_weights, float label_smoothing,
                        uint64_t seed, float *loss, int *correct, ser_error *err)
{
	return ser_net_train_batch_mix(net, x, B, T, lengths, labels, NULL, 1.0f, class_weights,
	                               label_smoothing, seed, loss, correct, err);
}

int ser_net_train_batch_mix(ser_net *net, const float *x, int B, int T, const int *lengths,
                            const int *labels, const int *labels2, float lam,
                            const float *class_weights, float label_smoothing, uint64_t seed,
                            float *loss, int *correct, ser_error *err)
{
	ser_targets t = { labels, labels2, lam, class_weights, NULL, NULL, label_smoothing, NULL, 0 };
	return ser_net_train_batch_targets(net, x, B, T, lengths, &t, seed, loss, correct, err);
}

static int check_targets(const ser_net *net, const ser_targets *t, int B, ser_error *err)
{
	const int *labels = t->labels, *labels2 = t->labels2;
	if (t->adv_labels && !net->adv.params)
		return ser_seterr(err, SER_EINVAL, "adversary labels without an adversary");
	for (int b = 0; b < B; b++) {
		const unsigned char *ok = t->mask ? t->mask + (size_t)b * net->ncls : NULL;
		int out1 = labels[b] < 0 || labels[b] >= net->ncls;
		if (out1 || (labels2 && (labels2[b] < 0 || labels2[b] >= net->ncls)))
			return ser_seterr(err, SER_EINVAL, "sample %d: label %d outside [0, %d)", b,
			                  out1 ? labels[b] : labels2[b], net->ncls);
		if (ok && (!ok[labels[b]] || (labels2 && !ok[labels2[b]])))
			return ser_seterr(err, SER_EINVAL, "sample %d: label %d is not one of the sample's "
			                  "possible classes", b, ok[labels[b]] ? labels2[b] : labels[b]);
		if (t->sample_weights && !(t->sample_weights[b] >= 0 && isfinite(t->sample_weights[b])))
			return ser_seterr(err, SER_EINVAL, "sample %d: weight %g is not a finite number "
			                  ">= 0", b, t->sample_weights[b]);
		if (t->adv_labels && (t->adv_labels[b] < 0 || t->adv_labels[b] >= net->adv.K))
			return ser_seterr(err, SER_EINVAL, "sample %d: adversary label %d outside [0, %d)",
			                  b, t->adv_labels[b], net->adv.K);
	}
	if (t->adv_labels && !(t->adv_weight >= 0 && isfinite(t->adv_weight)))
		return ser_seterr(err, SER_EINVAL, "adversary weight %g is not a finite number >= 0",
		                  t->adv_weight);
	return 0;
}

int ser_net_train_batch_targets(ser_net *net, const float *x, int B, int T, const int *lengths,
                                const ser_targets *t, uint64_t seed, float *loss, int *correct,
                                ser_error *err)
{
	const int *labels = t->labels, *labels2 = t->labels2;
	float lam = t->lam, label_smoothing = t->label_smoothing;
	const float *class_weights = t->class_weights;
	int rc = check_batch(net, B, T, lengths, err);
	if (rc < 0 || (rc = check_targets(net, t, B, err)) < 0)
		return rc;
	if (!(lam >= 0 && lam <= 1))
		return ser_seterr(err, SER_EINVAL, "mixup weight %g outside [0, 1]", lam);
	if (!(label_smoothing >= 0 && label_smoothing < 1))
		return ser_seterr(err, SER_EINVAL, "label smoothing %g outside [0, 1)", label_smoothing);
	int nsh = net->threads < B ? net->threads : B;
	for (int i = 0; i < nsh; i++) {
		int b0 = (int)((long)i * B / nsh), b1 = (int)((long)(i + 1) * B / nsh);
		if ((rc = shard_reserve(net, &net->sh[i], b1 - b0, T, 1, err)) < 0 ||
		    (t->adv_labels && (rc = net_adv_reserve(net, &net->sh[i], b1 - b0, err)) < 0))
			return rc;
		shard *s = &net->sh[i];
		s->jx = x + (size_t)b0 * net->in_c * T;
		s->jlen = lengths ? lengths + b0 : NULL;
		s->jlab = labels + b0;
		s->jlab2 = labels2 ? labels2 + b0 : NULL;
		s->jlam = lam;
		s->jcw = class_weights;
		s->jw = t->sample_weights ? t->sample_weights + b0 : NULL;
		s->jmask = t->mask ? t->mask + (size_t)b0 * net->ncls : NULL;
		s->jsmooth = label_smoothing;
		s->jnorm = (float)B;
		s->jB = b1 - b0;
		s->jT = T;
		s->jb0 = b0;
		s->jseed = seed;
		s->jadv = t->adv_labels ? t->adv_labels + b0 : NULL;
		s->jadvw = t->adv_weight;
	}
	net->nsh = nsh;
	if (net->wk.on && net->wk.threads != net->threads)
		ser_workers_stop(&net->wk);
	if (nsh > 1 && net->wk.threads != net->threads)
		ser_workers_start(&net->wk, net->threads, shard_job, net);
	if (net->wk.on && nsh > 1) {
		ser_workers_run(&net->wk, nsh);
	} else {
		for (int i = 0; i < nsh; i++)
			run_shard(net, &net->sh[i]);
	}
	/* reduce in fixed shard order */
	double l = 0;
	int corr = 0;
	for (int i = 0; i < nsh; i++) {
		const float *g = net->sh[i].grad;
		for (size_t k = 0; k < net->ntrain; k++)
			net->grad[k] += g[k];
		l += net->sh[i].loss;
		corr += net->sh[i].correct;
	}
	net->adv.loss = 0;
	net->adv.correct = 0;
	for (int i = 0; t->adv_labels && i < nsh; i++) {
		const float *g = net->sh[i].agrad;
		for (size_t k = 0; k < net->adv.n; k++)
			net->adv.grad[k] += g[k];
		net->adv.loss += net->sh[i].aloss;
		net->adv.correct += net->sh[i].acorrect;
	}
	for (int li = 0; li < net->nl; li++) {
		const layer *L = &net->l[li];
		if (L->kind != L_BN || L->w < net->frozen)
			continue;
		float *rm = net->params + L->rm, *rv = net->params + L->rv;
		for (int c = 0; c < L->C_in; c++) {
			float m = 0, v = 0;
			for (int i = 0; i < nsh; i++) {
				m += net->sh[i].bnstat[li][c];
				v += net->sh[i].bnstat[li][L->C_in + c];
			}
			m /= (float)nsh, v /= (float)nsh;
			rm[c] = L->u.bn.momentum * rm[c] + (1.0f - L->u.bn.momentum) * m;
			rv[c] = L->u.bn.momentum * rv[c] + (1.0f - L->u.bn.momentum) * v;
		}
	}
	if (loss)
		*loss = (float)l;
	if (correct)
		*correct = corr;
	return 0;
}

int ser_net_eval_batch(ser_net *net, const float *x, int B, int T, const int *lengths,
                       float *probs, ser_error *err)
{
	int rc = check_batch(net, B, T, lengths, err);
	if (rc < 0 || (rc = shard_reserve(net, &net->inf, B, T, 0, err)) < 0)
		return rc;
	forward(net, &net->inf, x, B, T, lengths, 0, 0, 0);
	ser_softmax_forward(probs, net->inf.act[net->nl - 1], B, net->ncls);
	return 0;
}

/* Layers [0, g) over the chunks of x (C0, T), their cores gathered into
 * chunk_a (C, T_g); then stats over all of it and the layers after, as
 * one pass would (the same values: a core's frames see only real data). */
static int forward_chunked(ser_net *net, const float *x, int T, float *probs, ser_error *err)
{
	shard *s = &net->inf;
	int g = net->chunk_g, P = net->chunk_P, M = net->chunk_M, L = net->chunk_len;
	int C = net->l[g].C_in, Tg = T, rc;
	for (int i = 0; i < g; i++)
		Tg = net_layer_frames(&net->l[i], Tg);
	if ((rc = shard_reserve(net, s, 1, L + 2 * M, 0, err)) < 0)
		return rc;
	if ((size_t)C * Tg > net->chunk_acap) {
		float *a = realloc(net->chunk_a, (size_t)C * Tg * sizeof *a);
		if (!a)
			return ser_seterr(err, SER_ENOMEM, "network: out of memory for %d frames", T);
		net->chunk_a = a;
		net->chunk_acap = (size_t)C * Tg;
	}
	for (int c0 = 0, last = 0; !last; c0 += L) {
		last = T - c0 <= L + M;   /* the margin reaches the end: the rest in this chunk */
		int c1 = last ? T : c0 + L;
		int s0 = c0 > M ? c0 - M : 0, n = (last ? T : c1 + M) - s0;
		for (int ch = 0; ch < net->in_c; ch++)
			memcpy(s->x + (size_t)ch * n, x + (size_t)ch * T + s0, (size_t)n * sizeof *x);
		s->T[0] = s->lens[0] = n;
		s->ids[0] = 0;
		forward_layers(net, s, 1, 0, g, 0, 0);
		int To = s->T[g], j0 = c0 / P, j1 = last || c1 / P > Tg ? Tg : c1 / P, off = s0 / P;
		if (j1 - off > To || j0 > j1)
			return ser_seterr(err, SER_EINVAL, "network: chunk of %d frames too short", n);
		for (int ch = 0; ch < C; ch++)
			memcpy(net->chunk_a + (size_t)ch * Tg + j0, s->act[g - 1] + (size_t)ch * To + (j0 - off),
			       (size_t)(j1 - j0) * sizeof *x);
	}
	s->T[g] = s->lens[g] = Tg;
	ser_statpool_forward(s->act[g], net->chunk_a, 1, C, Tg, s->lens + g, STATS_EPS);
	s->T[g + 1] = s->lens[g + 1] = 1;
	forward_layers(net, s, 1, g + 1, net->nl, 0, 0);
	ser_softmax_forward(probs, s->act[net->nl - 1], 1, net->ncls);
	return 0;
}

int ser_net_forward(ser_net *net, const float *x, int T, float *probs, ser_error *err)
{
	if (net->chunk_g > 0 && T > net->chunk_len + 2 * net->chunk_M) {
		int rc = check_batch(net, 1, T, NULL, err);
		return rc < 0 ? rc : forward_chunked(net, x, T, probs, err);
	}
	return ser_net_eval_batch(net, x, 1, T, NULL, probs, err);
}

int ser_net_reserve(ser_net *net, int max_T, ser_error *err)
{
	if (max_T < net->min_len)
		max_T = net->min_len;
	if (net->chunk_g > 0 && max_T > net->chunk_len + 2 * net->chunk_M)
		max_T = net->chunk_len + 2 * net->chunk_M;   /* longer inputs go in chunks */
	return shard_reserve(net, &net->inf, 1, max_T, 0, err);
}

int ser_net_set_threads(ser_net *net, int threads, ser_error *err)
{
	if (threads < 1 || threads > SER_NET_THREADS_MAX)
		return ser_seterr(err, SER_EINVAL, "threads %d outside [1, %d]", threads, SER_NET_THREADS_MAX);
	net->threads = threads;
	return 0;
}
