/* Training checkpoints (what and why in checkpoint.h). */
#include "checkpoint.h"
#include "bytes.h"
#include "featio.h"
#include "net.h"

#include <stdlib.h>
#include <string.h>

/* A stream with the running FNV-1a 64 of what passed through it. */
typedef struct cstream {
	FILE *f;
	uint64_t h;
	int bad;      /* a short read or a failed write */
} cstream;

static void put(cstream *s, const void *p, size_t n)
{
	s->h = ser_fingerprint_more(s->h, p, n);
	if (!s->bad && fwrite(p, 1, n, s->f) != n)
		s->bad = 1;
}

static void put_u64(cstream *s, uint64_t v)
{
	unsigned char b[8];
	ser_put_le64(b, v);
	put(s, b, 8);
}

static void put_f32s(cstream *s, const float *x, uint64_t n)
{
	unsigned char b[4096];
	for (uint64_t i = 0; i < n;) {
		size_t k = 0;
		for (; k + 4 <= sizeof b && i < n; k += 4, i++)
			ser_put_le32(b + k, ser_f32_bits(x[i]));
		put(s, b, k);
	}
}

int ser_ckpt_write(const ser_ckpt *c, FILE *f, ser_error *err)
{
	cstream s = { f, SER_FINGERPRINT_BASIS, 0 };
	unsigned char b[4];
	put(&s, SER_CKPT_MAGIC, 8);
	ser_put_le32(b, c->nadv ? 2 : 1);
	put(&s, b, 4);
	put_u64(&s, c->run);
	put_u64(&s, (uint64_t)c->epoch);
	put_u64(&s, (uint64_t)c->step);
	for (int i = 0; i < 4; i++)
		put_u64(&s, c->rng[i]);
	put_u64(&s, (uint64_t)c->best_epoch);
	put_u64(&s, ser_f64_bits(c->best_uar));
	put_u64(&s, ser_f64_bits(c->best_acc));
	put_u64(&s, ser_f64_bits(c->best_loss));
	put_u64(&s, c->n_order);
	for (uint64_t i = 0; i < c->n_order; i++) {
		ser_put_le32(b, (uint32_t)c->order[i]);
		put(&s, b, 4);
	}
	put_u64(&s, c->nparams);
	put_f32s(&s, c->params, c->nparams);
	put_f32s(&s, c->best, c->nparams);
	put_u64(&s, c->nstate);
	put_f32s(&s, c->opt, c->nstate);
	put_u64(&s, (uint64_t)c->opt_steps);
	if (c->nadv) {
		put_u64(&s, c->nadv);
		put_f32s(&s, c->adv, c->nadv);
		put_u64(&s, c->nadvstate);
		put_f32s(&s, c->advopt, c->nadvstate);
		put_u64(&s, (uint64_t)c->advopt_steps);
	}
	uint64_t h = s.h;
	put_u64(&s, h);
	if (s.bad)
		return ser_seterr(err, SER_EIO, "checkpoint: write error");
	return 0;
}

static int get(cstream *s, void *p, size_t n)
{
	if (s->bad || fread(p, 1, n, s->f) != n) {
		s->bad = 1;
		memset(p, 0, n);
		return -1;
	}
	s->h = ser_fingerprint_more(s->h, p, n);
	return 0;
}

static uint64_t get_u64(cstream *s)
{
	unsigned char b[8];
	get(s, b, 8);
	return ser_get_le64(b);
}

static float *get_f32s(cstream *s, uint64_t n)
{
	float *x = malloc((n ? n : 1) * sizeof *x);
	unsigned char b[4];
	for (uint64_t i = 0; x && i < n; i++) {
		get(s, b, 4);
		x[i] = ser_bits_f32(ser_get_le32(b));
	}
	return x;
}

