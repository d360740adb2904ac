/* Adaptation statistics: rows per utterance, summed in key order. */
#include "adapt.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"

#define HEADER "# ser adaptation statistics"

typedef struct row {
	char *key, *group;     /* group "" for none */
	long n;
	double *s, *q;         /* (dim) sums of x and x*x */
} row;

typedef struct sgroup {
	const char *name;
	long n;                /* frames */
	double *s, *q;         /* (dim) sums */
	double *w;             /* (dim) sum over utterances of q - s*s/n (UTT_MEAN) */
} sgroup;

struct ser_adapt {
	int dim, mode, idct;
	uint64_t fingerprint;
	float trim;
	row *r;
	size_t n, cap;
	sgroup *g;              /* (ng) sorted by name, after finish */
	size_t ng;
	sgroup all;
	int finished;
};

ser_adapt *ser_adapt_new(const ser_model *m, ser_error *err)
{
	ser_adapt *a = calloc(1, sizeof *a);
	if (!a) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	a->dim = (int)m->feat_dim;
	a->mode = m->norm_mode;
	a->idct = m->input_idct;
	a->fingerprint = m->feat_fingerprint;
	a->trim = m->trim_db;
	return a;
}

static void group_free(sgroup *g)
{
	free(g->s);   /* q and w point into it */
}

static void groups_free(ser_adapt *a)
{
	for (size_t i = 0; i < a->ng; i++)
		group_free(&a->g[i]);
	free(a->g);
	group_free(&a->all);
	a->g = NULL, a->ng = 0;
	memset(&a->all, 0, sizeof a->all);
}

void ser_adapt_free(ser_adapt *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->r[i].key), free(a->r[i].group), free(a->r[i].s);
	free(a->r);
	groups_free(a);
	free(a);
}

size_t ser_adapt_count(const ser_adapt *a) { return a->n; }

/* a new row with its key and group copied and zero sums */
static row *new_row(ser_adapt *a, const char *key, const char *group, ser_error *err)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 256;
		row *nr = realloc(a->r, nc * sizeof *nr);
		if (!nr)
			goto oom;
		a->r = nr, a->cap = nc;
	}
	row *r = &a->r[a->n];
	r->key = strdup(key);
	r->group = strdup(group ? group : "");
	r->s = calloc(2 * (size_t)a->dim, sizeof *r->s);
	if (!r->key || !r->group || !r->s) {
		free(r->key), free(r->group), free(r->s);
		goto oom;
	}
	r->q = r->s + a->dim;
	r->n = 0;
	a->n++;
	a->finished = 0;
	return r;
oom:
	ser_seterr(err, SER_ENOMEM, "out of memory");
	return NULL;
}

int ser_adapt_add(ser_adapt *a, const char *key, const char *group, const float *x, int n,
                  ser_error *err)
{
	if (n < 1)
		return ser_seterr(err, SER_EINVAL, "no frames");
	row *r = new_row(a, key, group, err);
	if (!r)
		return SER_ENOMEM;
	r->n = n;
	for (int t = 0; t < n; t++)
		for (int j = 0; j < a->dim; j++) {
			double v = x[(size_t)t * a->dim + j];
			r->s[j] += v;
			r->q[j] += v * v;
		}
	return 0;
}

static int put_escaped(FILE *f, const char *s)
{
	size_t need = ser_tsv_escape(NULL, 0, s);
	char *buf = malloc(need + 1);
	if (!buf)
		return -1;
	ser_tsv_escape(buf, need + 1, s);
	int rc = fputs(buf, f);
	free(buf);
	return rc < 0 ? -1 : 0;
}

int ser_adapt_write(ser_adapt *a, FILE *f, const char *name, ser_error *err)
{
	fprintf(f, HEADER " 1 dim %d fingerprint %016" PRIx64 " idct %d trim %.9g\n",
	        a->dim, a->fingerprint, a->idct, a->trim);
	for (size_t i = 0; i < a->n; i++) {
		const row *r = &a->r[i];
		if (put_escaped(f, r->key) < 0 || fputc('\t', f) == EOF ||
		    put_escaped(f, *r->group ? r->group : "-") < 0)
			break;
		fprintf(f, "\t%ld", r->n);
		for (int j = 0; j < 2 * a->dim; j++)
			fprintf(f, "%c%.17g", j == 0 || j == a->dim ? '\t' : ' ', r->s[j]);
		if (fputc('\n', f) == EOF)
			break;
	}
	if (fflush(f) != 0 || ferror(f))
		return ser_seterr(err, SER_EIO, "%s: %s", name, strerror(errno ? errno : EIO));
	return 0;
}

