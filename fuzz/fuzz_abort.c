/* libFuzzer target: the aborted-utterance path of the readers: the
 * dataset reader (ser_ds_read, lib/dataset.h) over a feature stream that
 * may hold ABRT records (ser-formats(5)). The input is read twice through
 * fmemopen: once with the plain reader, counting the utterances that end
 * and those that are aborted, once with ser_ds_read, called again after
 * each aborted utterance it reports. As in fuzz_featio, each input also
 * runs with every CRC-32 recomputed, so the fuzzer gets past the checks.
 * Aborts on: ser_ds_read reporting an aborted utterance the reader did not
 * see (or missing one), an aborted utterance kept in the set, a kept
 * utterance whose frame count differs from its END, an error status
 * without a message, a dataset reader that ends in another status than
 * the plain reader. Seeds: fuzz/corpus/abort. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "featio.h"
#include "fix_crcs.h"

#define MAXU 64     /* utterances followed per input */

struct trace {
	int nend, nabort, rc;
	char *keys[MAXU];       /* keys of the utterances ended, in order */
	size_t frames[MAXU];
};

static void plain(unsigned char *p, size_t n, struct trace *t)
{
	ser_error e;
	ser_fr_ev ev;
	FILE *f = fmemopen(p, n, "r");
	ser_fr *r;
	memset(t, 0, sizeof *t);
	if (!f)
		abort();
	if (!(r = ser_fr_open(f, "fuzz", &e))) {
		t->rc = e.code;
		fclose(f);
		return;
	}
	while ((t->rc = ser_fr_next(r, &ev, &e)) > 0) {
		if (ev.type == SER_FR_ABORT)
			t->nabort++;
		if (ev.type == SER_FR_END && t->nend < MAXU) {
			t->keys[t->nend] = strdup(ev.key);
			t->frames[t->nend++] = ev.n;
		} else if (ev.type == SER_FR_END) {
			t->nend++;
		}
	}
	ser_fr_free(r);
	fclose(f);
}

static void with_dataset(unsigned char *p, size_t n, const struct trace *t)
{
	ser_error e;
	ser_dataset ds;
	FILE *f = fmemopen(p, n, "r");
	ser_fr *r;
	int rc, aborted = 0;
	if (!f)
		abort();
	if (!(r = ser_fr_open(f, "fuzz", &e))) {
		fclose(f);
		if (e.code != t->rc || !e.msg[0])
			abort();
		return;
	}
	ser_ds_init(&ds);
	while ((rc = ser_ds_read(&ds, r, &e)) > 0) {
		if (rc != 1 || !strstr(e.msg, "cut short"))
			abort();
		aborted++;
	}
	if (rc < 0 && (!e.msg[0] || rc != t->rc))
		abort();
	if (rc == 0 && t->rc != 0)
		abort();
	if (aborted != t->nabort)
		abort();                      /* every aborted utterance reported, no other */
	/* kept: the ended ones, in order (the last may be open at an error) */
	if (ds.n < (size_t)t->nend || ds.n > (size_t)t->nend + 1)
		abort();
	for (size_t i = 0; i < ds.n && i < MAXU && (int)i < t->nend; i++)
		if (strcmp(ds.u[i].key, t->keys[i]) || (size_t)ds.u[i].n != t->frames[i])
			abort();
	ser_ds_free(&ds);
	ser_fr_free(r);
	fclose(f);
}

static void one(unsigned char *p, size_t n)
{
	struct trace t;
	plain(p, n, &t);
	with_dataset(p, n, &t);
	for (int i = 0; i < t.nend && i < MAXU; i++)
		free(t.keys[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_twice(data, size, one);
}