/* The header up to the order array; its sizes checked. */
static int read_head(ser_ckpt *c, cstream *s, const char *name, int *version, ser_error *err)
{
	char magic[8];
	unsigned char b[4];
	if (get(s, magic, 8) < 0 || memcmp(magic, SER_CKPT_MAGIC, 8))
		return ser_seterr(err, SER_EFORMAT, "%s: not a ser training checkpoint", name);
	get(s, b, 4);
	if (ser_get_le32(b) < 1 || ser_get_le32(b) > SER_CKPT_VERSION)
		return ser_seterr(err, SER_EFORMAT, "%s: checkpoint version %u (this ser reads 1 to %d)",
		                  name, ser_get_le32(b), SER_CKPT_VERSION);
	*version = (int)ser_get_le32(b);
	c->run = get_u64(s);
	c->epoch = (int64_t)get_u64(s);
	c->step = (int64_t)get_u64(s);
	for (int i = 0; i < 4; i++)
		c->rng[i] = get_u64(s);
	c->best_epoch = (int64_t)get_u64(s);
	c->best_uar = ser_bits_f64(get_u64(s));
	c->best_acc = ser_bits_f64(get_u64(s));
	c->best_loss = ser_bits_f64(get_u64(s));
	c->n_order = get_u64(s);
	if (s->bad)
		return ser_seterr(err, SER_EFORMAT, "%s: checkpoint truncated in its header", name);
	if (c->epoch < 1 || c->step < 0 || c->best_epoch < 0 || c->best_epoch > c->epoch ||
	    c->n_order < 1 || c->n_order > SER_CKPT_ORDER_MAX)
		return ser_seterr(err, SER_EFORMAT, "%s: checkpoint header out of range (epoch %lld, "
		                  "step %lld, %llu utterances)", name, (long long)c->epoch,
		                  (long long)c->step, (unsigned long long)c->n_order);
	return 0;
}

int ser_ckpt_read(ser_ckpt *c, FILE *f, const char *name, ser_error *err)
{
	cstream s = { f, SER_FINGERPRINT_BASIS, 0 };
	unsigned char b[4];
	int rc, version = 1;
	memset(c, 0, sizeof *c);
	if ((rc = read_head(c, &s, name, &version, err)) < 0)
		return rc;
	if (!(c->order = malloc(c->n_order * sizeof *c->order)))
		return ser_seterr(err, SER_ENOMEM, "%s: out of memory", name);
	for (uint64_t i = 0; i < c->n_order; i++) {
		get(&s, b, 4);
		c->order[i] = (int32_t)ser_get_le32(b);
	}
	c->nparams = get_u64(&s);
	if (s.bad || c->nparams < 1 || c->nparams > SER_NET_PARAMS_MAX) {
		ser_ckpt_free(c);
		return ser_seterr(err, SER_EFORMAT, "%s: checkpoint truncated or parameter count "
		                  "out of range", name);
	}
	c->params = get_f32s(&s, c->nparams);
	c->best = get_f32s(&s, c->nparams);
	c->nstate = get_u64(&s);
	if (s.bad || c->nstate > 2 * (uint64_t)SER_NET_PARAMS_MAX || !c->params || !c->best) {
		ser_ckpt_free(c);
		return ser_seterr(err, s.bad || c->params ? SER_EFORMAT : SER_ENOMEM, "%s: checkpoint "
		                  "truncated, optimiser state out of range, or out of memory", name);
	}
	c->opt = get_f32s(&s, c->nstate);
	c->opt_steps = (int64_t)get_u64(&s);
	if (version >= 2 && !s.bad) {
		c->nadv = get_u64(&s);
		if (c->nadv < 1 || c->nadv > SER_NET_PARAMS_MAX)
			s.bad = 1;
		else
			c->adv = get_f32s(&s, c->nadv);
		c->nadvstate = s.bad ? 0 : get_u64(&s);
		if (c->nadvstate > 2 * (uint64_t)SER_NET_PARAMS_MAX)
			s.bad = 1;
		else if (!s.bad)
			c->advopt = get_f32s(&s, c->nadvstate);
		c->advopt_steps = (int64_t)get_u64(&s);
	}
	int mem = !c->opt || (version >= 2 && !s.bad && (!c->adv || !c->advopt));
	uint64_t want = s.h, got = get_u64(&s);
	if (s.bad || mem || got != want || fgetc(f) != EOF) {
		int trunc = s.bad || mem;
		ser_ckpt_free(c);
		return ser_seterr(err, SER_EFORMAT, "%s: %s", name, trunc ? "checkpoint truncated"
		                  : got != want ? "checksum mismatch: file damaged"
		                                : "bytes after the checkpoint's end");
	}
	return 0;
}

void ser_ckpt_free(ser_ckpt *c)
{
	free(c->order);
	free(c->params);
	free(c->best);
	free(c->opt);
	free(c->adv);
	free(c->advopt);
	c->order = NULL;
	c->params = c->best = c->opt = c->adv = c->advopt = NULL;
}
