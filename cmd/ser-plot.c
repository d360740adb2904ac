/* ser-plot: SVG pictures without gnuplot: a recording's emotion timeline
 * from ser-classify's window or segment lines, and training curves from a
 * ser-train --log file. man/ser-plot.1. */
#include <errno.h>
#include <getopt.h>  /* optind */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "cli.h"

static const char synopsis[] =
	"Usage: ser-plot timeline [--audio FILE] [--classes LIST] [--title TEXT] [TSV]\n"
	"       ser-plot curves [--title TEXT] LOG\n";

static const char intro[] =
	"Writes an SVG picture to stdout.\n"
	"\n"
	"timeline: a recording's labels over time from ser-classify lines (TSV, or stdin\n"
	"  when none or -): key<TAB>start<TAB>end<TAB>label<TAB>confidence[<TAB>probs...]\n"
	"  from --window or --segments (the first key's lines), or --live lines without\n"
	"  the key. Draws the spans coloured by label (a legend names them), the class\n"
	"  probabilities over time when the lines carry them (--probs), and with --audio\n"
	"  the recording's envelope (dB of the RMS over each pixel's stretch).\n"
	"curves: training curves from a ser-train --log TSV (columns by name: epoch,\n"
	"  train_loss, val_loss, train_acc, val_acc, val_uar): losses above, accuracy\n"
	"  and UAR below.\n";
static const char outro[] = "Exit status: 0 ok, 1 usage error, 2 unreadable or empty input.\n";

/* ---- SVG helpers ---- */

#define W 960            /* picture width, px */
#define LEFT 70          /* plot area left edge */
#define RIGHT 170        /* room for the legend */
#define PW (W - LEFT - RIGHT)

