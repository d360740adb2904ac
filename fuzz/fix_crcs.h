/* For the feature-stream fuzz targets (fuzz_featio, fuzz_abort): each
 * input also runs with every CRC-32 recomputed, so the fuzzer gets past
 * the checks (fuzz_twice). */
#ifndef SER_FUZZ_FIX_CRCS_H
#define SER_FUZZ_FIX_CRCS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "featio.h"

/* Recomputes the CRC-32 of each header and record as far as the bytes
 * parse (layout in ser-formats(5)); count copies are left alone. */
static void fix_crcs(unsigned char *p, size_t n)
{
	size_t at = 0;
	uint32_t dim = 1;
	while (at + 4 <= n) {
		size_t len;
		if (!memcmp(p + at, "SERF", 4)) {
			if (at + 36 > n)
				return;
			dim = ser_get_le32(p + at + 8);
			len = 36 + (size_t)ser_get_le32(p + at + 32);
		} else {
			uint32_t c;
			if (at + 12 > n)
				return;
			c = ser_get_le32(p + at + 4);
			if (!memcmp(p + at, "BEGN", 4))
				len = 12 + (size_t)c;
			else if (!memcmp(p + at, "FRMS", 4))
				len = 12 + (size_t)c * dim * 4;
			else if (!memcmp(p + at, "END ", 4) || !memcmp(p + at, "ABRT", 4))
				len = 12;
			else
				return;
		}
		if (len > n - at || n - at - len < 4)
			return;
		ser_put_le32(p + at + len, ser_crc32(p + at, len));
		at += len + 4;
	}
}

/* The body of LLVMFuzzerTestOneInput: one(copy of data), then, when
 * fixing the CRCs changes anything, one(copy with CRCs fixed). An empty
 * input is passed over (fmemopen needs a size; "empty input" is
 * unit-tested). */
static int fuzz_twice(const uint8_t *data, size_t size, void (*one)(unsigned char *, size_t))
{
	unsigned char *copy;
	if (size == 0 || !(copy = malloc(size)))
		return 0;
	memcpy(copy, data, size);
	one(copy, size);
	memcpy(copy, data, size);
	fix_crcs(copy, size);
	if (memcmp(copy, data, size) != 0)
		one(copy, size);
	free(copy);
	return 0;
}

#endif
