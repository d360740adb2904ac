/* ser-play: the original project's offline player, in the terminal: a
 * playlist with search, play/pause/stop/next/seek through ALSA, and the
 * live decision of the model as the sound plays. man/ser-play.1. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "classify.h"
#include "cli.h"
#include "mfcc.h"
#include "model.h"
#include "playback.h"
#include "vad.h"

#ifndef SER_DATADIR
#define SER_DATADIR "/usr/local/share/ser"
#endif

#define SILENCE "silence"
#define CHUNK_MS 10        /* samples fed per step */
#define LEAD_MS 150        /* how far feeding runs ahead of the clock */
#define LATENCY_US 250000  /* ALSA buffer */
#define SEEK_S 5.0
#define RUNS_MAX 4096      /* label runs kept for the "played" line */

static const char synopsis[] = "Usage: ser-play [-D DEVICE] [-m MODEL] [OPTION]... FILE|DIR...\n";

static const char intro[] =
	"Plays audio files (WAV, FLAC, OGG, ... as libsndfile reads them; directories are\n"
	"searched for them) through ALSA and shows the model's decision over the last\n"
	"window as the sound plays, with the labels of what has been played so far.\n";
static const char outro[] =
	"Keys (on a terminal): space pause/resume, s stop, n/p next/previous file,\n"
	"left/right seek 5 s, / search the playlist (type, Enter plays, Esc leaves),\n"
	"q quit. Without a terminal (or --plain) it plays the files in order and\n"
	"prints ser-classify --window lines: key<TAB>start<TAB>end<TAB>label<TAB>confidence.\n"
	"Exit status: 0 ok (also after SIGINT/SIGTERM), 1 usage error, 2 no model, no\n"
	"file, a device or file error.\n";

/* ---- the playlist ---- */

struct list {
	char **path;
	int n, cap;
};

static int is_audio_name(const char *name)
{
	static const char *const ext[] = { "wav", "flac", "ogg", "oga", "opus", "aiff", "aif", "au",
	                                   "snd", "caf", "w64", "rf64", "mp3", "wv", NULL };
	const char *dot = strrchr(name, '.');
	for (int i = 0; dot && ext[i]; i++)
		if (!strcasecmp(dot + 1, ext[i]))
			return 1;
	return 0;
}

