/* libFuzzer target: the feature stream reader (lib/featio.h).
 * The input is read as a stream through fmemopen. Every event is checked
 * (sizes within the limits, values finite, END count = frames seen) and
 * written again with the binary writer into memory; when the input was
 * read without error, the rewritten stream must read back to the same
 * utterances, keys and values (digest of the event trace).
 * Each input is run twice: as given, and with every CRC-32 recomputed
 * where the bytes parse as header and records (a fuzzer cannot forge a
 * CRC, so without this it would stop at the first check).
 * Aborts on: an event breaking the reader's contract, a rewritten stream
 * refused or read differently, an error status outside enum ser_status.
 * Seeds: fuzz/corpus/featio (made by fuzz/gen_featio_corpus.c). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "featio.h"
#include "fix_crcs.h"

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3u;
	return h;
}

/* Reads the whole stream; digest of utterances (key, values, count).
 * w (may be NULL) receives the stream again. Returns the final status. */
static int run(FILE *f, uint64_t *digest, ser_fw **w, FILE *out)
{
	ser_error e;
	ser_fr *r = ser_fr_open(f, "fuzz", &e);
	ser_fr_ev ev;
	uint64_t h = 0xcbf29ce484222325u, frames = 0;
	int rc, open = 0;
	if (!r) {
		if (e.code >= 0 || e.code < SER_EINTR)
			abort();
		return e.code;
	}
	{
		const ser_feat_info *in = ser_fr_info(r);
		if (in->dim < 1 || in->dim > SER_FEAT_DIM_MAX || strlen(in->settings) > SER_FEAT_SETTINGS_MAX
		    || ser_fingerprint(in->settings, strlen(in->settings)) != in->fingerprint)
			abort();
		h = mix(h, &in->dim, sizeof in->dim);
		h = mix(h, in->settings, strlen(in->settings));
		if (w && out && !(*w = ser_fw_new(out, SER_FW_BINARY, in, &e)))
			abort();                  /* a header the reader took, the writer must take */
	}
	while ((rc = ser_fr_next(r, &ev, &e)) > 0) {
		size_t d = ser_fr_info(r)->dim;
		switch (rc) {
		case SER_FR_BEGIN:
			if (open || !ev.key || !*ev.key || strlen(ev.key) > SER_FEAT_KEY_MAX)
				abort();
			open = 1;
			frames = 0;
			h = mix(h, ev.key, strlen(ev.key) + 1);
			if (w && *w && ser_fw_begin(*w, ev.key, &e) < 0)
				abort();
			break;
		case SER_FR_FRAMES:
			if (!open || ev.n < 1 || ev.n > SER_FEAT_BLOCK_MAX || ev.n * d > SER_FEAT_BLOCK_VALUES_MAX)
				abort();
			for (size_t i = 0; i < ev.n * d; i++)
				if (!isfinite(ev.x[i]))
					abort();
			frames += ev.n;
			h = mix(h, ev.x, ev.n * d * sizeof *ev.x);
			if (w && *w && ser_fw_frames(*w, ev.x, ev.n, &e) < 0)
				abort();
			break;
		case SER_FR_END:
			if (!open || ev.n != frames)
				abort();
			open = 0;
			h = mix(h, &frames, sizeof frames);
			if (w && *w && ser_fw_end(*w, &e) < 0)
				abort();
			break;
		case SER_FR_ABORT:
			if (!open || ev.n != frames)
				abort();
			open = 0;
			h = mix(h, "ABRT", 4);
			if (w && *w && ser_fw_abort(*w, &e) < 0)
				abort();
			break;
		default:
			abort();
		}
	}
	if (rc == SER_FR_EOF && open)
		abort();                          /* EOF inside an utterance must be an error */
	if (rc < 0 && (e.code != rc || rc < SER_EINTR || !e.msg[0]))
		abort();
	if (rc < 0 && ser_fr_next(r, &ev, &e) != rc)
		abort();                          /* errors are sticky */
	ser_fr_free(r);
	*digest = h;
	return rc;
}

/* One run on bytes p (size > 0). */
static void one(unsigned char *copy, size_t size)
{
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f, *out;
	ser_fw *w = NULL;
	uint64_t d1 = 0, d2 = 0;
	int rc;
	f = fmemopen(copy, size, "r");
	out = open_memstream(&mem, &memlen);
	if (!f || !out)
		abort();
	rc = run(f, &d1, &w, out);
	ser_fw_free(w);
	fclose(f);
	fclose(out);
	if (rc == SER_FR_EOF) {
		FILE *g = fmemopen(mem, memlen, "r");
		if (!g || run(g, &d2, NULL, NULL) != SER_FR_EOF || d1 != d2)
			abort();                      /* the rewritten stream reads back the same */
		fclose(g);
	}
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_twice(data, size, one);
}
