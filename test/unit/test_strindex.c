/* Unit tests of lib/strindex: the index of items by string key. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "strindex.h"

#define NKEYS 5000

static char keys[NKEYS + 8][32];

static const char *key_of(const void *ctx, size_t k, size_t *n)
{
	const char (*kk)[32] = ctx;
	*n = strlen(kk[k]);
	return kk[k];
}

static void test_many(void)
{
	ser_strindex x;
	size_t bad = 0, miss = 0;
	ser_strindex_init(&x);
	CHECK(ser_strindex_find(&x, "a", 1, key_of, keys) == 0, "empty index: find misses");
	for (size_t k = 0; k < NKEYS; k++) {
		snprintf(keys[k], sizeof keys[k], "utt%zu.wav", k);
		if (ser_strindex_insert(&x, k, keys[k], strlen(keys[k]), key_of, keys) < 0)
			bad++;
	}
	CHECK(bad == 0 && x.n == NKEYS, "%d keys inserted", NKEYS);
	CHECK(x.nslot >= 2 * NKEYS && (x.nslot & (x.nslot - 1)) == 0, "grown to %zu slots, a power of 2, at most half full",
	      x.nslot);
	for (size_t k = 0; k < NKEYS; k++)
		if (ser_strindex_find(&x, keys[k], strlen(keys[k]), key_of, keys) != k + 1)
			bad++;
	CHECK(bad == 0, "each key found as its item + 1");
	for (size_t k = 0; k < NKEYS; k++) {
		char s[40];
		snprintf(s, sizeof s, "utt%zu.flac", k);
		if (ser_strindex_find(&x, s, strlen(s), key_of, keys))
			miss++;
		if (ser_strindex_find(&x, keys[k], strlen(keys[k]) - 1, key_of, keys))
			miss++;
	}
	CHECK(miss == 0, "absent keys and prefixes of present keys miss");
	ser_strindex_free(&x);
	CHECK(x.slot == NULL && x.nslot == 0 && x.n == 0, "free empties the index");
}

static void test_prefix_and_dups(void)
{
	ser_strindex x;
	size_t at = 0, k, seen[8], ns = 0;
	ser_strindex_init(&x);
	strcpy(keys[0], "abc");
	CHECK(ser_strindex_insert(&x, 0, "abc", 3, key_of, keys) == SER_OK, "insert abc");
	CHECK(ser_strindex_find(&x, "ab", 2, key_of, keys) == 0, "ab (n=2) misses when only abc is present");
	CHECK(ser_strindex_find(&x, "abcd", 3, key_of, keys) == 1, "abcd with n=3 finds abc");
	CHECK(ser_strindex_find(&x, "abcd", 4, key_of, keys) == 0, "abcd misses");
	CHECK(ser_strindex_find(&x, "", 0, key_of, keys) == 0, "the empty key misses");
	/* duplicates: found in the order inserted, across growth */
	for (k = 1; k < 4; k++) {
		strcpy(keys[k], k == 2 ? "xyz" : "abc");
		ser_strindex_insert(&x, k, keys[k], 3, key_of, keys);
	}
	CHECK(ser_strindex_find(&x, "abc", 3, key_of, keys) == 1, "a duplicate key: find gives the first inserted");
	while ((k = ser_strindex_next(&x, "abc", 3, key_of, keys, &at)) && ns < 8)
		seen[ns++] = k;
	CHECK(ns == 3 && seen[0] == 1 && seen[1] == 2 && seen[2] == 4, "next: every abc in insertion order (%zu)", ns);
	CHECK(ser_strindex_next(&x, "abc", 3, key_of, keys, &at) == 0, "next after the last stays 0");
	for (k = 4; k < NKEYS; k++) {
		snprintf(keys[k], sizeof keys[k], "k%zu", k);
		ser_strindex_insert(&x, k, keys[k], strlen(keys[k]), key_of, keys);
	}
	at = ns = 0;
	while ((k = ser_strindex_next(&x, "abc", 3, key_of, keys, &at)) && ns < 8)
		seen[ns++] = k;
	CHECK(ns == 3 && seen[0] == 1 && seen[1] == 2 && seen[2] == 4, "after growth: the same order (%zu)", ns);
	CHECK(ser_strindex_find(&x, "xyz", 3, key_of, keys) == 3, "xyz found");
	ser_strindex_free(&x);
}

static void test_reserve(void)
{
	ser_strindex x;
	ser_strindex_init(&x);
	CHECK(ser_strindex_reserve(&x, 0, key_of, keys) == SER_OK && x.nslot == 0, "reserve 0: no table");
	CHECK(ser_strindex_reserve(&x, 33, key_of, keys) == SER_OK && x.nslot == 128, "reserve 33: 128 slots");
	CHECK(ser_strindex_reserve(&x, 64, key_of, keys) == SER_OK && x.nslot == 128, "reserve 64: still 128");
	ser_strindex_free(&x);
}

int main(void)
{
	test_many();
	test_prefix_and_dups();
	test_reserve();
	return check_status();
}