static void svg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void svg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* Text escaped for XML. */
static void svg_text(double x, double y, const char *anchor, int size, const char *s)
{
	svg("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">", x, y, anchor, size);
	for (; *s; s++) {
		if (*s == '<') svg("&lt;");
		else if (*s == '>') svg("&gt;");
		else if (*s == '&') svg("&amp;");
		else if ((unsigned char)*s >= 0x20) putchar(*s);
	}
	svg("</text>\n");
}

/* A step of 1, 2 or 5 times a power of ten giving about n ticks over span. */
static double nice_step(double span, int n)
{
	double raw = span / n, p = pow(10, floor(log10(raw > 0 ? raw : 1)));
	return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

/* Axes of a panel at y0 (top), h high, x over [x0, x1], y over [y0v, y1v]. */
static void axes(double top, double h, double x0, double x1, double ylo, double yhi, const char *xl,
                 const char *yl, int xticks)
{
	double st = nice_step(x1 - x0, 10), sy = nice_step(yhi - ylo, 4);
	char b[64];
	svg("<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n", LEFT, top, PW, h);
	for (double v = ceil(ylo / sy) * sy; yhi > ylo && v <= yhi + 1e-9; v += sy) {
		double y = top + h - (v - ylo) / (yhi - ylo) * h;
		svg("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, y, LEFT + PW, y);
		snprintf(b, sizeof b, "%g", fabs(v) < 1e-12 ? 0 : v);
		svg_text(LEFT - 6, y + 4, "end", 11, b);
	}
	for (double v = ceil(x0 / st) * st; xticks && v <= x1 + 1e-9; v += st) {
		double x = LEFT + (v - x0) / (x1 - x0) * PW;
		svg("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", x, top + h, x, top + h + 4);
		snprintf(b, sizeof b, "%g", v);
		svg_text(x, top + h + 16, "middle", 11, b);
	}
	if (xl && xticks)
		svg_text(LEFT + PW / 2.0, top + h + 32, "middle", 12, xl);
	if (yl)
		svg("<text x=\"16\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\" "
		    "transform=\"rotate(-90 16 %.1f)\">%s</text>\n", top + h / 2, top + h / 2, yl);
}

static void legend_item(int i, double top, const char *colour, const char *name, int dashed)
{
	double y = top + 14 + 18 * i;
	svg("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"8\"%s/>\n",
	    W - RIGHT + 16, y - 4, W - RIGHT + 36, y - 4, colour, dashed ? " stroke-dasharray=\"4 2\"" : "");
	svg_text(W - RIGHT + 42, y, "start", 12, name);
}

static void svg_begin(int h, const char *title)
{
	svg("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, h, W, h);
	svg_text(W / 2.0, 22, "middle", 15, title);
}

/* Colour of a label: the usual emotions fixed, others from a palette. */
static const char *colour_of(const char *label, int k)
{
	static const char *const known[][2] = {
		{ "neutral", "#9e9e9e" }, { "calm", "#80cbc4" }, { "happy", "#fdd835" }, { "sad", "#1e88e5" },
		{ "angry", "#e53935" }, { "fearful", "#8e24aa" }, { "disgust", "#43a047" },
		{ "surprised", "#fb8c00" }, { "silence", "#eeeeee" }, { "boredom", "#6d4c41" },
	};
	static const char *const other[] = { "#00acc1", "#d81b60", "#5e35b1", "#c0ca33", "#3949ab", "#f4511e" };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(label, known[i][0]))
			return known[i][1];
	return other[k % 6];
}

/* ---- timeline ---- */

struct span {
	double s, e, conf;
	char label[64];
	float *p;     /* (np) or NULL */
};

struct tl {
	struct span *v;
	int n, cap, np;
	char key[512];
	double tmax;
};

static int is_num(const char *s, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && isfinite(*v);
}

/* Splits line at TABs into f (at most max); returns the count. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	line[strcspn(line, "\r\n")] = '\0';
	for (char *s = line; n < max; ) {
		f[n++] = s;
		if (!(s = strchr(s, '\t')))
			break;
		*s++ = '\0';
	}
	return n;
}

/* One line of ser-classify into t; 0 ok, 1 another key (skipped), -1 bad. */
static int tl_line(struct tl *t, char *line)
{
	char *f[300];
	int n = split(line, f, 300), off;
	double a, b, conf;
	struct span *sp;
	if (n >= 4 && is_num(f[0], &a) && is_num(f[1], &b))
		off = 0;                         /* --live: no key */
	else if (n >= 5 && is_num(f[1], &a) && is_num(f[2], &b))
		off = 1;
	else
		return -1;
	if (off && t->n && strcmp(t->key, f[0]))
		return 1;
	if (off && !t->n)
		snprintf(t->key, sizeof t->key, "%s", f[0]);
	if (!is_num(f[off + 3], &conf) || b < a)
		return -1;
	if (t->n == 0)
		t->np = n - off - 4;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->v = cli_realloc(t->v, (size_t)t->cap * sizeof *t->v);
	}
	sp = &t->v[t->n++];
	*sp = (struct span){ a, b, conf, "", NULL };
	snprintf(sp->label, sizeof sp->label, "%s", f[off + 2]);
	if (t->np > 0 && n - off - 4 == t->np) {
		sp->p = cli_realloc(NULL, (size_t)t->np * sizeof *sp->p);
		for (int i = 0; i < t->np; i++)
			sp->p[i] = strtof(f[off + 4 + i], NULL);
	}
	if (b > t->tmax)
		t->tmax = b;
	return 0;
}

static void tl_read(struct tl *t, const char *path)
{
	FILE *f = path && strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	long no = 0;
	const char *name = f == stdin ? "-" : path;
	if (!f)
		cli_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		no++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (tl_line(t, line) < 0)
			cli_die(EXIT_DATA, "%s: line %ld: not a window or segment line of ser-classify "
			        "(key, start, end, label, confidence)", name, no);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (t->n == 0)
		cli_die(EXIT_DATA, "%s: no window or segment lines", name);
}

/* dB of the RMS of the audio over each of PW columns of [0, tmax]. */
static double *envelope(const char *path, double *tmax)
{
	enum { RATE = 8000 };
	ser_error err;
	ser_audio *a = ser_audio_open(path, RATE, SER_RS_HQ, &err);
	float *x = NULL, buf[4096];
	size_t n = 0, cap = 0;
	long k;
	double *db;
	if (!a)
		cli_report(path, &err), exit(EXIT_DATA);
	while ((k = ser_audio_read(a, buf, 4096, &err)) > 0) {
		if (n + (size_t)k > cap)
			x = cli_realloc(x, (cap = 2 * (n + (size_t)k)) * sizeof *x);
		memcpy(x + n, buf, (size_t)k * sizeof *x);
		n += (size_t)k;
	}
	ser_audio_close(a);
	if (k < 0)
		cli_report(path, &err), exit(EXIT_DATA);
	if ((double)n / RATE > *tmax)
		*tmax = (double)n / RATE;
	db = cli_realloc(NULL, PW * sizeof *db);
	for (int c = 0; c < PW; c++) {
		size_t i0 = (size_t)(c * *tmax / PW * RATE), i1 = (size_t)((c + 1) * *tmax / PW * RATE);
		double s = 0;
		for (size_t i = i0; i < i1 && i < n; i++)
			s += (double)x[i] * x[i];
		s = i1 > i0 ? s / (double)(i1 - i0) : 0;
		db[c] = s > 1e-8 ? 10 * log10(s) : -80;
	}
	free(x);
	return db;
}

static double tx(double t, double tmax)
{
	return LEFT + t / tmax * PW;
}

static void draw_envelope(const double *db, double top, double h)
{
	axes(top, h, 0, 1, -80, 0, NULL, "level, dB", 0);
	svg("<path fill=\"#90a4ae\" stroke=\"#546e7a\" stroke-width=\"0.5\" d=\"M %d %.1f", LEFT, top + h);
	for (int c = 0; c < PW; c++)
		svg(" L %d %.1f", LEFT + c, top + h - (db[c] + 80) / 80 * h);
	svg(" L %d %.1f Z\"/>\n", LEFT + PW, top + h);
}

/* The labels as coloured bands, each from its start (or the previous
 * span's end, for overlapping windows) to its end. */
static void draw_band(const struct tl *t, const char *const *names, int nn, double top, double h)
{
	double prev = 0;
	svg("<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#888\"/>\n", LEFT, top, PW, h);
	for (int i = 0; i < t->n; i++) {
		const struct span *s = &t->v[i];
		double a = s->s > prev ? s->s : prev;
		int k = 0;
		while (k < nn && strcmp(names[k], s->label))
			k++;
		if (s->e > a)
			svg("<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"><title>%.2f-%.2f %s %.2f</title></rect>\n",
			    tx(a, t->tmax), top + 1, tx(s->e, t->tmax) - tx(a, t->tmax), h - 2, colour_of(s->label, k),
			    s->s, s->e, s->label, s->conf);
		prev = s->e > prev ? s->e : prev;
	}
	svg_text(LEFT - 6, top + h / 2 + 4, "end", 11, "label");
}

/* A line per class: its probability at each window's middle, or, for
 * spans that do not overlap (segments, blocks), a step over each span;
 * silence and pauses break it. */
static void draw_probs(const struct tl *t, const char *const *cls, double top, double h)
{
	int steps = 1;
	for (int i = 1; i < t->n; i++)
		steps &= t->v[i].s >= t->v[i - 1].e - 1e-6;
	axes(top, h, 0, t->tmax, 0, 1, "time, s", "probability", 1);
	for (int c = 0; c < t->np; c++) {
		int open = 0;
		svg("<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" d=\"", colour_of(cls[c], c));
		for (int i = 0; i < t->n; i++) {
			const struct span *s = &t->v[i];
			double y = s->p ? top + h - s->p[c] * h : 0;
			if (!s->p || !strcmp(s->label, "silence") || (steps && i && s->s > t->v[i - 1].e + 1e-6)) {
				open = 0;
				if (!s->p || !strcmp(s->label, "silence"))
					continue;
			}
			if (steps)
				svg("%s %.1f %.1f L %.1f %.1f", open ? " L" : " M", tx(s->s, t->tmax), y, tx(s->e, t->tmax), y);
			else
				svg("%s %.1f %.1f", open ? " L" : " M", tx((s->s + s->e) / 2, t->tmax), y);
			open = 1;
		}
		svg("\"/>\n");
	}
}

/* Names of the probability columns: --classes, the default model's 8, or p1... */
static char **class_names(const char *list, int np)
{
	static const char def[] = "neutral,calm,happy,sad,angry,fearful,disgust,surprised";
	char **v = cli_realloc(NULL, (size_t)(np > 0 ? np : 1) * sizeof *v), *copy, *tok, *save = NULL;
	int n = 0;
	if (!list && np == 8)
		list = def;
	copy = list ? strcpy(cli_realloc(NULL, strlen(list) + 1), list) : NULL;
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save), n++)
		if (n < np)
			v[n] = strcpy(cli_realloc(NULL, strlen(tok) + 1), tok);
	if (list && n != np)
		cli_usage_error("--classes: %d names for %d probability columns", n, np);
	for (; n < np; n++) {
		v[n] = cli_realloc(NULL, 16);
		snprintf(v[n], 16, "p%d", n + 1);
	}
	free(copy);
	return v;
}

