/* The index of items by string key: see strindex.h. */
#include "strindex.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 64

static size_t home(const char *s, size_t n, size_t nslot)
{
	return (size_t)ser_fnv1a64_more(SER_FNV1A64_BASIS, s, n) & (nslot - 1);
}

/* Item k into the first empty slot of its probe sequence. */
static void put(size_t *slot, size_t nslot, size_t k, ser_strindex_key key, const void *ctx)
{
	size_t n;
	const char *s = key(ctx, k, &n);
	size_t i = home(s, n, nslot);
	while (slot[i])
		i = (i + 1) & (nslot - 1);
	slot[i] = k + 1;
}

void ser_strindex_init(ser_strindex *x)
{
	x->slot = NULL;
	x->nslot = x->n = 0;
}

/* Rehashes walking the old table once round from an empty slot: within a
 * run of full slots that is probe order, so items sharing a key keep
 * their order. */
int ser_strindex_reserve(ser_strindex *x, size_t n, ser_strindex_key key, const void *ctx)
{
	size_t ns = x->nslot ? x->nslot : MIN_SLOTS, e = 0;
	if (!n)
		return SER_OK;
	while (ns / 2 < n)
		ns *= 2;
	if (ns == x->nslot)
		return SER_OK;
	size_t *s = calloc(ns, sizeof *s);
	if (!s)
		return SER_ENOMEM;
	while (e < x->nslot && x->slot[e])
		e++;
	for (size_t j = 0; j < x->nslot; j++) {
		size_t i = (e + j) & (x->nslot - 1);
		if (x->slot[i])
			put(s, ns, x->slot[i] - 1, key, ctx);
	}
	free(x->slot);
	x->slot = s;
	x->nslot = ns;
	return SER_OK;
}

int ser_strindex_insert(ser_strindex *x, size_t k, const char *s, size_t n,
                        ser_strindex_key key, const void *ctx)
{
	if (ser_strindex_reserve(x, x->n + 1, key, ctx) < 0)
		return SER_ENOMEM;
	size_t i = home(s, n, x->nslot);
	while (x->slot[i])
		i = (i + 1) & (x->nslot - 1);
	x->slot[i] = k + 1;
	x->n++;
	return SER_OK;
}

size_t ser_strindex_next(const ser_strindex *x, const char *s, size_t n,
                         ser_strindex_key key, const void *ctx, size_t *at)
{
	if (!x->nslot)
		return 0;
	size_t i = *at ? *at - 1 : home(s, n, x->nslot);
	for (; x->slot[i]; i = (i + 1) & (x->nslot - 1)) {
		size_t kn, k = x->slot[i];
		const char *ks = key(ctx, k - 1, &kn);
		if (kn == n && memcmp(ks, s, n) == 0) {
			*at = ((i + 1) & (x->nslot - 1)) + 1;
			return k;
		}
	}
	*at = i + 1;
	return 0;
}

size_t ser_strindex_find(const ser_strindex *x, const char *s, size_t n,
                         ser_strindex_key key, const void *ctx)
{
	size_t at = 0;
	return ser_strindex_next(x, s, n, key, ctx, &at);
}

void ser_strindex_free(ser_strindex *x)
{
	free(x->slot);
	ser_strindex_init(x);
}
