/* An index of items by string key: the one open-addressing hash table of
 * libser (label maps, speaker maps, ser-eval's keys seen). Slots hold item
 * index + 1 (0 empty); the table size is 0 or a power of 2 (at least 64),
 * kept at most half full; FNV-1a 64 (bytes.h) and linear probing.
 * The index holds no keys: the caller's accessor gives the key of an item,
 * so the items stay where the caller keeps them. Keys are byte strings
 * (s, n); a key matches only at equal length (no prefix matches). Several
 * items may share a key: they are found in the order they were inserted. */
#ifndef SER_STRINDEX_H
#define SER_STRINDEX_H

#include <stddef.h>
#include "ser.h"

typedef struct ser_strindex {
	size_t *slot;   /* (nslot) item index + 1, 0 = empty */
	size_t nslot;   /* 0 or a power of 2 */
	size_t n;       /* items inserted */
} ser_strindex;

/* The key of item k: its first byte, its length in *n. */
typedef const char *(*ser_strindex_key)(const void *ctx, size_t k, size_t *n);

void ser_strindex_init(ser_strindex *x);
/* Room for n items in all (the table at most half full), rehashing the
 * items already in it. SER_OK or SER_ENOMEM (the index then unchanged). */
int ser_strindex_reserve(ser_strindex *x, size_t n, ser_strindex_key key, const void *ctx);
/* Adds item k under (s, n), growing as needed; a key already present is
 * added again (find first to refuse duplicates). SER_OK or SER_ENOMEM
 * (the index then unchanged). */
int ser_strindex_insert(ser_strindex *x, size_t k, const char *s, size_t n,
                        ser_strindex_key key, const void *ctx);
/* The first item inserted under (s, n): its index + 1, or 0. */
size_t ser_strindex_find(const ser_strindex *x, const char *s, size_t n,
                         ser_strindex_key key, const void *ctx);
/* Every item under (s, n) in turn: *at = 0 before the first call; each
 * call returns the next item's index + 1, or 0 after the last. */
size_t ser_strindex_next(const ser_strindex *x, const char *s, size_t n,
                         ser_strindex_key key, const void *ctx, size_t *at);
void ser_strindex_free(ser_strindex *x);

#endif