static void timeline(const char *tsv, const char *audio, const char *classes, const char *title)
{
	struct tl t;
	double *db = NULL, y = 40;
	char **cls;
	const char *labels[64];
	int nl = 0, h;
	memset(&t, 0, sizeof t);
	tl_read(&t, tsv);
	cls = class_names(classes, t.np);
	if (audio)
		db = envelope(audio, &t.tmax);
	if (t.tmax <= 0)
		t.tmax = 1;
	for (int i = 0; i < t.n && nl < 64; i++) {
		int k = 0;
		while (k < nl && strcmp(labels[k], t.v[i].label))
			k++;
		if (k == nl)
			labels[nl++] = t.v[i].label;
	}
	h = 40 + (db ? 120 : 0) + 60 + (t.np > 0 ? 200 : 0) + 50;
	if (h < 70 + 18 * (nl + t.np))
		h = 70 + 18 * (nl + t.np);
	svg_begin(h, title ? title : t.key[0] ? t.key : "ser-classify --live");
	if (db) {
		draw_envelope(db, y, 100);
		y += 120;
	}
	draw_band(&t, labels, nl, y, 40);
	if (t.np > 0) {
		draw_probs(&t, (const char *const *)cls, y + 60, 180);
	} else {
		axes(y, 40, 0, t.tmax, 0, 0, "time, s", NULL, 1);
	}
	for (int i = 0; i < t.np; i++)   /* the classes, then labels that are not */
		legend_item(i, 40, colour_of(cls[i], i), cls[i], 0);
	for (int i = 0, k = t.np; i < nl; i++) {
		int j = 0;
		while (j < t.np && strcmp(cls[j], labels[i]))
			j++;
		if (j == t.np)
			legend_item(k++, 40, colour_of(labels[i], i), labels[i], 0);
	}
	svg("</svg>\n");
	for (int i = 0; i < t.n; i++)
		free(t.v[i].p);
	for (int i = 0; i < t.np; i++)
		free(cls[i]);
	free(cls);
	free(t.v);
	free(db);
}

