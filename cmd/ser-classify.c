/* ser-classify: audio files or feature streams to emotion labels.
 * Options and behaviour in man/ser-classify.1. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>  /* optind */
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adapt.h"
#include "audio.h"
#include "cli.h"
#include "classify.h"
#include "featio.h"
#include "kaldi.h"
#include "labels.h"
#include "mfcc.h"
#include "model.h"
#include "outfile.h"
#include "segments.h"
#include "vad.h"

#define SILENCE "silence"   /* label of a window without enough voice */
#define UTT_MIN_VOICED 0.05 /* default --min-voiced of a whole utterance: below every
                               file of the corpora (lowest: 0.14), above silence (0) */

#define STR_(x) #x
#define STR(x) STR_(x)

#ifndef SER_DATADIR
#define SER_DATADIR "/usr/local/share/ser"
#endif

static const char synopsis[] =
	"Usage: ser-classify [-m MODEL] [OPTION]... [FILE]...\n";

static const char intro[] =
	"Labels utterances of audio (anything libsndfile reads: WAV, FLAC, OGG, MP3,\n"
	"AIFF, ...; features computed with the model's settings) or of feature streams,\n"
	"told apart by their first bytes, from files, pipes, FIFOs or stdin (no FILE, or\n"
	"-; not a terminal). One line per utterance: key<TAB>label<TAB>confidence;\n"
	"\"silence\" when too little of it is voiced.\n";
static const char outro[] =
	"Windowed lines: key<TAB>start<TAB>end<TAB>label<TAB>confidence (seconds);\n"
	"--live lines have no key. The voice-activity rule is in ser-classify(1).\n"
	"Exit status: 0 ok, 1 usage error, 2 a model, input or output error (other\n"
	"inputs are still processed).\n";

enum { O_CLASSES = 256, O_INFO, O_WHOLE, O_NOVAD, O_MINV, O_VMARGIN, O_VGATE, O_VRISE, O_METER, O_PLAIN,
       O_ONLY, O_SEGMENTS, O_MERGE, O_FORMAT, O_MINPAUSE, O_MAXSEG, O_MINSEG, O_SETTINGS, O_ADAPT,
       O_SPEAKERS, O_ADSTATS, O_ADSAVE, O_ADTAU };

struct ctx {
	ser_model *m;
	ser_clf *clf;
	ser_fe *fe;              /* audio front end, made on first use */
	int probs, json;
	int live;                /* --live: unbounded stream, lines without key */
	double window, hop;      /* seconds, 0: per utterance */
	double min_voiced;       /* per utterance: voiced share of speech */
	ser_clfs *clfs;          /* windows (--window or --live), else NULL */
	ser_vad *vad;            /* NULL: --no-vad */
	float *p;                /* (n_classes) */
	float *frames;           /* (cap, dim) one utterance */
	size_t nframes, cap;
	char *line;              /* output line buffer */
	size_t linecap, linelen;
	int status;
	struct segs *segs;       /* --segments, else NULL */
	int fmt;                 /* --format: enum ser_span_fmt */
	int collect;             /* --adapt's first pass: statistics, no labels */
	int skip;                /* the stream's utterance gets no label (reported) */
	const ser_feat_info *kaldi; /* --settings of Kaldi archives, or NULL */
	int pace_fd;             /* --live: the input descriptor paced on, -1: none */
	double pace_t0;          /* monotonic s: when the stream's first frame began */
};

static void export_span(struct ctx *c, const char *key, double start, double end, const char *label,
                        double conf);

/* ---- output ---- */

static void put(struct ctx *c, const char *s, size_t n)
{
	if (c->linelen + n + 1 > c->linecap) {
		size_t nc = c->linecap ? c->linecap : 256;
		while (nc < c->linelen + n + 1)
			nc *= 2;
		c->line = cli_realloc(c->line, nc);
		c->linecap = nc;
	}
	memcpy(c->line + c->linelen, s, n);
	c->linelen += n;
}

