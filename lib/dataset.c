/* In-memory training set from feature streams: split, statistics, batches. */
#include "dataset.h"
#include "trim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ser_ds_init(ser_dataset *ds)
{
	memset(ds, 0, sizeof *ds);
}

static void utt_free(ser_utt *u)
{
	free(u->key);
	free(u->x);
}

void ser_ds_free(ser_dataset *ds)
{
	if (!ds)
		return;
	for (size_t i = 0; i < ds->n; i++)
		utt_free(&ds->u[i]);
	free(ds->u);
	for (int i = 0; i < ds->nspk; i++)
		free(ds->spk[i]);
	free(ds->spk);
	free(ds->spk_stats);
	free(ds->spk_cmean);
	free(ds->spk_chas);
	free(ds->settings);
	memset(ds, 0, sizeof *ds);
}

static int push_utt(ser_dataset *ds, ser_error *err)
{
	if (ds->n == ds->cap) {
		size_t nc = ds->cap ? 2 * ds->cap : 256;
		ser_utt *nu = realloc(ds->u, nc * sizeof *nu);
		if (!nu)
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		ds->u = nu;
		ds->cap = nc;
	}
	memset(&ds->u[ds->n], 0, sizeof ds->u[ds->n]);
	ds->u[ds->n].label = -1;
	ds->u[ds->n].speaker = -1;
	ds->u[ds->n].group = 0;
	ds->u[ds->n].part = SER_PART_TRAIN;
	return 0;
}

int ser_ds_read(ser_dataset *ds, ser_fr *r, ser_error *err)
{
	const ser_feat_info *info = ser_fr_info(r);
	ser_fr_ev ev;
	size_t cap = 0;
	int rc, open = 0;
	if (!ds->settings) {
		ds->settings = strdup(info->settings);
		if (!ds->settings)
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		ds->dim = info->dim;
		ds->rate = info->rate;
		ds->shift = info->shift;
		ds->length = info->length;
		ds->fingerprint = info->fingerprint;
	} else if (info->fingerprint != ds->fingerprint || strcmp(info->settings, ds->settings)
	           || info->dim != ds->dim) {
		return ser_seterr(err, SER_EMISMATCH, "feature settings differ from the first input's");
	}
	while ((rc = ser_fr_next(r, &ev, err)) > 0) {
		ser_utt *u;
		if (ev.type == SER_FR_BEGIN) {
			if ((rc = push_utt(ds, err)) < 0)
				return rc;
			u = &ds->u[ds->n];
			if (!(u->key = strdup(ev.key)))
				return ser_seterr(err, SER_ENOMEM, "out of memory");
			ds->n++;
			cap = 0;
			open = 1;
		} else if (ev.type == SER_FR_FRAMES && open) {
			size_t need;
			u = &ds->u[ds->n - 1];
			need = (size_t)u->n + ev.n;
			if (need > cap) {
				size_t nc = cap ? cap : 64;
				float *nx;
				while (nc < need)
					nc *= 2;
				nx = realloc(u->x, nc * ds->dim * sizeof *nx);
				if (!nx)
					return ser_seterr(err, SER_ENOMEM, "out of memory");
				u->x = nx;
				cap = nc;
			}
			memcpy(u->x + (size_t)u->n * ds->dim, ev.x, ev.n * ds->dim * sizeof *ev.x);
			u->n = (int)need;
		} else if (ev.type == SER_FR_END) {
			open = 0;
		} else if (ev.type == SER_FR_ABORT) {
			utt_free(&ds->u[--ds->n]);
			ser_seterr(err, SER_EFORMAT, "utterance %s was cut short by its producer (aborted after "
			           "%zu frames): skipped", ev.key, ev.n);
			return 1;
		}
	}
	return rc;
}

int ser_ds_speaker(ser_dataset *ds, const char *name, ser_error *err)
{
	for (int i = 0; i < ds->nspk; i++)
		if (!strcmp(ds->spk[i], name))
			return i;
	if (ds->nspk == ds->spkcap) {
		int nc = ds->spkcap ? 2 * ds->spkcap : 16;
		char **ns = realloc(ds->spk, (size_t)nc * sizeof *ns);
		if (!ns)
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		ds->spk = ns;
		ds->spkcap = nc;
	}
	if (!(ds->spk[ds->nspk] = strdup(name)))
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	return ds->nspk++;
}

size_t ser_ds_compact(ser_dataset *ds)
{
	size_t j = 0, removed = 0;
	for (size_t i = 0; i < ds->n; i++) {
		if (ds->u[i].label < 0 || ds->u[i].n < 1) {
			utt_free(&ds->u[i]);
			removed++;
		} else {
			ds->u[j++] = ds->u[i];
		}
	}
	ds->n = j;
	return removed;
}

/* 1 if name is an element of the comma-separated list. */
static int in_list(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *s = list;
	if (!list)
		return 0;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == len && !memcmp(s, name, len))
			return 1;
		if (!e)
			break;
		s = e + 1;
	}
	return 0;
}

/* First element of list naming no speaker of ds, into unknown. */
static void find_unknown(const ser_dataset *ds, const char *list, char *unknown, size_t cap)
{
	const char *s = list;
	if (!list || !cap || unknown[0])
		return;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		int found = 0;
		for (int i = 0; i < ds->nspk && !found; i++)
			found = strlen(ds->spk[i]) == l && !memcmp(ds->spk[i], s, l);
		if (!found && l) {
			size_t k = l < cap - 1 ? l : cap - 1;
			memcpy(unknown, s, k);
			unknown[k] = '\0';
			return;
		}
		if (!e)
			break;
		s = e + 1;
	}
}

