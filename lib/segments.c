/* Speech segments and label formats; see segments.h. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segments.h"

struct ser_segr {
	ser_seg_opts o;
	int dim;
	float *buf;      /* (max_len, dim) frames of the segment in progress */
	int len;         /* frames held */
	int trailing;    /* unvoiced frames at the end of buf */
	int on;          /* a segment is in progress */
	long n;          /* frames pushed in this utterance */
	long start;      /* first frame of the segment in progress */
};

ser_segr *ser_segr_new(const ser_seg_opts *o, int dim, ser_error *err)
{
	ser_segr *g;
	if (o->min_pause < 1 || o->min_len < 1 || o->max_len < o->min_len || dim < 1)
		return ser_seterr(err, SER_EINVAL, "segments: pause, minimum or maximum length out of range"), NULL;
	if ((size_t)o->max_len > SIZE_MAX / sizeof(float) / (size_t)dim / 2)
		return ser_seterr(err, SER_ELIMIT, "segments: maximum length too large"), NULL;
	if (!(g = calloc(1, sizeof *g)) || !(g->buf = malloc((size_t)o->max_len * dim * sizeof *g->buf))) {
		free(g);
		return ser_seterr(err, SER_ENOMEM, "out of memory"), NULL;
	}
	g->o = *o;
	g->dim = dim;
	return g;
}

void ser_segr_free(ser_segr *g)
{
	if (!g)
		return;
	free(g->buf);
	free(g);
}

void ser_segr_reset(ser_segr *g)
{
	g->len = g->trailing = g->on = 0;
	g->n = g->start = 0;
}

/* Ends the segment in progress: 1 with it in s if long enough. */
static int close_segment(ser_segr *g, ser_segment *s)
{
	int len = g->len - g->trailing;
	g->on = 0;
	g->len = g->trailing = 0;
	if (len < g->o.min_len)
		return 0;
	s->start = g->start;
	s->len = len;
	s->frames = g->buf;
	return 1;
}

int ser_segr_push(ser_segr *g, const float *frame, int voiced, ser_segment *s)
{
	long t = g->n++;
	if (!g->on) {
		if (!voiced)
			return 0;
		g->on = 1;
		g->start = t;
	}
	memcpy(g->buf + (size_t)g->len * g->dim, frame, (size_t)g->dim * sizeof *frame);
	g->len++;
	g->trailing = voiced ? 0 : g->trailing + 1;
	if (g->trailing >= g->o.min_pause || g->len == g->o.max_len)
		return close_segment(g, s);
	return 0;
}

int ser_segr_finish(ser_segr *g, ser_segment *s)
{
	int rc = g->on ? close_segment(g, s) : 0;
	g->n = 0;
	return rc;
}

/* ---- label formats ---- */

const char *const ser_span_fmt_names[] = { "tsv", "json", "audacity", "textgrid", "vtt", NULL };
const char ser_vtt_header[] = "WEBVTT\n\n";

/* Copies label into out (n bytes, n >= 1), with the bytes of `bad` as spaces
 * and "-->" as "--". */
static void clean(char *out, size_t n, const char *label, const char *bad)
{
	size_t k = 0;
	for (const char *p = label; *p && k + 1 < n; p++) {
		if (p[0] == '-' && p[1] == '-' && p[2] == '>') {
			out[k++] = '-';
			if (k + 1 < n)
				out[k++] = '-';
			p += 2;
			continue;
		}
		out[k++] = strchr(bad, *p) ? ' ' : *p;
	}
	out[k] = '\0';
}

int ser_span_audacity(char *buf, size_t n, const ser_span *s)
{
	char l[256];
	clean(l, sizeof l, s->label, "\t\r\n");
	return snprintf(buf, n, "%.6f\t%.6f\t%s\n", s->start, s->end, l);
}

/* HH:MM:SS.mmm of t seconds (>= 0) into out (32 bytes). */
static void vtt_time(char *out, double t)
{
	long ms = t > 0 ? lround(t * 1000) : 0;
	snprintf(out, 32, "%02ld:%02ld:%02ld.%03ld", ms / 3600000 % 100, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

int ser_span_vtt(char *buf, size_t n, int index, const ser_span *s)
{
	char a[32], b[32], l[256];
	vtt_time(a, s->start);
	vtt_time(b, s->end);
	clean(l, sizeof l, s->label, "\r\n");
	return snprintf(buf, n, "%d\n%s --> %s\n%s (%.2f)\n\n", index, a, b, l, s->confidence);
}

int ser_vtt_note(char *buf, size_t n, const char *text)
{
	char l[1024];
	clean(l, sizeof l, text, "\r\n");
	return snprintf(buf, n, "NOTE %s\n\n", l);
}

/* A TextGrid string: quotes doubled. */
static void tg_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void tg_interval(FILE *f, int *k, double a, double b, const char *text)
{
	fprintf(f, "        intervals [%d]:\n            xmin = %.6f\n            xmax = %.6f\n"
	        "            text = ", ++*k, a, b);
	tg_string(f, text);
	fputc('\n', f);
}

/* The intervals of tier t: spans and the gaps between them; count only
 * with f NULL. Overlapping spans are cut at the previous one's end. */
static int tg_intervals(FILE *f, const ser_tier *t)
{
	int k = 0;
	double at = 0;
	for (int i = 0; i < t->n; i++) {
		double a = t->spans[i].start > at ? t->spans[i].start : at;
		double b = t->spans[i].end < t->duration ? t->spans[i].end : t->duration;
		if (b <= a)
			continue;
		if (a > at) {
			if (f)
				tg_interval(f, &k, at, a, "");
			else
				k++;
		}
		if (f)
			tg_interval(f, &k, a, b, t->spans[i].label);
		else
			k++;
		at = b;
	}
	if (at < t->duration || k == 0) {
		if (f)
			tg_interval(f, &k, at, t->duration > at ? t->duration : at, "");
		else
			k++;
	}
	return k;
}

int ser_textgrid_write(FILE *f, const ser_tier *tiers, int ntiers, ser_error *err)
{
	double xmax = 0;
	for (int i = 0; i < ntiers; i++)
		if (tiers[i].duration > xmax)
			xmax = tiers[i].duration;
	fprintf(f, "File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\nxmin = 0\nxmax = %.6f\n"
	        "tiers? <exists>\nsize = %d\nitem []:\n", xmax, ntiers);
	for (int i = 0; i < ntiers; i++) {
		ser_tier t = tiers[i];
		t.duration = xmax;   /* every tier spans the grid */
		fprintf(f, "    item [%d]:\n        class = \"IntervalTier\"\n        name = ", i + 1);
		tg_string(f, t.name);
		fprintf(f, "\n        xmin = 0\n        xmax = %.6f\n        intervals: size = %d\n", xmax,
		        tg_intervals(NULL, &t));
		tg_intervals(f, &t);
	}
	if (fflush(f) != 0 || ferror(f))
		return ser_seterr(err, SER_EIO, "write: %s", strerror(errno));
	return 0;
}
