/* ser-classify: audio files or feature streams to emotion labels.
 * Options and behaviour in man/ser-classify.1. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio.h"
#include "cli.h"
#include "classify.h"
#include "featio.h"
#include "mfcc.h"
#include "model.h"
#include "vad.h"

#define SILENCE "silence"   /* label of a window without enough voice */
#define UTT_MIN_VOICED 0.05 /* default --min-voiced of a whole utterance: below every
                               file of the corpora (lowest: 0.14), above silence (0) */

#ifndef SER_DATADIR
#define SER_DATADIR "/usr/local/share/ser"
#endif

static const char synopsis[] =
	"Usage: ser-classify [-m MODEL] [OPTION]... [FILE]...\n";

static void usage(void)
{
	printf("%s", synopsis);
	printf(
	"Labels utterances of audio (anything libsndfile reads: WAV, FLAC, OGG, MP3,\n"
	"AIFF, ...; features computed with the model's settings) or of feature streams,\n"
	"told apart by their first bytes, from files, pipes, FIFOs or stdin (no FILE, or\n"
	"-). One line per utterance: key<TAB>label<TAB>confidence; \"silence\" when too\n"
	"little of it is voiced.\n"
	"\n"
	"  -m, --model FILE     model (default: $SER_MODEL, else %s/default.ser,\n"
	"                       else weights/default.ser beside the program's directory)\n"
	"  -p, --probs          append every class's probability (model class order)\n"
	"  -J, --json           JSON lines {\"key\",\"label\",\"confidence\",\"probs\":{...}}\n"
	"  -w, --window SEC     number > 0: labels over time, windows of SEC seconds\n"
	"                       (default: off, one label per utterance)\n"
	"  -H, --hop SEC        number > 0: window start step (default: the window;\n"
	"                       with --live 0.5)\n"
	"  -l, --live           an unbounded stream (stdin): a decision every hop over\n"
	"                       the last window (default window 3 s), written and\n"
	"                       flushed at once: start<TAB>end<TAB>label<TAB>confidence;\n"
	"                       a meter in place of lines when stdout is a terminal\n"
	"  -s, --smooth N       integer 1..1000: average the probabilities of the last N\n"
	"                       speech windows (default: 1, no smoothing)\n"
	"      --no-vad         no voice-activity decision: every window and utterance\n"
	"                       gets an emotion (default: too little voice is \"silence\")\n"
	"      --min-voiced F   number 0..1: fraction of voiced frames a window (an\n"
	"                       utterance) needs to be speech (default: 0.2; 0.05)\n"
	"      --vad-margin DB  number 0..100: a voiced frame is this far above the\n"
	"                       running noise floor (default: 12)\n"
	"      --vad-gate DB    number -200..100: and at least this loud (default: -60)\n"
	"      --vad-rise DB    number 0..1000: dB per second the noise floor rises\n"
	"                       (default: 2)\n"
	"      --meter          draw the meter even when stdout is not a terminal\n"
	"      --plain          lines even when stdout is a terminal\n"
	"      --whole          one pass over each whole utterance, not the mean over\n"
	"                       windows of the model's training crop (see --info)\n"
	"      --classes        print the model's classes, one a line, and exit\n"
	"      --info           print the model's summary and training record, and exit\n"
	"  -h, --help           this help\n"
	"\n"
	"Windowed lines: key<TAB>start<TAB>end<TAB>label<TAB>confidence (seconds);\n"
	"--live lines have no key. The voice-activity rule is in ser-classify(1).\n"
	"Exit status: 0 ok, 1 usage error, 2 a model, input or output error (other\n"
	"inputs are still processed).\n", SER_DATADIR);
}

enum { O_CLASSES = 256, O_INFO, O_WHOLE, O_NOVAD, O_MINV, O_VMARGIN, O_VGATE, O_VRISE, O_METER, O_PLAIN };

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
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		cli_die(EXIT_DATA, "out of memory");
	return p;
}

/* ---- model lookup ---- */

static int file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