int ser_ds_split(ser_dataset *ds, const char *val, const char *exclude, char *unknown,
                 size_t cap, ser_error *err)
{
	for (int i = 0; i < ds->nspk; i++)
		if (in_list(val, ds->spk[i]) && in_list(exclude, ds->spk[i]))
			return ser_seterr(err, SER_EINVAL, "speaker %s is both held out and excluded",
			                  ds->spk[i]);
	for (size_t i = 0; i < ds->n; i++) {
		ser_utt *u = &ds->u[i];
		const char *s = u->speaker >= 0 ? ds->spk[u->speaker] : NULL;
		u->part = SER_PART_TRAIN;
		if (s && in_list(exclude, s))
			u->part = SER_PART_EXCLUDED;
		else if (s && in_list(val, s))
			u->part = SER_PART_VAL;
	}
	if (unknown && cap) {
		unknown[0] = '\0';
		find_unknown(ds, val, unknown, cap);
		find_unknown(ds, exclude, unknown, cap);
	}
	return 0;
}

int ser_ds_trim(ser_dataset *ds, double db, int min_len, long *dropped, ser_error *err)
{
	ser_vad_opts vo;
	ser_vad *v;
	long total = 0;
	if (!(db >= 0 && db <= SER_TRIM_DB_MAX))
		return ser_seterr(err, SER_EINVAL, "trim: %g dB outside [0, %g]", db, SER_TRIM_DB_MAX);
	if (dropped)
		*dropped = 0;
	if (db == 0 || ds->n == 0)
		return 0;
	if (ds->shift == 0)
		return ser_seterr(err, SER_EINVAL, "trim: pooled features have no frames to trim");
	ser_vad_defaults(&vo);
	if (!(v = ser_vad_new(&vo, ds->settings, ds->dim, err)))
		return err ? err->code : SER_EINVAL;
	for (size_t i = 0; i < ds->n; i++) {
		ser_utt *u = &ds->u[i];
		int start, n = ser_trim(v, u->x, u->n, (int)ds->dim, db, min_len, &start);
		if (n == u->n)
			continue;
		memmove(u->x, u->x + (size_t)start * ds->dim, (size_t)n * ds->dim * sizeof *u->x);
		total += u->n - n;
		u->n = n;
	}
	ser_vad_free(v);
	if (dropped)
		*dropped = total;
	return 0;
}

void ser_ds_class_counts(const ser_dataset *ds, int part, int ncls, long *count)
{
	for (int c = 0; c < ncls; c++)
		count[c] = 0;
	for (size_t i = 0; i < ds->n; i++)
		if (ds->u[i].part == part && ds->u[i].label >= 0 && ds->u[i].label < ncls)
			count[ds->u[i].label]++;
}

long ser_ds_count(const ser_dataset *ds, int part)
{
	long n = 0;
	for (size_t i = 0; i < ds->n; i++)
		n += ds->u[i].part == part;
	return n;
}

/* ser_ds_label and ser_ds_unlabelled: FIXED < 0, each utterance's class from
 * its label (skipped without one); else every utterance class FIXED, its
 * speaker and corpus still from the label where there is one. */
static int label_utts(ser_dataset *ds, const ser_labelmap *map, const ser_classes *cls,
                      int fixed, ser_ds_skipped *sk, ser_error *err)
{
	memset(sk, 0, sizeof *sk);
	for (size_t i = 0; i < ds->n; i++) {
		ser_utt *u = &ds->u[i];
		ser_label_info li;
		int c = fixed, known = ser_label_resolve(map, u->key, &li);
		if (fixed < 0 && !known) {
			sk->nolabel++;
		} else if (fixed < 0 && (c = ser_classes_index(cls, li.emotion)) < 0) {
			sk->unknown++;
		} else if (u->n < 1) {
			sk->empty++;
		} else {
			u->label = c;
			if (!known)
				continue;
			u->group = li.corpus;
			if (li.speaker[0] && (u->speaker = ser_ds_speaker(ds, li.speaker, err)) < 0)
				return u->speaker;
			continue;
		}
		if (!sk->first[0])
			snprintf(sk->first, sizeof sk->first, "%s", u->key);
	}
	ser_ds_compact(ds);
	return 0;
}

int ser_ds_label(ser_dataset *ds, const ser_labelmap *map, const ser_classes *cls,
                 ser_ds_skipped *sk, ser_error *err)
{
	return label_utts(ds, map, cls, -1, sk, err);
}

int ser_ds_unlabelled(ser_dataset *ds, const ser_labelmap *map, ser_ds_skipped *sk,
                      ser_error *err)
{
	return label_utts(ds, map, NULL, 0, sk, err);
}

uint64_t ser_ds_fingerprint(const ser_dataset *ds)
{
	uint64_t h = SER_FINGERPRINT_BASIS;
	if (ds->settings)
		h = ser_fingerprint_more(h, ds->settings, strlen(ds->settings) + 1);
	for (size_t i = 0; i < ds->n; i++) {
		const ser_utt *u = &ds->u[i];
		int32_t v[4] = { u->label, u->speaker, u->part, u->n };
		h = ser_fingerprint_more(h, u->key, strlen(u->key) + 1);
		h = ser_fingerprint_more(h, v, sizeof v);
		h = ser_fingerprint_more(h, u->x, (size_t)u->n * ds->dim * sizeof *u->x);
	}
	return h;
}