static void list_add(struct list *l, const char *path)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->path = cli_realloc(l->path, (size_t)l->cap * sizeof *l->path);
	}
	l->path[l->n++] = cli_strdup(path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories from the one given down to the one being read: a
 * directory met again below itself (a symbolic link to an ancestor) is a
 * loop and is not entered. */
struct dir_chain {
	dev_t dev;
	ino_t ino;
	const struct dir_chain *up;
};

static int in_chain(const struct dir_chain *c, const struct stat *st)
{
	for (; c; c = c->up)
		if (c->dev == st->st_dev && c->ino == st->st_ino)
			return 1;
	return 0;
}

/* Audio files under dir, depth first, in name order. 0 or EXIT_DATA. */
static int add_dir(struct list *l, const char *dir, const struct dir_chain *up, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat self;
	int first = l->n, rc = 0;
	if (!d || fstat(dirfd(d), &self) < 0) {
		cli_warn("%s: %s", dir, strerror(errno));
		if (d)
			closedir(d);
		return EXIT_DATA;
	}
	struct dir_chain here = { self.st_dev, self.st_ino, up };
	while ((e = readdir(d)) != NULL) {
		char *p;
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		p = cli_realloc(NULL, strlen(dir) + strlen(e->d_name) + 2);
		sprintf(p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
		if (stat(p, &st) < 0)
			;   /* a dangling link or a file gone meanwhile: not audio */
		else if (S_ISDIR(st.st_mode) && depth < 32 && !in_chain(&here, &st))
			rc |= add_dir(l, p, &here, depth + 1);
		else if (S_ISREG(st.st_mode) && is_audio_name(e->d_name))
			list_add(l, p);
		free(p);
	}
	closedir(d);
	if (l->n > first)
		qsort(l->path + first, (size_t)(l->n - first), sizeof *l->path, cmp_str);
	return rc;
}

/* ---- the terminal ---- */

static struct termios term_saved;
static int term_raw;                 /* raw mode is on */
static volatile sig_atomic_t resized = 1;

static void term_restore(void)
{
	static const char s[] = "\033[?25h\033[?1049l";
	if (!term_raw)
		return;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &term_saved);
	if (write(STDOUT_FILENO, s, sizeof s - 1) < 0)
		return;
	term_raw = 0;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

/* Raw keys (no echo, no line editing; Ctrl-C still signals), the
 * alternate screen, the cursor hidden; restored at exit. */
static void term_start(void)
{
	static const char s[] = "\033[?1049h\033[?25l";
	struct termios t;
	struct sigaction sa;
	if (tcgetattr(STDIN_FILENO, &term_saved) < 0)
		cli_die(EXIT_DATA, "terminal: %s", strerror(errno));
	t = term_saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	term_raw = 1;
	atexit(term_restore);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_winch;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	cli_write(stdout, s, sizeof s - 1);
	cli_flush(stdout);
}

static void term_size(int *rows, int *cols)
{
	struct winsize w;
	*rows = 24;
	*cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) {
		*rows = w.ws_row;
		*cols = w.ws_col;
	}
}

enum { K_NONE = 0, K_ESC = 27, K_ENTER = '\n', K_BACK = 127, K_LEFT = 1000, K_RIGHT, K_UP, K_DOWN };

/* The next key from the bytes in b (n), its length in *used. */
static int parse_key(const unsigned char *b, int n, int *used)
{
	*used = 1;
	if (b[0] == 27 && n >= 3 && (b[1] == '[' || b[1] == 'O')) {
		*used = 3;
		switch (b[2]) {
		case 'A': return K_UP;
		case 'B': return K_DOWN;
		case 'C': return K_RIGHT;
		case 'D': return K_LEFT;
		default: return K_NONE;
		}
	}
	if (b[0] == '\r' || b[0] == '\n')
		return K_ENTER;
	if (b[0] == 8)
		return K_BACK;
	return b[0];
}

/* ---- the player ---- */

enum state { PLAYING, PAUSED, STOPPED };

struct run { double start, end; const char *label; };

struct player {
	ser_model *m;
	ser_clf *clf;
	ser_fe *fe;
	ser_vad *vad;
	ser_clfs *clfs;
	ser_playback *pb;
	struct list *l;
	int cur;                  /* playlist index */
	ser_audio *a;             /* NULL: the current file failed */
	enum state st;
	long pos;                 /* samples of the file fed so far */
	long offset;              /* sample where the decisions restarted (a seek) */
	long fed;                 /* samples fed since t0 */
	struct timespec t0;
	int rate;
	double fps;               /* frames per second */
	int tui;
	int status;
	int have;                 /* a decision to show */
	ser_decision d;
	float *probs;             /* (n_classes) copy of d.probs */
	double dstart, dend;      /* seconds in the file */
	struct run runs[RUNS_MAX];
	int nruns;
	int searching;            /* '/' mode */
	char query[128];
	int sel;                  /* selected match */
	char msg[1024];           /* last error, shown in the UI */
};

static double now_s(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void restart_clock(struct player *p)
{
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	p->fed = 0;
}

static void file_error(struct player *p, const char *path, const ser_error *err)
{
	if (p->tui)
		snprintf(p->msg, sizeof p->msg, "%s: %s", path, err->msg);
	else
		cli_report(path, err);
	p->status = EXIT_DATA;
}

/* Opens the current file at sample `at` (decoded and dropped up to it). */
static int open_at(struct player *p, long at)
{
	const char *path = p->l->path[p->cur];
	float buf[4096];
	ser_error err;
	ser_audio_close(p->a);
	ser_fe_reset(p->fe);
	ser_clfs_reset(p->clfs);
	p->pos = p->offset = 0;
	if (!(p->a = ser_audio_open(path, p->rate, SER_RS_HQ, &err))) {
		file_error(p, path, &err);
		return -1;
	}
	while (p->pos < at) {
		long want = at - p->pos < 4096 ? at - p->pos : 4096;
		long k = ser_audio_read(p->a, buf, (size_t)want, &err);
		if (k <= 0)
			break;
		p->pos += k;
	}
	p->offset = p->pos;
	restart_clock(p);
	return 0;
}

static void clear_runs(struct player *p)
{
	p->nruns = 0;
	p->have = 0;
}

/* Makes playlist entry i current and plays it from its start; a file
 * that cannot be opened is skipped. */
static void go_to(struct player *p, int i)
{
	ser_playback_drop(p->pb);
	clear_runs(p);
	for (p->cur = i; p->cur < p->l->n; p->cur++)
		if (open_at(p, 0) == 0) {
			p->st = PLAYING;
			return;
		}
	p->cur = p->l->n - 1;
	p->st = STOPPED;
}

static void print_line(struct player *p, const char *label, double conf)
{
	char line[4096];
	const char *key = p->l->path[p->cur];
	int k = snprintf(line, sizeof line, "%s\t%.2f\t%.2f\t%s\t%.4f\n", key, p->dstart, p->dend, label, conf);
	for (char *c = line; c < line + strlen(key); c++)
		if (*c == '\t' || *c == '\n' || *c == '\r')
			*c = ' ';
	cli_write(stdout, line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
	cli_flush(stdout);
}

/* A decision: kept for the screen, added to the runs, or printed. */
static void decided(struct player *p, const ser_decision *d)
{
	const char *label = d->speech ? p->m->class_names[d->label] : SILENCE;
	struct run *r = p->nruns ? &p->runs[p->nruns - 1] : NULL;
	p->d = *d;
	p->have = 1;
	if (d->speech)
		memcpy(p->probs, d->probs, (size_t)p->m->n_classes * sizeof *p->probs);
	p->dstart = (double)p->offset / p->rate + d->start / p->fps;
	p->dend = (double)p->offset / p->rate + (d->start + d->len) / p->fps;
	if (!p->tui)
		print_line(p, label, d->confidence);
	if (r && r->label == label && p->dend >= r->end) {
		r->end = p->dend;
	} else {
		if (p->nruns == RUNS_MAX)
			memmove(p->runs, p->runs + 1, (RUNS_MAX - 1) * sizeof *p->runs), p->nruns--;
		p->runs[p->nruns++] = (struct run){ r && r->end < p->dend ? r->end : p->dstart, p->dend, label };
	}
}

/* Frames ready in the front end to the window stream. */
static int drain(struct player *p)
{
	float x[4096];
	size_t per = sizeof x / sizeof *x / p->m->feat_dim, k;
	ser_decision d;
	ser_error err;
	while ((k = ser_fe_get(p->fe, x, per)) > 0) {
		for (size_t i = 0; i < k; i++) {
			int rc = ser_clfs_push(p->clfs, x + i * p->m->feat_dim, &d, &err);
			if (rc < 0) {
				file_error(p, p->l->path[p->cur], &err);
				return -1;
			}
			if (rc > 0)
				decided(p, &d);
		}
	}
	return 0;
}

/* The file has ended: the tail decision, then the next file (or the end). */
static void file_ended(struct player *p)
{
	ser_decision d;
	ser_error err;
	if (ser_fe_finish(p->fe, &err) < 0 || drain(p) < 0)
		file_error(p, p->l->path[p->cur], &err);
	else if (ser_clfs_frames(p->clfs) > 0 && ser_clfs_finish(p->clfs, &d, &err) > 0)
		decided(p, &d);
	ser_playback_drain(p->pb);
	if (p->cur + 1 < p->l->n) {
		go_to(p, p->cur + 1);
		return;
	}
	p->st = STOPPED;
	ser_audio_close(p->a);
	p->a = NULL;
	if (p->tui)
		snprintf(p->msg, sizeof p->msg, "end of the playlist");
}

/* Feeds the sound whose time has come (plus a lead) to ALSA and to the
 * model. Returns -1 on a device error. */
static int feed(struct player *p)
{
	float x[4096];
	long chunk = p->rate * CHUNK_MS / 1000, lead = p->rate * LEAD_MS / 1000;
	ser_error err;
	while (p->st == PLAYING && !cli_stop && p->fed < now_s(&p->t0) * p->rate + lead) {
		long k = p->a ? ser_audio_read(p->a, x, (size_t)chunk, &err) : 0;
		if (k < 0)
			file_error(p, p->l->path[p->cur], &err);
		if (k <= 0) {
			file_ended(p);
			continue;
		}
		if (ser_playback_write(p->pb, x, (size_t)k, &err) < 0) {
			if (err.code == SER_EINTR)
				return 0;
			cli_report("playback", &err);
			return -1;
		}
		p->fed += k;
		p->pos += k;
		if (ser_fe_accept(p->fe, x, (size_t)k, &err) < 0) {
			file_error(p, p->l->path[p->cur], &err);
			file_ended(p);
			continue;
		}
		if (drain(p) < 0)
			file_ended(p);
	}
	return 0;
}

static void seek(struct player *p, double by)
{
	long at = p->pos + (long)(by * p->rate);
	if (p->st == STOPPED && !p->a)
		return;
	ser_playback_drop(p->pb);
	clear_runs(p);
	if (open_at(p, at < 0 ? 0 : at) < 0)
		p->st = STOPPED;
}

/* ---- search ---- */

static int matches(const char *path, const char *q)
{
	size_t n = strlen(q);
	for (const char *s = path; *s; s++)
		if (!strncasecmp(s, q, n))
			return 1;
	return 0;
}

/* The index of the k-th match (0-based), or -1. */
static int nth_match(const struct player *p, int k)
{
	for (int i = 0; i < p->l->n; i++)
		if (matches(p->l->path[i], p->query) && k-- == 0)
			return i;
	return -1;
}

static void search_key(struct player *p, int key)
{
	size_t n = strlen(p->query);
	int i;
	if (key == K_ESC) {
		p->searching = 0;
	} else if (key == K_ENTER) {
		p->searching = 0;
		if ((i = nth_match(p, p->sel)) >= 0)
			go_to(p, i);
	} else if (key == K_BACK) {
		if (n)
			p->query[n - 1] = '\0';
		p->sel = 0;
	} else if (key == K_UP) {
		p->sel -= p->sel > 0;
	} else if (key == K_DOWN) {
		p->sel += nth_match(p, p->sel + 1) >= 0;
	} else if (key >= 32 && key < 127 && n + 1 < sizeof p->query) {
		p->query[n] = (char)key;
		p->query[n + 1] = '\0';
		p->sel = 0;
	}
}

/* One key; returns 1 to quit. */
static int on_key(struct player *p, int key)
{
	if (p->searching) {
		search_key(p, key);
		return 0;
	}
	p->msg[0] = '\0';
	switch (key) {
	case 'q': case 'Q':
		return 1;
	case ' ':
		if (p->st == PLAYING) {
			p->st = PAUSED;
			ser_playback_drop(p->pb);
		} else if (p->st == PAUSED) {
			p->st = PLAYING;
			restart_clock(p);
		} else {
			go_to(p, p->cur);
		}
		break;
	case 's':
		ser_playback_drop(p->pb);
		p->st = STOPPED;
		clear_runs(p);
		open_at(p, 0);
		break;
	case 'n':
		if (p->cur + 1 < p->l->n)
			go_to(p, p->cur + 1);
		break;
	case 'p':
		go_to(p, p->cur > 0 ? p->cur - 1 : 0);
		break;
	case K_LEFT: seek(p, -SEEK_S); break;
	case K_RIGHT: seek(p, SEEK_S); break;
	case '/':
		p->searching = 1;
		p->query[0] = '\0';
		p->sel = 0;
		break;
	}
	return 0;
}

/* Reads and handles the keys pressed; waits up to ms for one. 1: quit. */
static int keys(struct player *p, int ms)
{
	struct pollfd pf = { STDIN_FILENO, POLLIN, 0 };
	unsigned char b[64];
	int n, used;
	if (poll(&pf, 1, ms) <= 0 || (n = (int)read(STDIN_FILENO, b, sizeof b)) <= 0)
		return 0;
	for (int i = 0; i < n; i += used)
		if (on_key(p, parse_key(b + i, n - i, &used)))
			return 1;
	return 0;
}

/* ---- the screen ---- */

struct screen {
	char *b;
	size_t n, cap;
	int cols, rows, lines;
};

static void sput(struct screen *sc, const char *s, size_t n)
{
	if (sc->n + n + 1 > sc->cap) {
		sc->cap = (sc->n + n + 1) * 2;
		sc->b = cli_realloc(sc->b, sc->cap);
	}
	memcpy(sc->b + sc->n, s, n);
	sc->n += n;
}

/* One line of the screen, cut to the width. */
static void sline(struct screen *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sline(struct screen *sc, const char *fmt, ...)
{
	char t[1024];
	va_list ap;
	int k;
	if (sc->lines >= sc->rows - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(t, sizeof t, fmt, ap);
	va_end(ap);
	if (k < 0)
		k = 0;
	if (k > sc->cols - 1)
		k = sc->cols > 1 ? sc->cols - 1 : 0;
	if ((size_t)k >= sizeof t)
		k = sizeof t - 1;
	sput(sc, t, (size_t)k);
	sput(sc, "\033[K\n", 4);
	sc->lines++;
}

/* The tail of s that fits in w columns ("..." in front when cut). */
static const char *tail_fit(const char *s, int w, char *buf, size_t n)
{
	size_t l = strlen(s);
	if (w < 4 || (int)l <= w)
		return s;
	snprintf(buf, n, "...%s", s + l - (size_t)(w - 3));
	return buf;
}

static void draw_decision(struct screen *sc, const struct player *p)
{
	int nc = p->m->n_classes, bar = sc->cols - 22;
	char b[512];
	if (bar > 40)
		bar = 40;
	if (!p->have) {
		sline(sc, "%s", p->st == PLAYING ? "listening... (the first decision after one window)" : "");
		return;
	}
	sline(sc, "%.2f-%.2f s  %s  %.2f  (voice %.0f%%)", p->dstart, p->dend,
	      p->d.speech ? p->m->class_names[p->d.label] : SILENCE, p->d.confidence, 100 * p->d.voiced);
	for (int i = 0; i < nc; i++) {
		float v = p->d.speech ? p->probs[i] : 0.0f;
		int k = bar > 0 ? (int)lround(v * bar) : 0;
		if (!ser_clf_kept(p->clf, i))
			continue;
		for (int j = 0; j < bar && j < (int)sizeof b - 1; j++)
			b[j] = j < k ? '#' : '.';
		b[bar > 0 ? (bar < (int)sizeof b ? bar : (int)sizeof b - 1) : 0] = '\0';
		sline(sc, "%12.12s %s%s %.2f", p->m->class_names[i], p->d.speech && i == p->d.label ? "*" : " ", b, v);
	}
}

/* "played:" and the label runs, the latest that fit on one line. */
static void draw_runs(struct screen *sc, const struct player *p)
{
	char t[1024] = "";
	size_t len = 0;
	int first = p->nruns;
	while (first > 0) {
		const struct run *r = &p->runs[first - 1];
		int need = snprintf(NULL, 0, "%.1f-%.1f %s | ", r->start, r->end, r->label);
		if ((int)len + need + 8 > sc->cols || len + (size_t)need >= sizeof t)
			break;
		len += (size_t)need;
		first--;
	}
	len = 0;
	for (int i = first; i < p->nruns; i++)
		len += (size_t)snprintf(t + len, sizeof t - len, "%s%.1f-%.1f %s", i > first ? " | " : "",
		                        p->runs[i].start, p->runs[i].end, p->runs[i].label);
	sline(sc, "played: %s%s", first > 0 ? "... " : "", t);
}

static void draw_list(struct screen *sc, const struct player *p)
{
	int room = sc->rows - sc->lines - 3, shown = 0, from;
	char b[1024];
	if (p->searching) {
		sline(sc, "search: %s_   (Enter plays, Esc leaves, up/down choose)", p->query);
		for (int k = 0, i; (i = nth_match(p, k)) >= 0 && shown < room; k++, shown++)
			sline(sc, "%s %s", k == p->sel ? ">" : " ", tail_fit(p->l->path[i], sc->cols - 4, b, sizeof b));
		if (!shown)
			sline(sc, "  (no file matches)");
		return;
	}
	sline(sc, "playlist: %d file%s", p->l->n, p->l->n == 1 ? "" : "s");
	from = p->cur - room / 2;
	if (from + room > p->l->n)
		from = p->l->n - room;
	if (from < 0)
		from = 0;
	for (int i = from; i < p->l->n && shown < room; i++, shown++)
		sline(sc, "%s%3d %s", i == p->cur ? ">" : " ", i + 1, tail_fit(p->l->path[i], sc->cols - 6, b, sizeof b));
}

static void draw(struct player *p, struct screen *sc)
{
	static const char *const names[] = { "playing", "paused", "stopped" };
	char b[1024];
	double t = (double)p->pos / p->rate;
	term_size(&sc->rows, &sc->cols);
	sc->n = 0;
	sc->lines = 0;
	sput(sc, resized ? "\033[H\033[2J" : "\033[H", resized ? 7 : 3);
	resized = 0;
	sline(sc, "ser-play  [%d/%d]  %s  %d:%04.1f", p->cur + 1, p->l->n, names[p->st], (int)(t / 60), fmod(t, 60));
	sline(sc, "%s", tail_fit(p->l->path[p->cur], sc->cols - 1, b, sizeof b));
	draw_decision(sc, p);
	draw_runs(sc, p);
	sline(sc, "%s", "");
	draw_list(sc, p);
	sline(sc, "%s", "");
	sline(sc, "%s", p->msg[0] ? p->msg : "space pause  s stop  n/p next/prev  </> seek 5 s  / search  q quit");
	sput(sc, "\033[J", 3);
	cli_write(stdout, sc->b, sc->n);
	cli_flush(stdout);
}

/* ---- setup ---- */

struct opts {
	const char *device, *model, *only;
	double window, hop;
	int smooth, novad, plain;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_ONLY = 256, O_NOVAD, O_PLAIN };
	const cli_opt opts[] = {
		{ .name = "device", .key = 'D', .type = CLI_STR, .arg = "NAME", .dest = &o->device,
		  .def = "default", .help = "ALSA playback device" },
		{ .name = "model", .key = 'm', .type = CLI_STR, .arg = "MODEL", .dest = &o->model,
		  .about = "ser-classify's lookup", .help = "model file or installed model's name" },
		{ .name = "window", .key = 'w', .type = CLI_REAL, .arg = "SEC", .lo = 1e-3, .hi = 1e6,
		  .dest = &o->window, .def = "3", .help = "decision window" },
		{ .name = "hop", .key = 'H', .type = CLI_REAL, .arg = "SEC", .lo = 1e-3, .hi = 1e6,
		  .dest = &o->hop, .def = "0.5", .help = "decision step" },
		{ .name = "smooth", .key = 's', .type = CLI_INT, .arg = "N", .lo = 1, .hi = 1000,
		  .dest = &o->smooth, .def = "1", .help = "average the last N speech decisions" },
		{ .name = "only", .key = O_ONLY, .type = CLI_STR, .arg = "LIST", .dest = &o->only,
		  .help = "decide among these classes only (as ser-classify)" },
		{ .name = "no-vad", .key = O_NOVAD, .type = CLI_FLAG, .dest = &o->novad,
		  .help = "no voice-activity decision (no \"silence\")" },
		{ .name = "plain", .key = O_PLAIN, .type = CLI_FLAG, .dest = &o->plain,
		  .help = "lines even on a terminal, no keys" },
		{ .name = NULL },
	};
	const cli_spec spec = { "ser-play", synopsis, intro, opts, outro };
	*o = (struct opts){ 0 };
	while (cli_getopt(argc, argv, &spec) != -1)
		;
	if (optind == argc)
		cli_usage_error("no FILE or DIR");
}

/* The model, classifier, front end, VAD and window stream. */
static void setup_model(struct player *p, const struct opts *o)
{
	char mbuf[4096];
	const char *path = cli_find_model(o->model, mbuf, sizeof mbuf);
	unsigned char *keep = NULL;
	ser_feat_opts fo;
	ser_vad_opts vo;
	ser_error err;
	ser_clfs_opts so = { 0, 0, o->smooth, 0.2 };
	if (!path)
		cli_die(EXIT_DATA, "no model: give -m FILE or set SER_MODEL");
	if (!(p->m = ser_model_load(path, &err)))
		cli_report(path, &err), exit(EXIT_DATA);
	if (p->m->layout == SER_LAYOUT_VECTOR || p->m->feat_shift == 0)
		cli_die(EXIT_DATA, "%s: takes one pooled vector per utterance, not frames", path);
	if (o->only) {
		keep = cli_realloc(NULL, (size_t)p->m->n_classes);
		if (ser_clf_mask(p->m, o->only, keep, &err) < 0)
			cli_usage_error("--only: %s", err.msg);
	}
	p->rate = (int)p->m->feat_rate;
	p->fps = (double)p->m->feat_rate / p->m->feat_shift;
	so.window = (int)lround(o->window * p->fps);
	so.hop = (int)lround(o->hop * p->fps);
	so.window += so.window < 1;
	so.hop += so.hop < 1;
	ser_vad_defaults(&vo);
	if (!(p->clf = ser_clf_new(p->m, &err)) || ser_feat_parse_settings(&fo, p->m->feat_settings, &err) < 0
	    || !(p->fe = ser_fe_new(&fo, &err))
	    || (!o->novad && !(p->vad = ser_vad_new(&vo, p->m->feat_settings, p->m->feat_dim, &err)))
	    || !(p->clfs = ser_clfs_new(p->clf, p->vad, &so, &err)))
		cli_die(EXIT_DATA, "%s: %s", path, err.msg);
	ser_clf_restrict(p->clf, keep);
	free(keep);
	p->probs = cli_realloc(NULL, (size_t)p->m->n_classes * sizeof *p->probs);
}

static void build_list(struct list *l, char **paths, int n, int *status)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			*status |= add_dir(l, paths[i], NULL, 0);
		else
			list_add(l, paths[i]);   /* a file that fails is reported when played */
	}
	if (l->n == 0)
		cli_die(EXIT_DATA, "no audio files (WAV, FLAC, OGG, ... by their names) in the given directories");
}

static void run(struct player *p)
{
	struct screen sc = { NULL, 0, 0, 80, 24, 0 };
	struct timespec last = { 0, 0 };
	go_to(p, 0);
	while (!cli_stop) {
		if (feed(p) < 0) {
			p->status = EXIT_DATA;
			break;
		}
		if (!p->tui) {
			if (p->st != PLAYING)
				break;
			usleep(CHUNK_MS * 1000);
			continue;
		}
		if (now_s(&last) > 0.1 || resized) {
			draw(p, &sc);
			clock_gettime(CLOCK_MONOTONIC, &last);
		}
		if (keys(p, p->st == PLAYING ? CHUNK_MS : 100)) {
			break;
		}
	}
	free(sc.b);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct list l = { NULL, 0, 0 };
	struct player *p;
	ser_error err;
	int status = 0;

	parse_opts(argc, argv, &o);
	p = cli_realloc(NULL, sizeof *p);
	memset(p, 0, sizeof *p);
	setup_model(p, &o);
	build_list(&l, argv + optind, argc - optind, &status);
	p->l = &l;
	p->status = status;
	if (!(p->pb = ser_playback_open(o.device, p->rate, LATENCY_US, &err)))
		cli_die(EXIT_DATA, "%s: %s (no sound card? aplay -L lists the devices, -D picks one)",
		        o.device, err.msg);
	p->tui = !o.plain && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	cli_catch_stop();
	{
		struct sigaction sa;   /* SIGHUP (the terminal gone) ends it as SIGTERM does */
		sigaction(SIGTERM, NULL, &sa);
		sigaction(SIGHUP, &sa, NULL);
	}
	if (p->tui)
		term_start();
	run(p);
	term_restore();
	if (!p->tui && p->st == PLAYING)
		ser_playback_drop(p->pb);
	status = p->status;
	ser_audio_close(p->a);
	ser_playback_close(p->pb);
	ser_clfs_free(p->clfs);
	ser_vad_free(p->vad);
	ser_fe_free(p->fe);
	ser_clf_free(p->clf);
	ser_model_free(p->m);
	free(p->probs);
	for (int i = 0; i < l.n; i++)
		free(l.path[i]);
	free(l.path);
	free(p);
	cli_close_stdout();
	return status;
}