/* the header's check against the model's input; 0, or an error */
static int check_header(const ser_adapt *a, const char *line, const char *name, long lineno,
                        ser_error *err)
{
	int dim, idct, used = 0;
	uint64_t fp;
	float trim;
	if (sscanf(line, HEADER " 1 dim %d fingerprint %" SCNx64 " idct %d trim %g%n",
	           &dim, &fp, &idct, &trim, &used) != 4 || line[used] != '\0')
		return ser_seterr(err, SER_EFORMAT, "%s:%ld: not a ser adaptation statistics header",
		                  name, lineno);
	if (dim != a->dim || fp != a->fingerprint || idct != a->idct || trim != a->trim)
		return ser_seterr(err, SER_EMISMATCH,
		                  "%s: statistics of other features or another model input (dim %d, "
		                  "fingerprint %016" PRIx64 ", idct %d, trim %g; this model: dim %d, "
		                  "fingerprint %016" PRIx64 ", idct %d, trim %g): make them with this model",
		                  name, dim, fp, idct, trim, a->dim, a->fingerprint, a->idct, a->trim);
	return 0;
}

/* one data line "KEY\tGROUP\tN\tS...\tQ..." (modified in place) */
static int read_row(ser_adapt *a, char *line, const char *name, long lineno, ser_error *err)
{
	char *f[5], *p = line, *end;
	int nf = 0;
	while (nf < 5) {
		f[nf++] = p;
		if (!(p = strchr(p, '\t')))
			break;
		*p++ = '\0';
	}
	if (nf != 5 || p)
		return ser_seterr(err, SER_EFORMAT, "%s:%ld: want KEY<TAB>GROUP<TAB>FRAMES<TAB>SUMS<TAB>SQUARES",
		                  name, lineno);
	if (!*f[0] || !*f[1])
		return ser_seterr(err, SER_EFORMAT, "%s:%ld: empty key or group", name, lineno);
	ser_tsv_unescape(f[0]);
	ser_tsv_unescape(f[1]);
	errno = 0;
	long n = strtol(f[2], &end, 10);
	if (end == f[2] || *end || errno || n < 1)
		return ser_seterr(err, SER_EFORMAT, "%s:%ld: frames '%.40s' is not a count >= 1", name,
		                  lineno, f[2]);
	row *r = new_row(a, f[0], strcmp(f[1], "-") ? f[1] : "", err);
	if (!r)
		return SER_ENOMEM;
	r->n = n;
	for (int k = 0; k < 2; k++) {
		p = f[3 + k];
		for (int j = 0; j < a->dim; j++) {
			double v = strtod(p, &end);
			if (end == p || !isfinite(v) || (k == 1 && v < 0) ||
			    (*end != (j + 1 < a->dim ? ' ' : '\0'))) {
				a->n--;
				free(r->key), free(r->group), free(r->s);
				return ser_seterr(err, SER_EFORMAT, "%s:%ld: want %d finite %s separated by "
				                  "one space", name, lineno, a->dim, k ? "sums of squares" : "sums");
			}
			r->s[k * a->dim + j] = v;
			p = end + 1;
		}
	}
	return 0;
}

int ser_adapt_read(ser_adapt *a, const char *path, ser_error *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0, header = 0;
	if (!f)
		return ser_seterr(err, SER_EIO, "%s: %s", path, strerror(errno));
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (!strncmp(line, HEADER, strlen(HEADER))) {
			rc = check_header(a, line, path, lineno, err);
			header = 1;
		} else if (len == 0 || line[0] == '#') {
			continue;
		} else if (!header) {
			rc = ser_seterr(err, SER_EFORMAT, "%s:%ld: no statistics header before the rows "
			                "(made by ser-classify --save-adapt-stats?)", path, lineno);
		} else {
			rc = read_row(a, line, path, lineno, err);
		}
	}
	if (rc == 0 && ferror(f))
		rc = ser_seterr(err, SER_EIO, "%s: %s", path, strerror(errno));
	if (rc == 0 && !header)
		rc = ser_seterr(err, SER_EFORMAT, "%s: no ser adaptation statistics in it", path);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int by_key(const void *x, const void *y)
{
	return strcmp(((const row *)x)->key, ((const row *)y)->key);
}

static int by_group(const void *x, const void *y)
{
	return strcmp(((const sgroup *)x)->name, ((const sgroup *)y)->name);
}

static int group_init(sgroup *g, const char *name, int dim)
{
	g->name = name;
	g->n = 0;
	g->s = calloc(3 * (size_t)dim, sizeof *g->s);
	g->q = g->s ? g->s + dim : NULL;
	g->w = g->s ? g->s + 2 * dim : NULL;
	return g->s ? 0 : -1;
}

static void group_add(sgroup *g, const row *r, int dim)
{
	g->n += r->n;
	for (int j = 0; j < dim; j++) {
		double w = r->q[j] - r->s[j] * r->s[j] / (double)r->n;
		g->s[j] += r->s[j];
		g->q[j] += r->q[j];
		g->w[j] += w > 0 ? w : 0;
	}
}