/* ---- training curves ---- */

enum { C_EPOCH, C_TL, C_VL, C_TA, C_VA, C_VU, NCOL };
static const char *const col_names[NCOL] = { "epoch", "train_loss", "val_loss", "train_acc", "val_acc", "val_uar" };
static const char *const col_colours[NCOL] = { "", "#1e88e5", "#e53935", "#1e88e5", "#e53935", "#43a047" };

struct curves {
	double *v[NCOL];   /* (n) per column, NAN when absent */
	int have[NCOL];
	int n, cap;
};

static void curves_read(struct curves *c, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *fv[64];
	size_t cap = 0;
	int idx[NCOL], head = 0;
	if (!f)
		cli_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		int n;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		n = split(line, fv, 64);
		if (!head++) {
			for (int k = 0; k < NCOL; k++) {
				idx[k] = -1;
				for (int i = 0; i < n; i++)
					if (!strcmp(fv[i], col_names[k]))
						idx[k] = i;
			}
			if (idx[C_EPOCH] < 0 || idx[C_TL] < 0)
				cli_die(EXIT_DATA, "%s: the header names no 'epoch' or no 'train_loss' column", path);
			continue;
		}
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 128;
			for (int k = 0; k < NCOL; k++)
				c->v[k] = cli_realloc(c->v[k], (size_t)c->cap * sizeof *c->v[k]);
		}
		for (int k = 0; k < NCOL; k++) {
			double x = NAN;
			if (idx[k] >= 0 && idx[k] < n && is_num(fv[idx[k]], &x))
				c->have[k] = 1;
			c->v[k][c->n] = idx[k] >= 0 && idx[k] < n && is_num(fv[idx[k]], &x) ? x : NAN;
		}
		c->n++;
	}
	free(line);
	fclose(f);
	if (c->n == 0)
		cli_die(EXIT_DATA, "%s: no epochs after the header", path);
}