static void putf(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct ctx *c, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int k;
	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (k > 0)
		put(c, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

static void puts_(struct ctx *c, const char *s)
{
	put(c, s, strlen(s));
}

/* A JSON string, escaped by ser_json_escape (invalid UTF-8 bytes as
 * \u00XX, Latin-1 style). */
static void put_json_string(struct ctx *c, const char *s)
{
	size_t n = ser_json_escape(NULL, 0, s);
	char *e = cli_realloc(NULL, n + 1);
	ser_json_escape(e, n + 1, s);
	puts_(c, "\"");
	put(c, e, n);
	puts_(c, "\"");
	free(e);
}

/* TSV key: escaped (ser_tsv_escape), so no key breaks the line and
 * distinct keys stay distinct. */
static void put_tsv_key(struct ctx *c, const char *key)
{
	size_t n = ser_tsv_escape(NULL, 0, key);
	char *e = cli_realloc(NULL, n + 1);
	ser_tsv_escape(e, n + 1, key);
	put(c, e, n);
	free(e);
}

/* One line. key NULL: none (live); start < 0: per utterance; p NULL:
 * probabilities written as 0. Only the kept classes' probabilities (--only). */
static void emit(struct ctx *c, const char *key, double start, double end, const char *label,
                 double conf, const float *p)
{
	int n = c->m->n_classes;
	if (c->fmt >= SER_FMT_AUDACITY) {
		export_span(c, key, start, end, label, conf);
		return;
	}
	c->linelen = 0;
	if (c->json) {
		puts_(c, "{");
		if (key) {
			puts_(c, "\"key\": ");
			put_json_string(c, key);
			puts_(c, ", ");
		}
		if (start >= 0)
			putf(c, "\"start\": %.2f, \"end\": %.2f, ", start, end);
		puts_(c, "\"label\": ");
		put_json_string(c, label);
		putf(c, ", \"confidence\": %.4f", conf);
		if (c->probs) {
			const char *sep = "";
			puts_(c, ", \"probs\": {");
			for (int i = 0; i < n; i++) {
				if (!ser_clf_kept(c->clf, i))
					continue;
				puts_(c, sep);
				put_json_string(c, c->m->class_names[i]);
				putf(c, ": %.4f", p ? p[i] : 0.0);
				sep = ", ";
			}
			puts_(c, "}");
		}
		puts_(c, "}\n");
	} else {
		if (key) {
			put_tsv_key(c, key);
			puts_(c, "\t");
		}
		if (start >= 0)
			putf(c, "%.2f\t%.2f\t", start, end);
		put(c, label, strlen(label));
		putf(c, "\t%.4f", conf);
		if (c->probs)
			for (int i = 0; i < n; i++)
				if (ser_clf_kept(c->clf, i))
					putf(c, "\t%.4f", p ? p[i] : 0.0);
		puts_(c, "\n");
	}
	/* one write per line, flushed: parallel writers never split a line */
	cli_write(stdout, c->line, c->linelen);
	cli_flush(stdout);
}

/* ---- the live meter (stdout a terminal) ---- */

#define METER_BAR 40   /* characters of a full bar, at most */
static int meter_lines;  /* lines drawn so far, 0: nothing to restore */
static int meter_on;
static volatile sig_atomic_t meter_resized;

static void on_winch(int sig)
{
	(void)sig;
	meter_resized = 1;
}

/* The terminal's width; 80 columns when unknown. */
static int meter_cols(void)
{
	struct winsize w;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0)
		return w.ws_col;
	return 80;
}

/* "listening" until the first decision; redraws on SIGWINCH. */
static void meter_start(void)
{
	static const char s[] = "\033[?25l\r\033[2Klistening...\n";
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	cli_write(stdout, s, sizeof s - 1);
	cli_flush(stdout);
	meter_lines = 1;
}

/* Shows the cursor again and leaves it below the meter; also at exit(). */
static void meter_restore(void)
{
	static const char s[] = "\033[?25h";
	if (!meter_lines)
		return;
	fflush(stdout);
	if (write(STDOUT_FILENO, s, sizeof s - 1) < 0)
		return;
	meter_lines = 0;
}

static void meter_draw(struct ctx *c, double start, double end, const ser_decision *d)
{
	int n = c->m->n_classes, lines = 1, cols = meter_cols();
	int bar = cols - 21;   /* class lines: "%12s * " bar " 0.00" */
	const char *label = d->speech ? c->m->class_names[d->label] : SILENCE;
	c->linelen = 0;
	if (meter_resized)
		puts_(c, "\033[H\033[2J");          /* lines may have wrapped: start afresh */
	else if (meter_lines)
		putf(c, "\033[%dA", meter_lines);   /* back to the first line */
	else
		puts_(c, "\033[?25l");               /* hide the cursor */
	meter_resized = 0;
	bar = bar > METER_BAR ? METER_BAR : bar < 1 ? 1 : bar;
	putf(c, "\r\033[2K%7.2f-%.2f s  ", start, end);
	put(c, label, strlen(label));
	if (cols >= 56)
		putf(c, "  %.2f  (voice %3.0f%%)\n", d->confidence, 100 * d->voiced);
	else
		putf(c, "  %.2f\n", d->confidence);   /* a narrow pane: no wrapping */
	for (int i = 0; i < n; i++) {
		float v = d->speech ? d->probs[i] : 0.0f;
		int k = (int)lround(v * bar);
		if (!ser_clf_kept(c->clf, i))
			continue;   /* --only: a bar per listed class */
		lines++;
		putf(c, "\r\033[2K%12.12s %s", c->m->class_names[i], i == d->label ? "*" : " ");
		for (int j = 0; j < bar; j++)
			put(c, j < k ? "#" : ".", 1);
		putf(c, " %.2f\n", v);
	}
	meter_lines = lines;
	cli_write(stdout, c->line, c->linelen);
	cli_flush(stdout);
}

/* One window decision; frames per second fps. */
static void emit_decision(struct ctx *c, const char *key, const ser_decision *d)
{
	double fps = (double)c->m->feat_rate / c->m->feat_shift;
	double start = d->start / fps, end = (d->start + d->len) / fps;
	if (meter_on) {
		meter_draw(c, start, end, d);
		return;
	}
	emit(c, c->live ? NULL : key, start, end, d->speech ? c->m->class_names[d->label] : SILENCE,
	     d->confidence, d->speech ? d->probs : NULL);
}

/* ---- segments (--segments) and label exports (--format) ---- */

struct segs {
	ser_segr *g;
	int merge;               /* --merge: join consecutive segments of one label */
	int have;                /* a merged segment is pending */
	int label;               /* its label */
	double start, end;       /* seconds, of the pending segment */
	long frames;             /* frames in the pending segment */
	double *psum;            /* (n_classes) frame-weighted sum of probabilities */
	float *p;                /* (n_classes) one segment's probabilities */
	float *mean;             /* (n_classes) the pending segment's */
};

struct tier {                /* --format textgrid: one per utterance */
	char *name;
	double duration;
	ser_span *s;
	int n, cap;
};

struct export {
	int vtt_header, cues;    /* WebVTT: header written, cues so far */
	char *key;               /* key of the spans so far (NULL: none yet) */
	struct tier *t;          /* TextGrid tiers */
	int nt;
};
static struct export ex;

/* A span for the TextGrid of key; a new tier when the key changes. */
static void tier_add(const char *key, const ser_span *s)
{
	struct tier *t = ex.nt ? &ex.t[ex.nt - 1] : NULL;
	if (!t || strcmp(t->name, key)) {
		ex.t = cli_realloc(ex.t, (size_t)(ex.nt + 1) * sizeof *ex.t);
		t = &ex.t[ex.nt++];
		memset(t, 0, sizeof *t);
		t->name = cli_strdup(key);
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->s = cli_realloc(t->s, (size_t)t->cap * sizeof *t->s);
	}
	t->s[t->n] = *s;
	t->s[t->n].label = cli_strdup(s->label);
	if (s->end > t->duration)
		t->duration = s->end;
	t->n++;
}

/* One span in an export format (Audacity, TextGrid, WebVTT). */
static void export_span(struct ctx *c, const char *key, double start, double end, const char *label,
                        double conf)
{
	ser_span s = { start, end, label, conf };
	char buf[1536];
	int k = 0;
	if (end <= start)
		return;   /* an empty utterance's "-" */
	if (c->fmt == SER_FMT_TEXTGRID) {
		tier_add(key ? key : "emotion", &s);
		return;
	}
	if (c->fmt == SER_FMT_VTT) {
		if (!ex.vtt_header++)
			cli_write(stdout, ser_vtt_header, strlen(ser_vtt_header));
		if (key && (!ex.key || strcmp(ex.key, key))) {
			free(ex.key);
			ex.key = cli_strdup(key);
			k = ser_vtt_note(buf, sizeof buf, key);
			cli_write(stdout, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
		}
		k = ser_span_vtt(buf, sizeof buf, ++ex.cues, &s);
	} else {
		k = ser_span_audacity(buf, sizeof buf, &s);
	}
	cli_write(stdout, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
	cli_flush(stdout);
}

/* The utterance key ended at `duration` seconds (TextGrid tier end). */
static void export_end(const char *key, double duration)
{
	if (ex.nt && !strcmp(ex.t[ex.nt - 1].name, key ? key : "emotion")
	    && duration > ex.t[ex.nt - 1].duration)
		ex.t[ex.nt - 1].duration = duration;
}

/* End of output: the TextGrid, or a VTT header when there was no cue. */
static void export_close(struct ctx *c)
{
	ser_error err;
	ser_tier *tiers;
	if (c->fmt == SER_FMT_VTT && !ex.vtt_header)
		cli_write(stdout, ser_vtt_header, strlen(ser_vtt_header));
	free(ex.key);
	if (c->fmt != SER_FMT_TEXTGRID)
		return;
	tiers = cli_realloc(NULL, (size_t)(ex.nt ? ex.nt : 1) * sizeof *tiers);
	for (int i = 0; i < ex.nt; i++)
		tiers[i] = (ser_tier){ ex.t[i].name, ex.t[i].duration, ex.t[i].s, ex.t[i].n };
	if (ser_textgrid_write(stdout, tiers, ex.nt, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	for (int i = 0; i < ex.nt; i++) {
		for (int j = 0; j < ex.t[i].n; j++)
			free((char *)ex.t[i].s[j].label);
		free(ex.t[i].s);
		free(ex.t[i].name);
	}
	free(ex.t);
	free(tiers);
}

/* Writes the pending segment. */
static void seg_flush(struct ctx *c, const char *key)
{
	struct segs *g = c->segs;
	int n = c->m->n_classes, best;
	if (!g->have)
		return;
	for (int i = 0; i < n; i++)
		g->mean[i] = (float)(g->psum[i] / g->frames);
	best = ser_clf_argmax(g->mean, n);
	g->have = 0;
	emit(c, c->live ? NULL : key, g->start, g->end, c->m->class_names[best], g->mean[best], g->mean);
}

/* A segment found: labelled from the mean over its windows; merged with
 * the pending one (--merge, same label) or written. */
static void seg_label(struct ctx *c, const char *key, const ser_segment *s)
{
	struct segs *g = c->segs;
	double fps = (double)c->m->feat_rate / c->m->feat_shift;   /* frames per second */
	int n = c->m->n_classes, best;
	ser_error err;
	if (ser_clf_run_utt(c->clf, s->frames, s->len, g->p, &err) < 0) {
		cli_report(key, &err);
		c->status = EXIT_DATA;
		return;
	}
	best = ser_clf_argmax(g->p, n);
	if (g->have && !(g->merge && g->label == best))
		seg_flush(c, key);
	if (!g->have) {
		g->have = 1;
		g->label = best;
		g->start = s->start / fps;
		g->frames = 0;
		memset(g->psum, 0, (size_t)n * sizeof *g->psum);
	}
	g->end = (s->start + s->len) / fps;
	g->frames += s->len;
	for (int i = 0; i < n; i++)
		g->psum[i] += (double)g->p[i] * s->len;
	if (!g->merge)
		seg_flush(c, key);
}

static void seg_push(struct ctx *c, const char *key, const float *x, size_t n)
{
	ser_segment s;
	for (size_t i = 0; i < n && !(c->live && cli_stop); i++) {
		const float *f = x + i * c->m->feat_dim;
		if (ser_segr_push(c->segs->g, f, ser_vad_frame(c->vad, f, NULL), &s))
			seg_label(c, key, &s);
	}
	c->nframes += n;
}

/* End of an utterance in segment mode. */
static void seg_finish(struct ctx *c, const char *key)
{
	ser_segment s;
	double fps = (double)c->m->feat_rate / c->m->feat_shift;
	if (ser_segr_finish(c->segs->g, &s))
		seg_label(c, key, &s);
	seg_flush(c, key);
	if (c->fmt == SER_FMT_TEXTGRID)
		export_end(c->live ? NULL : key, c->nframes / fps);
	c->nframes = 0;
	ser_vad_reset(c->vad);
}

/* --segments: the VAD and the segmenter. Times in seconds. */
static void seg_setup(struct ctx *c, const char *mpath, const ser_vad_opts *vo, double pause,
                      double maxlen, double minlen, int merge)
{
	double fps = (double)c->m->feat_rate / c->m->feat_shift;
	ser_seg_opts o;
	ser_error err;
	if (c->m->layout == SER_LAYOUT_VECTOR || c->m->feat_shift == 0)
		cli_die(EXIT_USAGE, "--segments: %s takes one pooled vector per utterance, not frames", mpath);
	o.min_pause = (int)lround(pause * fps);
	o.max_len = (int)lround(maxlen * fps);
	o.min_len = (int)lround(minlen * fps);
	o.min_pause += o.min_pause < 1;
	o.min_len += o.min_len < 1;
	if (o.max_len < o.min_len)
		cli_usage_error("--max-segment is shorter than --min-segment");
	if (!(c->vad = ser_vad_new(vo, c->m->feat_settings, c->m->feat_dim, &err)))
		cli_die(EXIT_DATA, "%s: %s (--segments needs the frame energy)", mpath, err.msg);
	c->segs = cli_realloc(NULL, sizeof *c->segs);
	memset(c->segs, 0, sizeof *c->segs);
	if (!(c->segs->g = ser_segr_new(&o, (int)c->m->feat_dim, &err)))
		cli_die(EXIT_DATA, "%s", err.msg);
	c->segs->merge = merge;
	c->segs->psum = cli_realloc(NULL, (size_t)c->m->n_classes * sizeof *c->segs->psum);
	c->segs->p = cli_realloc(NULL, (size_t)c->m->n_classes * sizeof *c->segs->p);
	c->segs->mean = cli_realloc(NULL, (size_t)c->m->n_classes * sizeof *c->segs->mean);
}

static void seg_free(struct segs *g)
{
	if (!g)
		return;
	ser_segr_free(g->g);
	free(g->psum);
	free(g->p);
	free(g->mean);
	free(g);
}

/* Pushes n frames to the window stream. */
/* ---- --adapt: normalisation statistics of the recordings themselves ---- */
enum { ADAPT_NONE, ADAPT_RUN, ADAPT_SPEAKER };
static const char *const adapt_names[] = { "run", "speaker", NULL };

struct adapt {
	int mode;                  /* ADAPT_* */
	const char *stats_in, *stats_out, *map_path;
	double tau;                /* --live: seconds */
	int tau_given;             /* --adapt-tau given */
	ser_adapt *a;              /* rows of the inputs (or of --adapt-stats) */
	ser_labelmap *map;         /* --speakers, or NULL */
	float *mean, *std;         /* (dim) statistics in use */
	unsigned char *failed;     /* (inputs) 1: reported in the first pass */
	ser_adapt_run run;         /* --live */
	ser_vad *gate;             /* --live: which frames update, NULL: all */
	float *y, *fast;           /* --live: a frame as the model sees it; its short-term mean */
	double fast_alpha;
};
static struct adapt ad = { .tau = 60 };

/* frames go to windows (or segments), not to one utterance */
static int windowed(const struct ctx *c)
{
	return (c->clfs || c->segs) && !c->collect;
}

static void adapt_live_frame(const struct ctx *c, const float *x);

static void push_frames(struct ctx *c, const char *key, const float *x, size_t n)
{
	ser_error err;
	ser_decision d;
	if (c->segs) {
		seg_push(c, key, x, n);
		return;
	}
	for (size_t i = 0; i < n && !(c->live && cli_stop); i++) {
		int rc;
		if (ad.y)
			adapt_live_frame(c, x + i * c->m->feat_dim);
		rc = ser_clfs_push(c->clfs, x + i * c->m->feat_dim, &d, &err);
		if (rc < 0) {
			cli_report(key, &err);
			c->status = EXIT_DATA;
			return;
		}
		if (rc > 0)
			emit_decision(c, key, &d);
	}
}

/* End of an utterance in windowed mode. */
static void finish_windows(struct ctx *c, const char *key)
{
	ser_error err;
	ser_decision d;
	int rc;
	if (c->segs) {
		seg_finish(c, key);
		return;
	}
	if (ser_clfs_frames(c->clfs) == 0) {
		if (c->live)
			return;   /* a live stream without audio: nothing to say */
		cli_warn("%s: no frames (empty or too short input): label -", key);
		emit(c, c->live ? NULL : key, 0, 0, "-", 0.0, NULL);
		return;
	}
	rc = ser_clfs_finish(c->clfs, &d, &err);
	if (rc < 0) {
		cli_report(key, &err);
		c->status = EXIT_DATA;
		ser_clfs_reset(c->clfs);
	} else if (rc > 0) {
		emit_decision(c, key, &d);
	}
}


/* The speaker of key: the map's, else the file name's; "" if none. */
static const char *adapt_speaker(const char *key, ser_label_info *li)
{
	const ser_labelmap_entry *e = ad.map ? ser_labelmap_find(ad.map, key) : NULL;
	if (e && e->speaker)
		return e->speaker;
	ser_label_from_name(key, li);
	return li->speaker;
}

/* First pass: the row of the utterance in c->frames (voiced enough). */
static void adapt_collect(struct ctx *c, const char *key)
{
	ser_error err;
	ser_label_info li;
	const float *x;
	int n;
	if (c->nframes == 0 || (c->vad && ser_vad_fraction(c->vad, c->frames, c->nframes,
	                                                   c->m->feat_dim) < c->min_voiced))
		return;   /* no voice: no statistics (and no label in the second pass) */
	if ((n = ser_clf_input(c->clf, c->frames, (int)c->nframes, &x, &err)) < 0 ||
	    ser_adapt_add(ad.a, key, adapt_speaker(key, &li), x, n, &err) < 0) {
		cli_report(key, &err);
		c->status = EXIT_DATA;
	}
}

/* Second pass, per utterance: the statistics of key's speaker. 0, or -1
 * when it has none (reported: no label). */
static int adapt_select(struct ctx *c, const char *key)
{
	ser_error err;
	ser_label_info li;
	const char *spk;
	if (ad.mode != ADAPT_SPEAKER)
		return 0;
	spk = adapt_speaker(key, &li);
	if (!*spk)
		ser_seterr(&err, SER_EINVAL, "no speaker for --adapt=speaker (the file name follows no "
		           "corpus convention: give --speakers MAP)");
	else if (ser_adapt_stats(ad.a, spk, ad.mean, ad.std, &err) == 0)
		return 0;
	cli_report(key, &err);
	c->status = EXIT_DATA;
	return -1;
}

/* --live --adapt: a frame updates the running statistics when voiced. */
static void adapt_live_frame(const struct ctx *c, const float *x)
{
	ser_model *m = c->m;
	int d = (int)m->feat_dim;
	if (ad.gate && !ser_vad_frame(ad.gate, x, NULL))
		return;
	if (m->input_idct && m->idct)
		ser_idct_frames(m->idct, d, x, 1, ad.y);
	else
		memcpy(ad.y, x, (size_t)d * sizeof *x);
	if (m->norm_mode == SER_NORM_UTT_MEAN)   /* spread around the window's level */
		for (int j = 0; j < d; j++)
			ad.fast[j] += (float)(ad.fast_alpha * (ad.y[j] - ad.fast[j]));
	ser_adapt_run_update(&ad.run, ad.y, 1, m->norm_mode == SER_NORM_UTT_MEAN ? ad.fast : NULL);
}

static int is_regular(const char *path)
{
	struct stat st;
	return strcmp(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void run_path(struct ctx *c, const char *path);

/* Sets up --adapt / --save-adapt-stats before the inputs are labelled: the
 * first pass over them (or the statistics file, or the running
 * statistics of --live). Exits after --save-adapt-stats. */
static void adapt_setup(struct ctx *c, char **in, int nin, const char *mpath)
{
	ser_error err;
	ser_model *m = c->m;
	size_t d = m->feat_dim;
	if (m->norm_mode == SER_NORM_NONE)
		cli_die(EXIT_USAGE, "%s: the model normalises nothing: --adapt does not apply", mpath);
	if (ad.stats_out && strcmp(ad.stats_out, "-") && ser_out_check(ad.stats_out, &err) < 0)
		cli_die(err.code == SER_EINVAL ? EXIT_USAGE : EXIT_DATA, "%s: %s", ad.stats_out, err.msg);
	if (ad.map_path && !(ad.map = ser_speakermap_load(ad.map_path, &err)))
		cli_die(EXIT_DATA, "--speakers: %s", err.msg);
	ad.mean = cli_realloc(NULL, 2 * d * sizeof *ad.mean);
	ad.std = ad.mean + d;
	if (c->live && !ad.stats_in) {
		double fps = (double)m->feat_rate / m->feat_shift;
		ser_vad_opts vo;
		ser_vad_defaults(&vo);
		if (ser_adapt_run_init(&ad.run, m, ad.tau, fps, &err) < 0)
			cli_die(EXIT_DATA, "%s", err.msg);
		ad.gate = ser_vad_new(&vo, m->feat_settings, m->feat_dim, NULL);
		ad.y = cli_realloc(NULL, 2 * d * sizeof *ad.y);
		ad.fast = ad.y + d;
		memcpy(ad.fast, ad.run.mean, d * sizeof *ad.fast);
		ad.fast_alpha = 1.0 - exp(-1.0 / ((m->utt_window > 0 ? m->utt_window : 2 * fps)));
		ser_clf_set_norm(c->clf, ad.run.mean, ad.run.std);
		return;
	}
	if (!(ad.a = ser_adapt_new(m, &err)))
		cli_die(EXIT_DATA, "%s", err.msg);
	if (ad.stats_in) {
		if (ser_adapt_read(ad.a, ad.stats_in, &err) < 0)
			cli_die(EXIT_DATA, "--adapt-stats: %s", err.msg);
	} else {
		ad.failed = cli_realloc(NULL, (size_t)(nin > 0 ? nin : 1));
		c->collect = 1;
		if (nin == 0)
			run_path(c, "-");
		for (int i = 0; i < nin; i++) {
			int before = c->status;
			c->status = 0;
			run_path(c, in[i]);
			ad.failed[i] = c->status != 0;
			if (before)
				c->status = before;
		}
		c->collect = 0;
	}
	if (ser_adapt_finish(ad.a, &err) < 0)
		cli_die(EXIT_DATA, "%s: %s", ad.stats_in ? ad.stats_in : "--adapt", err.msg);
	if (ad.stats_out && !strcmp(ad.stats_out, "-")) {   /* stdout: xargs runs append */
		if (ser_adapt_write(ad.a, stdout, "stdout", &err) < 0)
			cli_die(EXIT_DATA, "%s", err.msg);
		return;
	}
	if (ad.stats_out) {
		ser_out *o = ser_out_open(ad.stats_out, &err);
		if (!o || ser_adapt_write(ad.a, ser_out_file(o), ad.stats_out, &err) < 0 ||
		    ser_out_commit(o, &err) < 0) {
			ser_out_abort(o);
			cli_die(EXIT_DATA, "%s: %s", ad.stats_out, err.msg);
		}
		return;
	}
	if (ser_adapt_count(ad.a) == 0)
		cli_die(EXIT_DATA, "--adapt: no voiced input to take statistics from");
	if (ad.mode == ADAPT_RUN && ser_adapt_stats(ad.a, NULL, ad.mean, ad.std, &err) < 0)
		cli_die(EXIT_DATA, "--adapt: %s", err.msg);
	ser_clf_set_norm(c->clf, ad.mean, ad.std);
}

/* The option checks of --adapt and its companions. */
static void adapt_check_options(const struct ctx *c, char **in, int nin)
{
	if (!ad.mode && !ad.stats_out) {
		if (ad.stats_in || ad.map_path || ad.tau_given)
			cli_usage_error("%s needs --adapt", ad.stats_in ? "--adapt-stats"
			                : ad.map_path ? "--speakers" : "--adapt-tau");
		return;
	}
	if (ad.stats_out && (ad.mode || ad.stats_in))
		cli_usage_error("--save-adapt-stats makes statistics: not with --adapt or --adapt-stats");
	if (c->live && ad.mode == ADAPT_SPEAKER)
		cli_usage_error("--adapt=speaker: a live stream has no speakers (use --adapt)");
	if (ad.tau_given && !c->live)
		cli_usage_error("--adapt-tau applies to --live");
	if (ad.map_path && ad.mode != ADAPT_SPEAKER && !ad.stats_out)
		cli_usage_error("--speakers applies to --adapt=speaker and --save-adapt-stats");
	if (ad.mode && !ad.stats_in && !c->live) {
		if (nin == 0)
			cli_usage_error("--adapt reads its inputs twice: name files (or give --adapt-stats)");
		for (int i = 0; i < nin; i++)
			if (!is_regular(in[i]))
				cli_usage_error("--adapt reads its inputs twice: %s is not a regular file "
				                "(save statistics with --save-adapt-stats, then --adapt-stats)", in[i]);
	}
}

/* Labels the utterance held in c->frames (per-utterance mode). */
static void label_utterance(struct ctx *c, const char *key)
{
	ser_error err;
	int n = (int)c->nframes, best;
	if (c->collect) {
		adapt_collect(c, key);
		return;
	}
	if (n == 0) {
		cli_warn("%s: no frames (empty or too short input): label -", key);
		emit(c, key, -1, 0, "-", 0.0, NULL);
		return;
	}
	if (c->vad) {    /* the voice-activity rule of the windows, over the whole utterance */
		double v = ser_vad_fraction(c->vad, c->frames, c->nframes, c->m->feat_dim);
		if (v < c->min_voiced) {
			emit(c, key, -1, 0, SILENCE, 1 - v, NULL);
			return;
		}
	}
	if (adapt_select(c, key) < 0)
		return;
	if (ser_clf_run_utt(c->clf, c->frames, n, c->p, &err) < 0) {
		cli_report(key, &err);
		c->status = EXIT_DATA;
		return;
	}
	best = ser_clf_argmax(c->p, c->m->n_classes);
	emit(c, key, -1, 0, c->m->class_names[best], c->p[best], c->p);
}

static void add_frames(struct ctx *c, const float *x, size_t n)
{
	size_t d = c->m->feat_dim;
	if (c->nframes + n > c->cap) {
		size_t nc = c->cap ? c->cap : 512;
		while (nc < c->nframes + n)
			nc *= 2;
		c->frames = cli_realloc(c->frames, nc * d * sizeof *c->frames);
		c->cap = nc;
	}
	memcpy(c->frames + c->nframes * d, x, n * d * sizeof *x);
	c->nframes += n;
}

/* ---- the ser-mfcc options that give the model's features ---- */

/* Value of key in settings text s, into v (n bytes); 0 if absent. */
static int setting(const char *s, const char *key, char *v, size_t n)
{
	size_t kl = strlen(key);
	while (s && *s) {
		const char *e = strchr(s, ' ');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l > kl && !strncmp(s, key, kl) && s[kl] == '=') {
			size_t vl = l - kl - 1 < n - 1 ? l - kl - 1 : n - 1;
			memcpy(v, s + kl + 1, vl);
			v[vl] = '\0';
			return 1;
		}
		s = e ? e + 1 : NULL;
	}
	return 0;
}

static void mfcc_hint(const char *model_settings, char *out, size_t n)
{
	int best = -1, bestd = 1 << 30;
	static char text[SER_FEAT_SETTINGS_MAX];
	for (int i = 0; ser_feat_presets[i]; i++) {
		ser_feat_opts o;
		int d = 0;
		if (ser_feat_preset(&o, ser_feat_presets[i], NULL) < 0)
			continue;
		ser_feat_settings_text(&o, text, sizeof text);
		for (int k = 0; ser_feat_keys[k]; k++) {
			char a[256], b[256];
			int ha = setting(text, ser_feat_keys[k], a, sizeof a);
			int hb = setting(model_settings, ser_feat_keys[k], b, sizeof b);
			d += ha != hb || (hb && strcmp(a, b));
		}
		if (d < bestd)
			bestd = d, best = i;
	}
	if (best < 0) {
		snprintf(out, n, "the model's settings: %s", model_settings);
		return;
	}
	{
		ser_feat_opts o;
		size_t len;
		ser_feat_preset(&o, ser_feat_presets[best], NULL);
		ser_feat_settings_text(&o, text, sizeof text);
		len = (size_t)snprintf(out, n, "use ser-mfcc --preset %s", ser_feat_presets[best]);
		for (int k = 0; ser_feat_keys[k] && len < n; k++) {
			char a[256], b[256];
			int ha = setting(text, ser_feat_keys[k], a, sizeof a);
			if (!setting(model_settings, ser_feat_keys[k], b, sizeof b) || (ha && !strcmp(a, b)))
				continue;
			if (!strcmp(ser_feat_keys[k], "rate"))
				len += (size_t)snprintf(out + len, n - len, " -r %s", b);
			else
				len += (size_t)snprintf(out + len, n - len, " --%s %s", ser_feat_keys[k], b);
		}
	}
}

/* ---- inputs ---- */

/* Live pacing. A live stream comes at the pace of its audio, a frame at a
 * time, and each frame read would be a wakeup of this process; between two
 * decisions none is needed. So when stdio has given out all it holds (the
 * replay stream calls this before each read of the descriptor), nothing
 * more is waiting there and the input keeps to real time (its audio no
 * more than PACE_AHEAD s ahead of the clock since its first frame), the
 * reader sleeps until shortly (PACE_MARGIN s) before the frames of the next
 * decision can all have come, PACE_MAX s at the most, and then takes what
 * has come in one read. A faster producer (ser-mfcc on a file) is never
 * held back; decisions and lines are those of an unpaced run, read in a few
 * wakeups a second instead of a hundred. */
#define PACE_AHEAD 0.25
#define PACE_MARGIN 0.015
#define PACE_MAX 0.25

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void live_pace(void *arg)
{
	struct ctx *c = arg;
	double fps = (double)c->m->feat_rate / c->m->feat_shift, now, s;
	long n = c->clfs ? ser_clfs_frames(c->clfs) : 0;
	struct pollfd p = { .fd = c->pace_fd, .events = POLLIN };
	if (c->pace_fd < 0 || n == 0)
		return;   /* not paced, or no frame yet: the clock starts with the first */
	now = now_s();
	if (c->pace_t0 == 0)
		c->pace_t0 = now - n / fps;
	if (n / fps > now - c->pace_t0 + PACE_AHEAD || poll(&p, 1, 0) != 0)
		return;   /* ahead of real time, or more is waiting (or the end) */
	s = ser_clfs_due(c->clfs) / fps - PACE_MARGIN;
	if (s > PACE_MAX)
		s = PACE_MAX;
	if (s >= 0.001) {
		struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
		nanosleep(&ts, NULL);   /* a signal (SIGINT, SIGTERM) ends it early */
	}
}

static void run_stream(struct ctx *c, FILE *f, const char *name)
{
	ser_error err;
	ser_fr_ev ev;
	ser_fr *r = f ? ser_fr_open_as(f, name, c->kaldi, &err) : ser_kaldi_open_scp(name, c->kaldi, &err);
	const ser_feat_info *info;
	int rc = 0;
	if (!r) {
		if (c->live && cli_stop) {
			ser_fr_free(r);
			return;
		}
		cli_report(name, &err);
		c->status = EXIT_DATA;
		return;
	}
	info = ser_fr_info(r);
	if (info->fingerprint != c->m->feat_fingerprint || strcmp(info->settings, c->m->feat_settings)
	    || info->dim != c->m->feat_dim) {
		char diff[1024], hint[1024];
		ser_feat_settings_diff(info->settings, c->m->feat_settings, "here", "in the model",
		                       diff, sizeof diff);
		mfcc_hint(c->m->feat_settings, hint, sizeof hint);
		cli_warn("%s: features do not fit the model (%s); %s, or give the audio files "
		         "to ser-classify", name, diff, hint);
		c->status = EXIT_DATA;
		ser_fr_free(r);
		return;
	}
	while (!(c->live && cli_stop) && (rc = ser_fr_next(r, &ev, &err)) > 0) {
		if (ev.type == SER_FR_BEGIN) {
			c->nframes = 0;
			if (c->clfs)
				ser_clfs_reset(c->clfs);
			c->skip = windowed(c) && adapt_select(c, ev.key) < 0;
		} else if (c->skip) {
			continue;   /* reported at its BEGIN */
		} else if (ev.type == SER_FR_FRAMES) {
			if (windowed(c))
				push_frames(c, ev.key, ev.x, ev.n);
			else
				add_frames(c, ev.x, ev.n);
		} else if (ev.type == SER_FR_END) {
			if (windowed(c))
				finish_windows(c, ev.key);
			else
				label_utterance(c, ev.key);
		} else if (ev.type == SER_FR_ABORT) {
			cli_warn("%s: utterance %s was cut short by its producer (aborted after %zu frames): "
			         "no label", name, ev.key, ev.n);
			c->status = EXIT_DATA;
			c->nframes = 0;
			if (c->clfs)
				ser_clfs_reset(c->clfs);
		}
	}
	if (c->live && cli_stop)
		rc = 0;   /* interrupted: a quiet end, no partial line */
	if (rc < 0) {
		cli_report(name, &err);
		c->status = EXIT_DATA;
	}
	ser_fr_free(r);
}

static void take(struct ctx *c, const char *key, const float *x, size_t n)
{
	if (windowed(c))
		push_frames(c, key, x, n);
	else
		add_frames(c, x, n);
}

static int drain_fe(struct ctx *c, const char *key)
{
	size_t k;
	float buf[64 * 64];
	size_t d = ser_fe_dim(c->fe), per = sizeof buf / sizeof *buf / (d ? d : 1);
	if (per == 0) {
		float *one = cli_realloc(NULL, d * sizeof *one);
		while (ser_fe_get(c->fe, one, 1) == 1)
			take(c, key, one, 1);
		free(one);
		return 0;
	}
	while ((k = ser_fe_get(c->fe, buf, per)) > 0)
		take(c, key, buf, k);
	return 0;
}

/* The front end of the model's settings, made on first use. */
static void need_fe(struct ctx *c)
{
	ser_feat_opts o;
	ser_error err;
	if (c->fe)
		return;
	if (ser_feat_parse_settings(&o, c->m->feat_settings, &err) < 0 || !(c->fe = ser_fe_new(&o, &err)))
		cli_die(EXIT_DATA, "model's feature settings: %s", err.msg);
	if (ser_fe_dim(c->fe) != c->m->feat_dim)
		cli_die(EXIT_DATA, "model's feature settings give %zu values, the model takes %u",
		        ser_fe_dim(c->fe), c->m->feat_dim);
}

/* Labels the audio of a (closed here). */
static void run_audio(struct ctx *c, ser_audio *a, const char *path)
{
	enum { BLOCK = 4096 };
	static float in[BLOCK];
	ser_error err;
	need_fe(c);
	ser_fe_reset(c->fe);
	c->nframes = 0;
	if (c->clfs)
		ser_clfs_reset(c->clfs);
	if (windowed(c) && adapt_select(c, path) < 0) {
		ser_audio_close(a);
		return;
	}
	for (;;) {
		long n = ser_audio_read(a, in, BLOCK, &err);
		cli_noise_relay();
		if (n < 0)
			goto fail;
		if (n == 0 || (c->live && cli_stop))
			break;
		if (ser_fe_accept(c->fe, in, (size_t)n, &err) < 0)
			goto fail;
		drain_fe(c, path);
	}
	if (ser_fe_finish(c->fe, &err) < 0)
		goto fail;
	drain_fe(c, path);
	ser_audio_close(a);
	if (c->live && cli_stop)
		return;
	if (windowed(c))
		finish_windows(c, path);
	else
		label_utterance(c, path);
	return;
fail:
	cli_report(path, &err);
	c->status = EXIT_DATA;
	if (c->clfs)
		ser_clfs_reset(c->clfs);
	ser_audio_close(a);
}

/* The replay stream being read, closed at exit if a write error ends the
 * program meanwhile. */
static FILE *open_stream;

static void close_open_stream(void)
{
	if (open_stream)
		fclose(open_stream);
	open_stream = NULL;
}

/* An input on fd, whatever door it came through (a file, a pipe or FIFO
 * named as a file, /dev/stdin, stdin): its first bytes say whether it is a
 * feature stream; anything else libsndfile opens is audio. The stream is
 * read once, never reopened or rewound. */
static void run_fd(struct ctx *c, int fd, const char *name)
{
	unsigned char head[SER_SNIFF_BYTES];
	size_t n;
	ser_error err;
	ser_audio *a;
	FILE *f;
	int kind = ser_sniff(fd, head, &n, &err);
	if (kind == SER_SNIFF_EMPTY)
		ser_seterr(&err, SER_EFORMAT, "empty input");
	if ((kind == SER_SNIFF_FEATURES || (kind == SER_SNIFF_OTHER && ser_kaldi_sniff(head, n))) &&
	    (f = ser_replay_stream(fd, head, n, live_pace, c, &err))) {
		open_stream = f;
		c->pace_fd = c->live && c->clfs && !c->segs ? fd : -1;
		c->pace_t0 = 0;
		run_stream(c, f, name);
		c->pace_fd = -1;
		fclose(f);
		open_stream = NULL;
		return;
	}
	if (kind == SER_SNIFF_OTHER) {
		cli_noise_begin(name);
		a = ser_audio_open_fd(fd, head, n, NULL, (int)c->m->feat_rate, SER_RS_HQ, &err);
		if (a) {
			run_audio(c, a, name);
			cli_noise_end();
			return;
		}
		cli_noise_end();
		if (strstr(err.msg, "format not recognised"))
			ser_seterr(&err, SER_EFORMAT, "neither audio that libsndfile reads nor a ser feature stream");
	}
	if (c->live && cli_stop)
		return;
	cli_report(name, &err);
	c->status = EXIT_DATA;
}

static void run_path(struct ctx *c, const char *path)
{
	struct stat st;
	int fd;
	if (!strcmp(path, "-")) {
		run_fd(c, 0, "-");
		return;
	}
	if (ser_kaldi_is_scp(path)) {   /* a Kaldi scp file: the objects it names */
		run_stream(c, NULL, path);
		return;
	}
	if ((fd = open(path, O_RDONLY)) < 0) {
		cli_warn("%s: %s", path, strerror(errno));
		c->status = EXIT_DATA;
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		cli_warn("%s: %s", path, strerror(EISDIR));
		c->status = EXIT_DATA;
	} else {
		run_fd(c, fd, path);
	}
	close(fd);
}

static void print_info(const ser_model *m, const char *path)
{
	printf("model: %s\narch: %s\nclasses:", path, ser_net_arch(m->net));
	for (int i = 0; i < m->n_classes; i++)
		printf(" %s", m->class_names[i]);
	printf("\nparameters: %zu\ninput: %s, %u values, min length %d frames\n",
	       ser_net_ntrainable(m->net),
	       m->layout == SER_LAYOUT_VECTOR ? "one pooled vector per utterance" : "frames",
	       m->feat_dim, ser_net_min_length(m->net));
	if (m->trim_db > 0)   /* ser_trim: leading and trailing quiet frames dropped */
		printf("trim: %g dB\n", (double)m->trim_db);
	else
		printf("trim: none\n");
	if (m->utt_window > 0 && m->feat_shift > 0)
		printf("utterance: mean over windows of %d frames (%g s) every %d frames (%g s)\n",
		       m->utt_window, (double)m->utt_window * m->feat_shift / m->feat_rate, m->utt_hop,
		       (double)m->utt_hop * m->feat_shift / m->feat_rate);
	else
		printf("utterance: whole\n");
	static const char *const norms[] = {
		"none", "training mean and spread", "utterance mean, training spread",
		"per speaker (training statistics unless --adapt gives the recordings')",
		"speaker mean (the training mean unless --adapt gives the recordings'), training spread",
		"training mean and spread, each window's level taken away",
		"speaker mean (the training mean unless --adapt gives the recordings'), training spread, "
		"each window's level taken away"
	};
	printf("normalisation: %s\n", norms[m->norm_mode]);
	printf("features: %s\n", m->feat_settings);
	if (m->train_record)
		printf("training record:\n%s%s", m->train_record,
		       m->train_record[0] && m->train_record[strlen(m->train_record) - 1] != '\n'
		       ? "\n" : "");
}

/* Options that would be accepted and ignored are usage errors. The
 * voice-activity options are errors only where no decision can run (with
 * --no-vad here, with a pooled model or features without energy in
 * check_applies_model); per utterance they are the VAD's too. */
static void check_applies(const struct ctx *c, const char *vadopt, int novad, int meter,
                          int plain, int whole, int list_classes, int info, int nfiles)
{
	if (vadopt && novad)
		cli_usage_error("%s with --no-vad: no voice-activity decision runs", vadopt);
	if (plain && meter == 1)
		cli_usage_error("--plain and --meter exclude each other");
	if (plain && !c->live)
		cli_usage_error("--plain needs --live (without it, lines are written anyway)");
	if (c->json && meter == 1)
		cli_usage_error("--json and --meter exclude each other");
	if (whole && c->window > 0)
		cli_usage_error("--whole labels whole utterances; --window%s labels windows",
		                c->live ? " (or --live)" : "");
	if (list_classes && info)
		cli_usage_error("--classes and --info exclude each other");
	if ((list_classes || info) && nfiles)
		cli_usage_error("%s reads no FILE", info ? "--info" : "--classes");
}

/* The same for what the model allows (mpath names it in messages). */
static void check_applies_model(const ser_model *m, const char *mpath, const char *vadopt,
                                int whole, const ser_vad_opts *vo)
{
	int pooled = m->layout == SER_LAYOUT_VECTOR || m->feat_shift == 0;
	ser_error err;
	if (whole && pooled)
		cli_die(EXIT_USAGE, "--whole: %s takes one pooled vector per utterance, a single pass "
		        "already", mpath);
	if (!vadopt)
		return;
	if (pooled)
		cli_die(EXIT_USAGE, "%s: %s takes one pooled vector per utterance: no voice-activity "
		        "decision can run", vadopt, mpath);
	ser_vad *v = ser_vad_new(vo, m->feat_settings, m->feat_dim, &err);
	if (!v)
		cli_die(EXIT_USAGE, "%s: no voice-activity decision can run on %s's features: %s",
		        vadopt, mpath, err.msg);
	ser_vad_free(v);
}

/* Cross-option checks of --segments, --merge and --format. */
static void check_segment_options(struct ctx *c, int segments, int merge, int novad, int meter, int smooth)
{
	if (c->fmt == SER_FMT_JSON)
		c->json = 1;
	else if (c->json && c->fmt != SER_FMT_TSV)
		cli_usage_error("--json and --format %s", ser_span_fmt_names[c->fmt]);
	if (merge && !segments)
		cli_usage_error("--merge needs --segments");
	if (c->fmt >= SER_FMT_AUDACITY && !segments && c->window <= 0 && !c->live)
		cli_usage_error("--format %s needs --segments, --window or --live", ser_span_fmt_names[c->fmt]);
	if (c->fmt == SER_FMT_TEXTGRID && !segments && c->hop > 0 && c->hop < c->window)
		cli_usage_error("--format textgrid: windows overlap (give --hop >= --window, or --segments)");
	if (c->fmt == SER_FMT_TEXTGRID && !segments && c->live && !(c->hop >= c->window && c->window > 0))
		cli_usage_error("--format textgrid: live windows overlap (give --hop >= --window, or --segments)");
	if (!segments)
		return;
	if (c->window > 0 || c->hop > 0 || smooth > 1 || meter == 1)
		cli_usage_error("--segments: not with %s", c->window > 0 ? "--window" : c->hop > 0 ? "--hop"
		                : smooth > 1 ? "--smooth" : "--meter");
	if (novad)
		cli_usage_error("--segments needs the voice-activity rule (not with --no-vad)");
}

/* The options, at file scope: the table points into co (and ad). */
static struct {
	const char *mopt, *only, *settings;
	const char *vadopt;      /* the first voice-activity option given */
	int probs, json, live, fmt, novad, plain, segments, merge, whole, list_classes, info, quiet;
	int meter, vad_given;
	double window, hop, pause, maxseg, minseg;   /* seconds */
	ser_vad_opts vo;
	ser_clfs_opts so;
	char dmargin[32], dgate[32], drise[32];
} co = { .meter = -1 };

static const cli_opt opts[] = {
	{ .name = "model", .key = 'm', .type = CLI_STR, .arg = "MODEL", .dest = &co.mopt,
	  .help = "a model file, or an installed model's name (seed, seed.ser: in " SER_DATADIR
	          ", else weights/ beside the program's directory); default: $SER_MODEL, else "
	          SER_DATADIR "/default.ser, else weights/default.ser beside the program's directory" },
	{ .name = "probs", .key = 'P', .type = CLI_FLAG, .dest = &co.probs,
	  .help = "append every class's probability (model class order; with --only, the listed "
	          "classes')" },
	{ .name = "only", .key = O_ONLY, .type = CLI_STR, .arg = "LIST", .dest = &co.only,
	  .about = "all classes", .help = "decide among these classes only: 2 or more of --classes, "
	          "comma-separated; their probabilities renormalised to sum to 1, in every mode" },
	{ .name = "json", .key = 'J', .type = CLI_FLAG, .dest = &co.json,
	  .help = "JSON lines {\"key\",\"label\",\"confidence\",\"probs\":{...}}" },
	{ .name = "window", .key = 'w', .type = CLI_REAL, .arg = "SEC", .lo = 1e-3, .hi = 1e6,
	  .dest = &co.window, .about = "off, one label per utterance",
	  .help = "labels over time, windows of SEC seconds" },
	{ .name = "hop", .key = 'H', .type = CLI_REAL, .arg = "SEC", .lo = 1e-3, .hi = 1e6,
	  .dest = &co.hop, .about = "the window; with --live 0.5", .help = "window start step" },
	{ .name = "live", .key = 'l', .type = CLI_FLAG, .dest = &co.live,
	  .help = "an unbounded stream (stdin): a decision every hop over the last window (default "
	          "window 3 s), written and flushed at once: start<TAB>end<TAB>label<TAB>confidence; "
	          "a meter in place of lines when stdout is a terminal" },
	{ .name = "smooth", .key = 's', .type = CLI_INT, .arg = "N", .lo = 1, .hi = 1000,
	  .dest = &co.so.smooth, .def = "1", .help = "average the probabilities of the last N speech "
	          "windows (1: no smoothing)" },
	{ .name = "no-vad", .key = O_NOVAD, .type = CLI_FLAG, .dest = &co.novad,
	  .help = "no voice-activity decision: every window and utterance gets an emotion (default: "
	          "too little voice is \"silence\")" },
	{ .name = "min-voiced", .key = O_MINV, .type = CLI_REAL, .arg = "F", .lo = 0, .hi = 1,
	  .dest = &co.so.min_voiced, .def = "0.2",
	  .help = "fraction of voiced frames a window needs to be speech (an utterance: "
	          STR(UTT_MIN_VOICED) " unless given)" },
	{ .name = "vad-margin", .key = O_VMARGIN, .type = CLI_REAL, .arg = "DB", .lo = 0, .hi = 100,
	  .dest = &co.vo.margin, .def = co.dmargin,
	  .help = "a voiced frame is this far above the running noise floor" },
	{ .name = "vad-gate", .key = O_VGATE, .type = CLI_REAL, .arg = "DB", .lo = -200, .hi = 100,
	  .dest = &co.vo.gate, .def = co.dgate, .help = "and at least this loud" },
	{ .name = "vad-rise", .key = O_VRISE, .type = CLI_REAL, .arg = "DB", .lo = 0, .hi = 1000,
	  .dest = &co.vo.rise, .def = co.drise, .help = "dB per second the noise floor rises" },
	{ .name = "meter", .key = O_METER, .type = CLI_FLAG,
	  .help = "draw the meter even when stdout is not a terminal" },
	{ .name = "plain", .key = O_PLAIN, .type = CLI_FLAG, .dest = &co.plain,
	  .help = "lines even when stdout is a terminal" },
	{ .name = "segments", .key = O_SEGMENTS, .type = CLI_FLAG, .dest = &co.segments,
	  .help = "speech segments found by the voice-activity rule, each labelled once: "
	          "key<TAB>start<TAB>end<TAB>label<TAB>confidence" },
	{ .name = "merge", .key = O_MERGE, .type = CLI_FLAG, .dest = &co.merge,
	  .help = "join consecutive segments of the same label (--segments)" },
	{ .name = "min-pause", .key = O_MINPAUSE, .type = CLI_REAL, .arg = "SEC", .lo = 0.01, .hi = 60,
	  .dest = &co.pause, .def = "0.3", .help = "an unvoiced stretch this long ends a segment" },
	{ .name = "max-segment", .key = O_MAXSEG, .type = CLI_REAL, .arg = "SEC", .lo = 0.1,
	  .hi = 3600, .dest = &co.maxseg, .def = "10", .help = "longer segments are split" },
	{ .name = "min-segment", .key = O_MINSEG, .type = CLI_REAL, .arg = "SEC", .lo = 0.01, .hi = 60,
	  .dest = &co.minseg, .def = "0.25", .help = "shorter segments are dropped" },
	{ .name = "format", .key = O_FORMAT, .type = CLI_CHOICE, .arg = "FMT",
	  .choices = ser_span_fmt_names, .dest = &co.fmt, .def = "tsv",
	  .help = "tsv, json (= --json), audacity (label track), textgrid (Praat), vtt (WebVTT); "
	          "the last three with --segments, --window or --live" },
	{ .name = "whole", .key = O_WHOLE, .type = CLI_FLAG, .dest = &co.whole,
	  .help = "one pass over each whole utterance, not the mean over windows of the model's "
	          "training crop (see --info)" },
	{ .name = "classes", .key = O_CLASSES, .type = CLI_FLAG, .dest = &co.list_classes,
	  .help = "print the model's classes (with --only the listed ones), one a line in model "
	          "order, and exit" },
	{ .name = "info", .key = O_INFO, .type = CLI_FLAG, .dest = &co.info,
	  .help = "print the model's summary and training record, and exit" },
	{ .name = "adapt", .key = O_ADAPT, .type = CLI_CHOICE, .arg = "HOW", .choices = adapt_names,
	  .optional = 1, .def = "run",
	  .help = "normalise with the statistics of the inputs themselves: run (all inputs, read "
	          "twice) or speaker (each speaker's, from --speakers or the file names); with "
	          "--live, running statistics" },
	{ .name = "speakers", .key = O_SPEAKERS, .type = CLI_STR, .arg = "MAP", .dest = &ad.map_path,
	  .help = "TSV key<TAB>speaker (or a truth map) for --adapt=speaker and --save-adapt-stats" },
	{ .name = "adapt-stats", .key = O_ADSTATS, .type = CLI_STR, .arg = "FILE", .dest = &ad.stats_in,
	  .help = "--adapt with the statistics in FILE (no first pass)" },
	{ .name = "save-adapt-stats", .key = O_ADSAVE, .type = CLI_STR, .arg = "FILE",
	  .dest = &ad.stats_out, .help = "write the inputs' statistics to FILE (- is standard "
	          "output), no labels" },
	{ .name = "adapt-tau", .key = O_ADTAU, .type = CLI_REAL, .arg = "SEC", .lo = 1, .hi = 86400,
	  .dest = &ad.tau, .def = "60", .help = "time constant of --live --adapt" },
	{ .name = "settings", .key = O_SETTINGS, .type = CLI_STR, .arg = "S", .dest = &co.settings,
	  .about = "none, archives refused",
	  .help = "the feature settings of Kaldi archive inputs (binary or text ark; FILE.scp: the "
	          "objects it lists), which carry none: a preset, a settings text (KEY=VALUE ...) or "
	          "a ser feature stream whose header to use; they must be the model's" },
	{ .name = "quiet", .key = 'q', .type = CLI_FLAG, .dest = &co.quiet,
	  .help = "no progress line (shown over many FILEs when stderr is a terminal: files done, "
	          "rate, time left)" },
	{ .name = NULL },
};

/* The command line into co, ad and c (the options c carries), with the
 * checks between options. */
static void parse(struct ctx *c, int argc, char **argv)
{
	const cli_spec spec = { "ser-classify", synopsis, intro, opts, outro };
	static ser_feat_info kaldi_as;
	static char kaldi_text[SER_FEAT_SETTINGS_MAX];
	ser_error err;
	int ch;
	ser_vad_defaults(&co.vo);
	snprintf(co.dmargin, sizeof co.dmargin, "%g", co.vo.margin);
	snprintf(co.dgate, sizeof co.dgate, "%g", co.vo.gate);
	snprintf(co.drise, sizeof co.drise, "%g", co.vo.rise);
	while ((ch = cli_getopt(argc, argv, &spec)) != -1) {
		switch (ch) {
		case O_MINV: co.vadopt = "--min-voiced"; co.vad_given = 2; break;
		case O_VMARGIN: co.vadopt = "--vad-margin"; co.vad_given |= 1; break;
		case O_VGATE: co.vadopt = "--vad-gate"; co.vad_given |= 1; break;
		case O_VRISE: co.vadopt = "--vad-rise"; co.vad_given |= 1; break;
		case O_METER: co.meter = 1; break;
		case O_ADAPT: ad.mode = 1 + (int)cli_optnum; break;
		case O_ADTAU: ad.tau_given = 1; break;
		}
	}
	c->probs = co.probs, c->json = co.json, c->live = co.live, c->fmt = co.fmt;
	c->window = co.window, c->hop = co.hop;
	if (co.settings) {
		if (ser_kaldi_settings(co.settings, &kaldi_as, kaldi_text, sizeof kaldi_text, &err) < 0)
			cli_usage_error("--settings: %s", err.msg);
		c->kaldi = &kaldi_as;
	}
	if (optind == argc && !co.list_classes && !co.info)
		cli_refuse_tty_in("audio or features", "give a FILE, or pipe them in: ser-mfcc | ser-classify");
	check_segment_options(c, co.segments, co.merge, co.novad, co.meter, co.so.smooth);
	if (c->live && !co.segments) {
		if (c->window <= 0)
			c->window = 3;
		if (c->hop <= 0)
			c->hop = 0.5;
	}
	if (c->hop > 0 && c->window <= 0)
		cli_usage_error("--hop needs --window");
	if (c->window > 0 && c->hop <= 0)
		c->hop = c->window;
	if (c->window <= 0 && (co.so.smooth > 1 || co.meter == 1))
		cli_usage_error("%s needs --window or --live", co.so.smooth > 1 ? "--smooth" : "--meter");
	check_applies(c, co.vadopt, co.novad, co.meter, co.plain, co.whole, co.list_classes, co.info,
	              argc - optind);
	adapt_check_options(c, argv + optind, argc - optind);
	if (co.plain)
		co.meter = 0;
	else if (c->json && co.meter < 0)
		co.meter = 0;   /* --json asks for lines, also on a terminal */
}

/* The decisions over time (windows, live, segments) or per utterance, and
 * the voice-activity rule and meter they use. */
static void setup_decisions(struct ctx *c, const char *mpath)
{
	ser_error err;
	if (c->window > 0) {
		double fps = (double)c->m->feat_rate / c->m->feat_shift;   /* frames per second */
		if (c->window * fps > INT_MAX / 4)
			cli_die(EXIT_USAGE, "--window: %g s is %.0f frames of %s, more than %d", c->window,
			        c->window * fps, mpath, INT_MAX / 4);
		co.so.window = (int)lround(c->window * fps);
		co.so.hop = (int)lround(c->hop * fps);
		if (co.so.window < 1)
			co.so.window = 1;
		if (co.so.hop < 1)
			co.so.hop = 1;
		if (!co.novad && !(c->vad = ser_vad_new(&co.vo, c->m->feat_settings, c->m->feat_dim, &err)))
			cli_die(EXIT_DATA, "%s: %s (use --no-vad)", mpath, err.msg);
		if (!(c->clfs = ser_clfs_new(c->clf, c->vad, &co.so, &err)))
			cli_die(EXIT_DATA, "%s", err.msg);
	} else if (!co.novad && !co.segments) {
		/* whole utterances: the same rule; quietly none for features without
		 * the energy (CMVN, pooled) unless a VAD option asked for it
		 * (segments make their own) */
		c->vad = ser_vad_new(&co.vo, c->m->feat_settings, c->m->feat_dim, &err);
		if (!c->vad && co.vad_given)
			cli_die(EXIT_DATA, "%s: %s (use --no-vad)", mpath, err.msg);
		c->min_voiced = co.vad_given & 2 ? co.so.min_voiced : UTT_MIN_VOICED;
	}
	if (co.segments)
		seg_setup(c, mpath, &co.vo, co.pause, co.maxseg, co.minseg, co.merge);
	if (c->live) {
		meter_on = co.meter >= 0 ? co.meter : isatty(STDOUT_FILENO);
		if (meter_on && !co.segments)
			meter_start();
		meter_on = meter_on && !co.segments;
		if (meter_on)
			atexit(meter_restore);
		cli_catch_stop();
	} else if (co.meter == 1) {
		meter_on = 1;
		atexit(meter_restore);
	}
}

int main(int argc, char **argv)
{
	struct ctx c;
	ser_error err;
	const char *mpath;
	unsigned char *keep = NULL;   /* (n_classes) --only, or NULL */
	char mbuf[4096];

	memset(&c, 0, sizeof c);
	c.pace_fd = -1;
	parse(&c, argc, argv);
	if (!co.list_classes && !co.info)
		cli_check_stdout_not_input((const char *const *)argv + optind, argc - optind);
	if (!(mpath = cli_find_model(co.mopt, mbuf, sizeof mbuf)))
		cli_die(EXIT_DATA, "no model: give -m FILE or set SER_MODEL (none at %s/default.ser "
		        "or weights/default.ser beside the program)", SER_DATADIR);
	if (!(c.m = ser_model_load(mpath, &err))) {
		cli_report(mpath, &err);
		return EXIT_DATA;
	}
	if (co.only) {
		keep = cli_realloc(NULL, (size_t)c.m->n_classes);
		if (ser_clf_mask(c.m, co.only, keep, &err) < 0)
			cli_usage_error("--only: %s", err.msg);
	}
	if (co.list_classes || co.info) {
		if (co.info)
			print_info(c.m, mpath);
		else
			for (int i = 0; i < c.m->n_classes; i++)
				if (!keep || keep[i])
					printf("%s\n", c.m->class_names[i]);
		free(keep);
		ser_model_free(c.m);
		cli_close_stdout();
		return EXIT_OK;
	}
	check_applies_model(c.m, mpath, co.vadopt, co.whole, &co.vo);
	if (co.whole)
		c.m->utt_window = c.m->utt_hop = 0;
	if (c.window > 0 && (c.m->layout == SER_LAYOUT_VECTOR || c.m->feat_shift == 0))
		cli_die(EXIT_USAGE, "--window: %s takes one pooled vector per utterance, not frames",
		        mpath);
	if (!(c.clf = ser_clf_new(c.m, &err)))
		cli_die(EXIT_DATA, "%s", err.msg);
	ser_clf_restrict(c.clf, keep);
	setup_decisions(&c, mpath);
	c.p = cli_realloc(NULL, (size_t)c.m->n_classes * sizeof *c.p);
	atexit(close_open_stream);
	if (ad.mode || ad.stats_out) {
		adapt_setup(&c, argv + optind, argc - optind, mpath);
		if (ad.stats_out)
			goto done;
	}

	if (optind == argc)
		run_fd(&c, 0, "-");
	cli_progress_start(c.live ? 0 : argc - optind, co.quiet);
	for (int i = optind; i < argc; i++) {
		if (!(ad.failed && ad.failed[i - optind]))
			run_path(&c, argv[i]);
		cli_progress(i - optind + 1);
	}
	cli_progress_end();
done:

	if (c.segs && c.live && cli_stop)
		seg_finish(&c, NULL);   /* interrupted: the segment in progress */
	export_close(&c);
	meter_restore();
	seg_free(c.segs);
	ser_fe_free(c.fe);
	ser_clfs_free(c.clfs);
	ser_vad_free(c.vad);
	ser_clf_free(c.clf);
	ser_model_free(c.m);
	free(c.p);
	free(keep);
	free(c.frames);
	free(c.line);
	ser_adapt_free(ad.a);
	ser_labelmap_free(ad.map);
	ser_adapt_run_free(&ad.run);
	ser_vad_free(ad.gate);
	free(ad.mean), free(ad.failed), free(ad.y);
	cli_close_stdout();
	return c.status;
}