int ser_adapt_finish(ser_adapt *a, ser_error *err)
{
	groups_free(a);
	qsort(a->r, a->n, sizeof *a->r, by_key);
	for (size_t i = 1; i < a->n; i++)
		if (!strcmp(a->r[i].key, a->r[i - 1].key))
			return ser_seterr(err, SER_EFORMAT, "statistics: utterance '%.200s' twice",
			                  a->r[i].key);
	/* distinct groups, sorted; every sum in key order */
	a->g = calloc(a->n ? a->n : 1, sizeof *a->g);
	if (!a->g || group_init(&a->all, NULL, a->dim) < 0)
		goto oom;
	for (size_t i = 0; i < a->n; i++) {
		size_t k;
		for (k = 0; k < a->ng && strcmp(a->g[k].name, a->r[i].group); k++)
			;
		if (k == a->ng) {
			if (group_init(&a->g[k], a->r[i].group, a->dim) < 0)
				goto oom;
			a->ng++;
		}
		group_add(&a->g[k], &a->r[i], a->dim);
		group_add(&a->all, &a->r[i], a->dim);
	}
	qsort(a->g, a->ng, sizeof *a->g, by_group);
	a->finished = 1;
	return 0;
oom:
	groups_free(a);
	return ser_seterr(err, SER_ENOMEM, "out of memory");
}

static void stats_of(const ser_adapt *a, const sgroup *g, float *mean, float *std)
{
	for (int j = 0; j < a->dim; j++) {
		double m = g->s[j] / g->n, v = a->mode == SER_NORM_UTT_MEAN ? g->w[j] / g->n
		                                                            : g->q[j] / g->n - m * m;
		double sd = v > 0 ? sqrt(v) : 0;
		mean[j] = (float)m;
		std[j] = (float)(sd < SER_ADAPT_STD_MIN ? SER_ADAPT_STD_MIN : sd);
	}
}

int ser_adapt_stats(const ser_adapt *a, const char *name, float *mean, float *std,
                    ser_error *err)
{
	if (!a->finished)
		return ser_seterr(err, SER_EINVAL, "adaptation statistics not finished");
	if (!name) {
		if (a->all.n < 1)
			return ser_seterr(err, SER_EINVAL, "no adaptation statistics");
		stats_of(a, &a->all, mean, std);
		return 0;
	}
	sgroup key = { .name = name };
	const sgroup *g = bsearch(&key, a->g, a->ng, sizeof *a->g, by_group);
	if (!g)
		return ser_seterr(err, SER_EINVAL, "no adaptation statistics for speaker '%.100s'", name);
	stats_of(a, g, mean, std);
	return 0;
}

/* ---- running statistics ---- */

int ser_adapt_run_init(ser_adapt_run *r, const ser_model *m, double tau, double frame_rate,
                       ser_error *err)
{
	int d = (int)m->feat_dim;
	memset(r, 0, sizeof *r);
	if (!(tau > 0) || !(frame_rate > 0))
		return ser_seterr(err, SER_EINVAL, "time constant and frame rate must be > 0");
	r->dim = d;
	r->mode = m->norm_mode;
	r->alpha = 1.0 - exp(-1.0 / (tau * frame_rate));
	r->mu = calloc(2 * (size_t)d, sizeof *r->mu);
	r->mean = calloc(2 * (size_t)d, sizeof *r->mean);
	if (!r->mu || !r->mean) {
		ser_adapt_run_free(r);
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	}
	r->var = r->mu + d;
	r->std = r->mean + d;
	for (int j = 0; j < d; j++) {
		double sd = m->norm_std ? m->norm_std[j] : 1.0;
		r->mu[j] = m->norm_mean ? m->norm_mean[j] : 0.0;
		r->var[j] = sd * sd;
		r->mean[j] = (float)r->mu[j];
		r->std[j] = (float)sd;
	}
	return 0;
}

void ser_adapt_run_update(ser_adapt_run *r, const float *x, int n, const float *centre)
{
	double a = r->alpha;
	for (int t = 0; t < n; t++)
		for (int j = 0; j < r->dim; j++) {
			double v = x[(size_t)t * r->dim + j];
			r->mu[j] += a * (v - r->mu[j]);
			double dv = v - (centre ? centre[j] : r->mu[j]);
			r->var[j] += a * (dv * dv - r->var[j]);
		}
	r->frames += n;
	for (int j = 0; j < r->dim; j++) {
		double sd = r->var[j] > 0 ? sqrt(r->var[j]) : 0;
		r->mean[j] = (float)r->mu[j];
		r->std[j] = (float)(sd < SER_ADAPT_STD_MIN ? SER_ADAPT_STD_MIN : sd);
	}
}

void ser_adapt_run_free(ser_adapt_run *r)
{
	free(r->mu);
	free(r->mean);
	r->mu = r->var = NULL;
	r->mean = r->std = NULL;
}