static void series(const struct curves *c, int k, double x0, double x1, double ylo, double yhi, double top, double h)
{
	int open = 0;
	svg("<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"", col_colours[k],
	    k == C_TL || k == C_TA ? "" : k == C_VU ? " stroke-dasharray=\"6 3\"" : "");
	for (int i = 0; i < c->n; i++) {
		double x = c->v[C_EPOCH][i], y = c->v[k][i];
		if (isnan(x) || isnan(y)) {
			open = 0;
			continue;
		}
		svg("%s %.1f %.1f", open ? " L" : " M", LEFT + (x - x0) / (x1 - x0) * PW, top + h - (y - ylo) / (yhi - ylo) * h);
		open = 1;
	}
	svg("\"/>\n");
}

static void curves(const char *path, const char *title)
{
	struct curves c;
	double x0 = INFINITY, x1 = -INFINITY, lmax = 0;
	const char *base = strrchr(path, '/');
	char t[600];
	int li = 0;
	memset(&c, 0, sizeof c);
	curves_read(&c, path);
	for (int i = 0; i < c.n; i++) {
		if (!isnan(c.v[C_EPOCH][i]))
			x0 = fmin(x0, c.v[C_EPOCH][i]), x1 = fmax(x1, c.v[C_EPOCH][i]);
		for (int k = C_TL; k <= C_VL; k++)
			if (!isnan(c.v[k][i]) && c.v[k][i] > lmax)
				lmax = c.v[k][i];
	}
	if (!(x1 > x0))
		x0 -= 0.5, x1 += 0.5;
	lmax = lmax > 0 ? ceil(lmax / nice_step(lmax, 4)) * nice_step(lmax, 4) : 1;
	snprintf(t, sizeof t, "ser-train: %s", base ? base + 1 : path);
	svg_begin(600, title ? title : t);
	axes(40, 220, x0, x1, 0, lmax, "epoch", "loss", 1);
	axes(320, 220, x0, x1, 0, 1, "epoch", "accuracy, UAR", 1);
	for (int k = C_TL; k < NCOL; k++) {
		if (!c.have[k])
			continue;
		series(&c, k, x0, x1, k <= C_VL ? 0 : 0, k <= C_VL ? lmax : 1, k <= C_VL ? 40 : 320, 220);
		legend_item(li++ + (k <= C_VL ? 0 : 14), 40, col_colours[k], col_names[k], k == C_VU);
	}
	svg("</svg>\n");
	for (int k = 0; k < NCOL; k++)
		free(c.v[k]);
}

int main(int argc, char **argv)
{
	enum { O_AUDIO = 256, O_CLASSES, O_TITLE };
	const char *audio = NULL, *classes = NULL, *title = NULL, *cmd;
	const cli_opt opts[] = {
		{ .name = "audio", .key = O_AUDIO, .type = CLI_STR, .arg = "FILE", .dest = &audio,
		  .help = "audio file (anything libsndfile reads) for the envelope" },
		{ .name = "classes", .key = O_CLASSES, .type = CLI_STR, .arg = "LIST", .dest = &classes,
		  .about = "the shipped model's 8 classes when there are 8, else p1..pN",
		  .help = "comma-separated names of the probability columns" },
		{ .name = "title", .key = O_TITLE, .type = CLI_STR, .arg = "TEXT", .dest = &title,
		  .about = "the key, or the log's name", .help = "title" },
		{ .name = NULL },
	};
	const cli_spec spec = { "ser-plot", synopsis, intro, opts, outro };
	while (cli_getopt(argc, argv, &spec) != -1)
		;
	if (optind >= argc)
		cli_usage_error("no picture named: timeline or curves");
	cmd = argv[optind++];
	if (!strcmp(cmd, "timeline")) {
		if (argc - optind > 1)
			cli_usage_error("timeline: one TSV at most");
		timeline(optind < argc ? argv[optind] : NULL, audio, classes, title);
	} else if (!strcmp(cmd, "curves")) {
		if (argc - optind != 1 || audio || classes)
			cli_usage_error("curves: one LOG, no --audio or --classes");
		curves(argv[optind], title);
	} else {
		cli_usage_error("'%s' is not a picture: timeline or curves", cmd);
	}
	cli_close_stdout();
	return EXIT_OK;
}