/* -m, $SER_MODEL, SER_DATADIR/default.ser, <exe dir>/../weights/default.ser */
static const char *find_model(const char *opt, char *buf, size_t n)
{
	const char *env = getenv("SER_MODEL");
	ssize_t k;
	char *slash;
	if (opt)
		return opt;
	if (env && *env)
		return env;
	snprintf(buf, n, "%s/default.ser", SER_DATADIR);
	if (file_exists(buf))
		return buf;
	k = readlink("/proc/self/exe", buf, n - 1);
	if (k > 0) {
		buf[k] = '\0';
		if ((slash = strrchr(buf, '/')) != NULL) {
			*slash = '\0';
			if ((size_t)k + 32 < n) {
				strcat(buf, "/../weights/default.ser");
				if (file_exists(buf))
					return buf;
			}
		}
	}
	return NULL;
}

/* ---- output ---- */

static void put(struct ctx *c, const char *s, size_t n)
{
	if (c->linelen + n + 1 > c->linecap) {
		size_t nc = c->linecap ? c->linecap : 256;
		while (nc < c->linelen + n + 1)
			nc *= 2;
		c->line = xrealloc(c->line, nc);
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

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static int utf8_len(const unsigned char *s)
{
	int n, i;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* A JSON string: '"' '\\' and control bytes escaped, bytes that are not
 * valid UTF-8 written as \u00XX (the byte's value, Latin-1 style). */
static void put_json_string(struct ctx *c, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	puts_(c, "\"");
	while (*u) {
		int n = utf8_len(u);
		if (*u == '"' || *u == '\\') {
			char e[2] = { '\\', (char)*u };
			put(c, e, 2);
		} else if (*u == '\n') {
			puts_(c, "\\n");
		} else if (*u == '\t') {
			puts_(c, "\\t");
		} else if (*u == '\r') {
			puts_(c, "\\r");
		} else if (*u < 0x20 || *u == 0x7f || n == 0) {
			putf(c, "\\u%04x", *u);
			n = 1;
		} else {
			put(c, (const char *)u, (size_t)n);
		}
		u += n ? n : 1;
	}
	puts_(c, "\"");
}

/* TSV key: TAB, CR and LF would break the line; they become spaces. */
static void put_tsv_key(struct ctx *c, const char *key)
{
	for (const char *s = key; *s; s++) {
		char ch = (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s;
		put(c, &ch, 1);
	}
}

/* One line. key NULL: none (live); start < 0: per utterance; p NULL:
 * probabilities written as 0. */
static void emit(struct ctx *c, const char *key, double start, double end, const char *label,
                 double conf, const float *p)
{
	int n = c->m->n_classes;
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
			puts_(c, ", \"probs\": {");
			for (int i = 0; i < n; i++) {
				if (i)
					puts_(c, ", ");
				put_json_string(c, c->m->class_names[i]);
				putf(c, ": %.4f", p ? p[i] : 0.0);
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
				putf(c, "\t%.4f", p ? p[i] : 0.0);
		puts_(c, "\n");
	}
	/* one write per line, flushed: parallel writers never split a line */
	cli_write(stdout, c->line, c->linelen);
	cli_flush(stdout);
}

/* ---- the live meter (stdout a terminal) ---- */

#define METER_BAR 40   /* characters of a full bar */
static int meter_lines;  /* lines drawn so far, 0: nothing to restore */
static int meter_on;

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
	int n = c->m->n_classes;
	const char *label = d->speech ? c->m->class_names[d->label] : SILENCE;
	c->linelen = 0;
	if (meter_lines)
		putf(c, "\033[%dA", meter_lines);   /* back to the first line */
	else
		puts_(c, "\033[?25l");               /* hide the cursor */
	putf(c, "\r\033[2K%7.2f-%.2f s  ", start, end);
	put(c, label, strlen(label));
	putf(c, "  %.2f  (voice %3.0f%%)\n", d->confidence, 100 * d->voiced);
	for (int i = 0; i < n; i++) {
		float v = d->speech ? d->probs[i] : 0.0f;
		int k = (int)lround(v * METER_BAR);
		putf(c, "\r\033[2K%12.12s %s", c->m->class_names[i], i == d->label ? "*" : " ");
		for (int j = 0; j < METER_BAR; j++)
			put(c, j < k ? "#" : ".", 1);
		putf(c, " %.2f\n", v);
	}
	meter_lines = n + 1;
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

/* Pushes n frames to the window stream. */
static void push_frames(struct ctx *c, const char *key, const float *x, size_t n)
{
	ser_error err;
	ser_decision d;
	for (size_t i = 0; i < n && !(c->live && cli_stop); i++) {
		int rc = ser_clfs_push(c->clfs, x + i * c->m->feat_dim, &d, &err);
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

/* Labels the utterance held in c->frames (per-utterance mode). */
static void label_utterance(struct ctx *c, const char *key)
{
	ser_error err;
	int n = (int)c->nframes, best;
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
		c->frames = xrealloc(c->frames, nc * d * sizeof *c->frames);
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

static void run_stream(struct ctx *c, FILE *f, const char *name)
{
	ser_error err;
	ser_fr_ev ev;
	ser_fr *r = ser_fr_open(f, name, &err);
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
		} else if (ev.type == SER_FR_FRAMES) {
			if (c->clfs)
				push_frames(c, ev.key, ev.x, ev.n);
			else
				add_frames(c, ev.x, ev.n);
		} else if (ev.type == SER_FR_END) {
			if (c->clfs)
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
	if (c->clfs)
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
		float *one = xrealloc(NULL, d * sizeof *one);
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
	if (c->clfs)
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
	if (kind == SER_SNIFF_FEATURES && (f = ser_replay_stream(fd, head, n, &err))) {
		open_stream = f;
		run_stream(c, f, name);
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
	printf("features: %s\n", m->feat_settings);
	if (m->train_record)
		printf("training record:\n%s%s", m->train_record,
		       m->train_record[0] && m->train_record[strlen(m->train_record) - 1] != '\n'
		       ? "\n" : "");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "probs", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'J' },
		{ "window", required_argument, NULL, 'w' },
		{ "hop", required_argument, NULL, 'H' },
		{ "live", no_argument, NULL, 'l' },
		{ "smooth", required_argument, NULL, 's' },
		{ "no-vad", no_argument, NULL, O_NOVAD },
		{ "min-voiced", required_argument, NULL, O_MINV },
		{ "vad-margin", required_argument, NULL, O_VMARGIN },
		{ "vad-gate", required_argument, NULL, O_VGATE },
		{ "vad-rise", required_argument, NULL, O_VRISE },
		{ "meter", no_argument, NULL, O_METER },
		{ "plain", no_argument, NULL, O_PLAIN },
		{ "classes", no_argument, NULL, O_CLASSES },
		{ "info", no_argument, NULL, O_INFO },
		{ "whole", no_argument, NULL, O_WHOLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctx c;
	ser_error err;
	const char *mopt = NULL, *mpath;
	char mbuf[4096];
	int ch, list_classes = 0, info = 0, whole = 0, novad = 0, meter = -1, vad_given = 0;
	ser_vad_opts vo;
	ser_clfs_opts so = { 0, 0, 1, 0.2 };

	cli_init("ser-classify", synopsis);
	memset(&c, 0, sizeof c);
	ser_vad_defaults(&vo);
	while ((ch = getopt_long(argc, argv, "m:pJw:H:ls:h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'm': mopt = optarg; break;
		case 'p': c.probs = 1; break;
		case 'J': c.json = 1; break;
		case 'w': c.window = cli_double("--window", optarg, 1e-3, 1e6); break;
		case 'H': c.hop = cli_double("--hop", optarg, 1e-3, 1e6); break;
		case 'l': c.live = 1; break;
		case 's': so.smooth = (int)cli_long("--smooth", optarg, 1, 1000); break;
		case O_NOVAD: novad = 1; break;
		case O_MINV: so.min_voiced = cli_double("--min-voiced", optarg, 0, 1); vad_given = 2; break;
		case O_VMARGIN: vo.margin = cli_double("--vad-margin", optarg, 0, 100); vad_given |= 1; break;
		case O_VGATE: vo.gate = cli_double("--vad-gate", optarg, -200, 100); vad_given |= 1; break;
		case O_VRISE: vo.rise = cli_double("--vad-rise", optarg, 0, 1000); vad_given |= 1; break;
		case O_METER: meter = 1; break;
		case O_PLAIN: meter = 0; break;
		case O_CLASSES: list_classes = 1; break;
		case O_INFO: info = 1; break;
		case O_WHOLE: whole = 1; break;
		case 'h': usage(); cli_close_stdout(); return EXIT_OK;
		default: cli_usage_error("unknown option");
		}
	}
	if (c.live) {
		if (c.window <= 0)
			c.window = 3;
		if (c.hop <= 0)
			c.hop = 0.5;
	}
	if (c.hop > 0 && c.window <= 0)
		cli_usage_error("--hop needs --window");
	if (c.window > 0 && c.hop <= 0)
		c.hop = c.window;
	if (c.window <= 0 && (so.smooth > 1 || meter == 1))
		cli_usage_error("%s needs --window or --live", so.smooth > 1 ? "--smooth" : "--meter");

	if (!(mpath = find_model(mopt, mbuf, sizeof mbuf)))
		cli_die(EXIT_DATA, "no model: give -m FILE or set SER_MODEL (none at %s/default.ser "
		        "or weights/default.ser beside the program)", SER_DATADIR);
	if (!(c.m = ser_model_load(mpath, &err))) {
		cli_report(mpath, &err);
		return EXIT_DATA;
	}
	if (list_classes || info) {
		if (info)
			print_info(c.m, mpath);
		else
			for (int i = 0; i < c.m->n_classes; i++)
				printf("%s\n", c.m->class_names[i]);
		ser_model_free(c.m);
		cli_close_stdout();
		return EXIT_OK;
	}
	if (whole)
		c.m->utt_window = c.m->utt_hop = 0;
	if (c.window > 0 && (c.m->layout == SER_LAYOUT_VECTOR || c.m->feat_shift == 0))
		cli_die(EXIT_USAGE, "--window: %s takes one pooled vector per utterance, not frames",
		        mpath);
	if (!(c.clf = ser_clf_new(c.m, &err)))
		cli_die(EXIT_DATA, "%s", err.msg);
	if (c.window > 0) {
		double fps = (double)c.m->feat_rate / c.m->feat_shift;   /* frames per second */
		so.window = (int)lround(c.window * fps);
		so.hop = (int)lround(c.hop * fps);
		if (so.window < 1)
			so.window = 1;
		if (so.hop < 1)
			so.hop = 1;
		if (!novad && !(c.vad = ser_vad_new(&vo, c.m->feat_settings, c.m->feat_dim, &err)))
			cli_die(EXIT_DATA, "%s: %s (use --no-vad)", mpath, err.msg);
		if (!(c.clfs = ser_clfs_new(c.clf, c.vad, &so, &err)))
			cli_die(EXIT_DATA, "%s", err.msg);
	} else if (!novad) {
		/* whole utterances: the same rule; quietly none for features without
		 * the energy (CMVN, pooled) unless a VAD option asked for it */
		c.vad = ser_vad_new(&vo, c.m->feat_settings, c.m->feat_dim, &err);
		if (!c.vad && vad_given)
			cli_die(EXIT_DATA, "%s: %s (use --no-vad)", mpath, err.msg);
		c.min_voiced = vad_given & 2 ? so.min_voiced : UTT_MIN_VOICED;
	}
	if (c.live) {
		meter_on = meter >= 0 ? meter : isatty(STDOUT_FILENO);
		if (meter_on)
			atexit(meter_restore);
		cli_catch_stop();
	} else if (meter == 1) {
		meter_on = 1;
		atexit(meter_restore);
	}
	c.p = xrealloc(NULL, (size_t)c.m->n_classes * sizeof *c.p);
	atexit(close_open_stream);

	if (optind == argc)
		run_fd(&c, 0, "-");
	for (int i = optind; i < argc; i++)
		run_path(&c, argv[i]);

	meter_restore();
	ser_fe_free(c.fe);
	ser_clfs_free(c.clfs);
	ser_vad_free(c.vad);
	ser_clf_free(c.clf);
	ser_model_free(c.m);
	free(c.p);
	free(c.frames);
	free(c.line);
	cli_close_stdout();
	return c.status;
}
