/* ser-train: labelled feature streams to a model file.
 * Options and behaviour in man/ser-train.1. */
#include <errno.h>
#include <getopt.h>  /* optind */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "classify.h"
#include "dataset.h"
#include "featio.h"
#include "labels.h"
#include "metrics.h"
#include "mfcc.h"
#include "model.h"
#include "net.h"
#include "optim.h"
#include "outfile.h"
#include "rng.h"
#include "trim.h"

static const char synopsis[] =
	"Usage: ser-train -o MODEL [OPTION]... [FEATURES]...\n";

static const char intro[] =
	"Trains a network on labelled feature streams (files, or stdin when none or -)\n"
	"and writes the best model (by validation UAR; without validation the last).\n";
static const char outro[] =
	"Same seed and same --threads give a bit-identical model file. SIGINT/SIGTERM\n"
	"stop after the current batch and save the best model so far. Exit status:\n"
	"0 ok (also after SIGINT), 1 usage error, 2 data or I/O error.\n";

enum {
	O_VAL = 256, O_EXCL, O_OPTIM, O_LR, O_WD, O_SCHED, O_PATIENCE, O_CROP, O_NORM,
	O_CW, O_LS, O_SPECAUG, O_LOG, O_TRIM, O_AUGMENT, O_MIXUP, O_WHOLE, O_IDCT, O_LOSSCLS, O_INIT, O_TRAINL, O_CKPT, O_RESUME
};

struct opts {
	const char *out, *arch, *classes, *labels, *val, *excl, *log, *init, *ckpt, *resume;
	long epochs, batch, patience, crop, threads, train_layers;
	int arch_given, trim_given;
	int crop_set;            /* --crop given */
	int out_stream;          /* -o is a device or FIFO: written once, at the end */
	int optim, sched, norm, cw, quiet, whole, losscls;
	double lr, wd, ls, trim, mixup;
	const char *specaug, *augment, *idct;
	uint64_t seed;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		cli_die(EXIT_DATA, "out of memory");
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		cli_die(EXIT_DATA, "out of memory");
	return p;
}

/* A growing text buffer for the training record. */
struct text {
	char *s;
	size_t n, cap;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;
	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (t->n + (size_t)k + 1 > t->cap) {
		size_t nc = t->cap ? t->cap : 1024;
		while (nc < t->n + (size_t)k + 1)
			nc *= 2;
		t->s = realloc(t->s, nc);
		if (!t->s)
			cli_die(EXIT_DATA, "out of memory");
		t->cap = nc;
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
	va_end(ap);
	t->n += (size_t)k;
}

static int aborted_utts;   /* utterances skipped as aborted: exit 2 at the end */

/* Reads one input into ds; exits 2 on any error. */
static void read_input(ser_dataset *ds, const char *name, const char **first)
{
	ser_error err;
	int rc;
	FILE *f = strcmp(name, "-") ? fopen(name, "rb") : stdin;
	ser_fr *r;
	if (!f)
		cli_die(EXIT_DATA, "%s: %s", name, strerror(errno));
	r = ser_fr_open(f, name, &err);
	if (!r) {
		cli_report(name, &err);
		exit(EXIT_DATA);
	}
	if (ds->settings && strcmp(ds->settings, ser_fr_info(r)->settings)) {
		char diff[1024];
		ser_feat_settings_diff(ser_fr_info(r)->settings, ds->settings, "here",
		                       "in the first input", diff, sizeof diff);
		cli_die(EXIT_DATA, "%s: feature settings differ from those of %s: %s", name, *first,
		        diff);
	}
	if (!*first)
		*first = name;
	while ((rc = ser_ds_read(ds, r, &err)) > 0) {
		cli_report(name, &err);
		aborted_utts++;
	}
	if (rc < 0) {
		cli_report(name, &err);
		exit(EXIT_DATA);
	}
	ser_fr_free(r);
	if (f != stdin)
		fclose(f);
}

struct eval {
	double loss, acc, uar;
	long n;
};

/* Validation pass over part VAL, one utterance at a time (eval mode). */
static void evaluate(const ser_dataset *ds, ser_clf *clf, int ncls, struct eval *ev)
{
	ser_confusion cm;
	ser_metrics mt;
	ser_error err;
	float *p = xcalloc((size_t)ncls, sizeof *p);
	double loss = 0;
	memset(ev, 0, sizeof *ev);
	if (ser_confusion_init(&cm, ncls, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	for (size_t i = 0; i < ds->n; i++) {
		const ser_utt *u = &ds->u[i];
		if (u->part != SER_PART_VAL)
			continue;
		if (ser_clf_run_utt(clf, u->x, u->n, p, &err) < 0) {
			cli_report(u->key, &err);
			exit(EXIT_DATA);
		}
		loss -= log(p[u->label] > 1e-12f ? p[u->label] : 1e-12);
		ser_confusion_add(&cm, u->label, ser_clf_argmax(p, ncls));
		ev->n++;
	}
	ser_metrics_compute(&cm, &mt, NULL);
	ev->loss = ev->n ? loss / ev->n : NAN;
	ev->acc = mt.accuracy;
	ev->uar = mt.uar;
	ser_confusion_free(&cm);
	free(p);
}

/* Every output checked before the inputs are read and training starts:
 * a usable name and directory, and no output that is an input (n FEATURES
 * named, none: standard input) or the other output. */
static void check_outputs(const struct opts *o, char **in, int n)
{
	static const char *const std_in[] = { "-" };
	const char *const *inputs = n ? (const char *const *)in : std_in;
	const char *outs[3] = { o->out, o->log, o->ckpt }, *opts[3] = { "-o", "--log", "--checkpoint" };
	if (cli_is_stdout(o->ckpt))
		cli_usage_error("--checkpoint: a checkpoint is a file to resume from, not standard output");
	if (cli_is_stdout(o->out) && cli_is_stdout(o->log))
		cli_usage_error("-o - and --log -: only one of them can be standard output");
	if (cli_is_stdout(o->log) && o->resume)
		cli_usage_error("--log - with --resume: the log resumed is a file");
	for (int k = 0; k < 3; k++) {
		if (!outs[k])
			continue;
		if (cli_is_stdout(outs[k])) {
			if (k == 0)
				cli_refuse_tty_out("a model", "redirect it to a file, or give -o FILE");
			cli_check_stdout_not_input(inputs, n ? n : 1);
			continue;
		}
		cli_check_output(opts[k], outs[k]);
		cli_check_not_input(opts[k], outs[k], inputs, n ? n : 1);
		if (o->labels)
			cli_check_not_input(opts[k], outs[k], &o->labels, 1);
		if (o->init)
			cli_check_not_input(opts[k], outs[k], &o->init, 1);
		if (o->resume && k < 2)
			cli_check_not_input(opts[k], outs[k], &o->resume, 1);
		for (int j = 0; j < k; j++)
			if (outs[j] && (!strcmp(outs[j], outs[k]) || ser_same_file(outs[j], outs[k])))
				cli_usage_error("%s: %s and %s name the same file", outs[k], opts[j], opts[k]);
	}
}

/* 1 if path is an existing file that is not a regular one (a device, a
 * FIFO): it holds no "best model so far", only the final one. */
static int is_stream(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static void save(ser_model *m, const char *path, struct text *rec, const char *tail)
{
	ser_error err;
	size_t n0 = rec->n;
	tprintf(rec, "%s", tail);
	m->train_record = rec->s;
	if (cli_is_stdout(path)) {
		unsigned char *buf;
		size_t len;
		if (ser_model_to_mem(m, &buf, &len, &err) < 0) {
			cli_report("standard output", &err);
			exit(EXIT_DATA);
		}
		cli_write(stdout, buf, len);
		cli_flush(stdout);
		free(buf);
	} else if (ser_model_save(m, path, &err) < 0) {
		m->train_record = NULL;
		cli_report(path, &err);
		exit(EXIT_DATA);
	}
	m->train_record = NULL;
	rec->n = n0;
	rec->s[n0] = '\0';
}

/* Per-corpus targets (--loss-classes, --class-weights corpus): which
 * classes each corpus (ser_utt.group) has, the weight of each (corpus,
 * class) pair, and the batch's class mask and sample weights made from them. */
struct corpus_targets {
	int ncls;
	unsigned char has[SER_CORPUS_COUNT][SER_CLASSES_MAX]; /* class seen in the corpus */
	float cell_w[SER_CORPUS_COUNT][SER_CLASSES_MAX];      /* (corpus, class) weight */
	int masked;            /* the loss is over each corpus's classes */
	int weighted;          /* samples weighted by cell_w */
	unsigned char *mask;   /* (batch, ncls) */
	float *w;              /* (batch) */
};

static void corpus_targets_init(struct corpus_targets *ct, const ser_dataset *ds, int ncls,
                                int losscls, int cw_corpus, long batch)
{
	long count[SER_CORPUS_COUNT][SER_CLASSES_MAX] = { { 0 } };
	long ntrain = 0, cells = 0;
	int used[SER_CORPUS_COUNT] = { 0 };
	memset(ct, 0, sizeof *ct);
	ct->ncls = ncls;
	for (size_t i = 0; i < ds->n; i++) {
		const ser_utt *u = &ds->u[i];
		ct->has[u->group][u->label] = 1;
		used[u->group] = 1;
		if (u->part == SER_PART_TRAIN) {
			cells += count[u->group][u->label]++ == 0;
			ntrain++;
		}
	}
	for (int g = 0; g < SER_CORPUS_COUNT; g++)
		for (int c = 0; c < ncls; c++) {
			ct->masked |= losscls && used[g] && !ct->has[g][c];
			ct->cell_w[g][c] = count[g][c] ? (float)((double)ntrain / ((double)cells * count[g][c]))
			                               : 0.0f;
		}
	ct->weighted = cw_corpus;
	ct->mask = xcalloc((size_t)batch * ncls, 1);
	ct->w = xcalloc((size_t)batch, sizeof *ct->w);
}

/* The mask rows and weights of batch idx[0..B); with mixup (perm) a row
 * allows the classes of both samples' corpora. */
static void corpus_targets_fill(struct corpus_targets *ct, const ser_dataset *ds, const int *idx,
                                const int *perm, int B)
{
	for (int b = 0; b < B; b++) {
		const ser_utt *u = &ds->u[idx[b]];
		const ser_utt *v = perm ? &ds->u[idx[perm[b]]] : u;
		for (int c = 0; c < ct->ncls; c++)
			ct->mask[(size_t)b * ct->ncls + c] = ct->has[u->group][c] | ct->has[v->group][c];
		ct->w[b] = ct->cell_w[u->group][u->label];
	}
}

/* A corpus of one class teaches nothing when the loss is over its classes. */
static void corpus_targets_warn(const struct corpus_targets *ct)
{
	for (int g = 0; ct->masked && g < SER_CORPUS_COUNT; g++) {
		int k = 0;
		for (int c = 0; c < ct->ncls; c++)
			k += ct->has[g][c];
		if (k == 1)
			cli_warn("corpus %s has utterances of one class only: with --loss-classes corpus "
			         "they teach nothing (use --loss-classes all, or label more classes)",
			         ser_corpus_name(g));
	}
}

/* The corpora and their classes, for the training record. */
static void corpus_targets_record(const struct corpus_targets *ct, const ser_classes *cls,
                                  struct text *rec)
{
	if (!ct->masked)
		return;
	tprintf(rec, "loss classes: per corpus:");
	for (int g = 0; g < SER_CORPUS_COUNT; g++) {
		const char *sep = "=";
		int any = 0;
		for (int c = 0; c < ct->ncls; c++)
			any |= ct->has[g][c];
		if (!any)
			continue;
		tprintf(rec, " %s", ser_corpus_name(g));
		for (int c = 0; c < ct->ncls; c++)
			if (ct->has[g][c]) {
				tprintf(rec, "%s%s", sep, cls->name[c]);
				sep = ",";
			}
	}
	tprintf(rec, "\n");
}

/* --init: the model to fine-tune. Options the model fixes are refused;
 * those it sets are taken from it. */
static ser_model *load_init(struct opts *o)
{
	ser_error err;
	ser_model *m = ser_model_load(o->init, &err);
	if (!m) {
		cli_report(o->init, &err);
		exit(EXIT_DATA);
	}
	if (o->arch_given || o->norm >= 0 || o->idct || o->trim_given || o->whole)
		cli_usage_error("--init: --arch, --norm, --idct, --trim-db and --whole-utterance come "
		                "from the model %s", o->init);
	o->norm = m->norm_mode == SER_NORM_NONE ? 0 : m->norm_mode == SER_NORM_UTT_MEAN ? 1 : 2;
	o->idct = m->input_idct ? "on" : "off";
	o->trim = m->trim_db;
	o->whole = m->utt_window == 0;
	if (!o->crop_set && m->utt_window > 0)
		o->crop = m->utt_window;
	if (o->train_layers > ser_net_param_layers(m->net))
		cli_usage_error("--train-layers: %ld, but %s has %d layers with parameters",
		                o->train_layers, o->init, ser_net_param_layers(m->net));
	return m;
}

/* The checksum a model file ends with (its last 8 bytes, little-endian). */
static unsigned long long file_checksum(const char *path)
{
	unsigned char b[8];
	unsigned long long v = 0;
	FILE *f = fopen(path, "rb");
	if (f && fseek(f, -8, SEEK_END) == 0 && fread(b, 1, 8, f) == 8)
		for (int i = 7; i >= 0; i--)
			v = v << 8 | b[i];
	if (f)
		fclose(f);
	return v;
}

/* The model's classes mapped into the new set: map[c] = class of init
 * with the name of class c, or -1. */
static int *init_class_map(const ser_model *init, const ser_classes *cls)
{
	int *map = xcalloc((size_t)cls->n, sizeof *map);
	for (int c = 0; c < cls->n; c++) {
		map[c] = -1;
		for (int k = 0; k < init->n_classes; k++)
			if (!strcmp(init->class_names[k], cls->name[c]))
				map[c] = k;
	}
	return map;
}

/* 1 if name is an element of the comma-separated list. */
static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strcspn(p, ",") == n && !strncmp(p, name, n))
			return 1;
		if (!p[strcspn(p, ",")])
			break;
	}
	return 0;
}

/* A speaker of --val-speakers or --exclude-speakers that no input has: a
 * usage error (a typo would train on the speakers meant to be held out),
 * with a speaker of the same corpus as an example of the names. */
static _Noreturn void unknown_speaker(const ser_dataset *ds, const struct opts *o, const char *unk)
{
	const char *opt = in_list(o->val, unk) ? "--val-speakers" : "--exclude-speakers";
	const char *like = ds->nspk ? ds->spk[0] : NULL;
	size_t pre = strcspn(unk, "-");
	for (int i = 0; i < ds->nspk; i++)
		if (!strncmp(ds->spk[i], unk, pre) && ds->spk[i][pre] == '-') {
			like = ds->spk[i];
			break;
		}
	if (like)
		cli_usage_error("%s: speaker %s: no input has it (speakers are named like %s)", opt, unk, like);
	cli_usage_error("%s: speaker %s: no input has it (the inputs name no speaker)", opt, unk);
}

/* 1 if a is "--resume=FILE", 2 if it is "--resume" followed by FILE,
 * else 0 (long options are never abbreviated). */
static int resume_arg(const char *a)
{
	return !strncmp(a, "--resume=", 9) ? 1 : !strcmp(a, "--resume") ? 2 : 0;
}

/* The state a checkpoint holds, as ser-train keeps it. */
struct run {
	ser_net *net;
	ser_optim *opt;
	ser_rng *rng;
	int *order;
	long ntrain, *step, *epoch, *best_epoch;
	double *best_uar;
	struct eval *best_ev;
	float *best;
	uint64_t id;
};

static void checkpoint_save(const struct run *r, const char *path)
{
	ser_error err;
	ser_ckpt c;
	memset(&c, 0, sizeof c);
	c.run = r->id;
	c.epoch = *r->epoch;
	c.step = *r->step;
	memcpy(c.rng, r->rng->s, sizeof c.rng);
	c.best_epoch = *r->best_epoch;
	c.best_uar = *r->best_uar;
	c.best_acc = r->best_ev->acc;
	c.best_loss = r->best_ev->loss;
	c.n_order = (uint64_t)r->ntrain;
	c.order = (int32_t *)r->order;
	c.nparams = ser_net_nparams(r->net);
	c.params = ser_net_params(r->net);
	c.best = r->best;
	c.nstate = ser_optim_nstate(r->opt);
	c.opt = ser_optim_state(r->opt);
	c.opt_steps = ser_optim_steps(r->opt);
	ser_out *o = ser_out_open(path, &err);
	if (!o || ser_ckpt_write(&c, ser_out_file(o), &err) < 0 || ser_out_commit(o, &err) < 0) {
		if (o && err.code != SER_EIO)
			ser_out_abort(o);
		cli_die(EXIT_DATA, "%s: %s", path, err.msg);
	}
}

/* Restores the state of a checkpoint of this very run. */
static void checkpoint_load(struct run *r, const char *path)
{
	ser_error err;
	ser_ckpt c;
	FILE *f = fopen(path, "rb");
	if (!f)
		cli_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	if (ser_ckpt_read(&c, f, path, &err) < 0) {
		fclose(f);
		cli_die(EXIT_DATA, "%s", err.msg);
	}
	fclose(f);
	if (c.run != r->id || c.n_order != (uint64_t)r->ntrain ||
	    c.nparams != ser_net_nparams(r->net) || c.nstate != ser_optim_nstate(r->opt))
		cli_die(EXIT_DATA, "%s: a checkpoint of another run (command line, data or settings "
		        "differ); run the command that wrote it, with --resume added", path);
	for (uint64_t i = 0; i < c.n_order; i++)
		if (c.order[i] < 0 || c.order[i] >= INT32_MAX)
			cli_die(EXIT_DATA, "%s: damaged utterance order", path);
	memcpy(r->order, c.order, c.n_order * sizeof *r->order);
	memcpy(ser_net_params(r->net), c.params, c.nparams * sizeof *c.params);
	memcpy(r->best, c.best, c.nparams * sizeof *c.best);
	memcpy(ser_optim_state(r->opt), c.opt, c.nstate * sizeof *c.opt);
	ser_optim_set_steps(r->opt, (long)c.opt_steps);
	memcpy(r->rng->s, c.rng, sizeof c.rng);
	*r->epoch = (long)c.epoch;
	*r->step = (long)c.step;
	*r->best_epoch = (long)c.best_epoch;
	*r->best_uar = c.best_uar;
	r->best_ev->acc = c.best_acc;
	r->best_ev->loss = c.best_loss;
	r->best_ev->uar = c.best_epoch ? c.best_uar : NAN;
	ser_ckpt_free(&c);
}

/* The log of a resumed run: its lines up to the checkpoint's epoch kept. */
static FILE *log_resume(const char *path, long epoch)
{
	FILE *f = fopen(path, "r+");
	char line[512];
	long keep = 0, lines = 0;
	if (!f)
		return fopen(path, "w");
	while (fgets(line, sizeof line, f)) {
		char *e;
		long ep = strtol(line, &e, 10);
		if (lines++ > 0 && (e == line || ep > epoch))
			break;
		keep = ftell(f);
	}
	if (fflush(f) != 0 || ftruncate(fileno(f), keep) != 0 || fseek(f, keep, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	return f;
}

static const char *const optims[] = { "sgd", "rmsprop", "adam", "adamw", NULL };
static const char *const scheds[] = { "constant", "cosine", NULL };
static const char *const norms[] = { "none", "utt", "global", NULL };
static const char *const cws[] = { "none", "balanced", "corpus", NULL };
static const char *const losscls[] = { "all", "corpus", NULL };

/* The options of argv into o: the table's defaults, -1 for those chosen
 * after the architecture (epochs, optimiser, ...); optind is the first input. */
static void parse_options(struct opts *o, int argc, char **argv)
{
	long seed;
	int ch;
	const cli_opt opts[] = {
		{ .name = "output", .key = 'o', .type = CLI_STR, .arg = "FILE", .dest = &o->out,
		  .help = "model file to write atomically (required); - is standard output (not a terminal), "
		          "written once at the end" },
		{ .name = "arch", .key = 'a', .type = CLI_STR, .arg = "NAME|SPEC", .dest = &o->arch,
		  .def = "default", .help = "seed, default (= cnn), cnn, cnn2d, cnn2d-wide (2D CNNs over log "
		          "mel energies, see --idct), or a layer spec string" },
		{ .name = "classes", .key = 'C', .type = CLI_STR, .arg = "LIST", .dest = &o->classes,
		  .about = "neutral,calm,happy,sad,angry,fearful,disgust,surprised; with --init the model's",
		  .help = "comma-separated class set and order" },
		{ .name = "init", .key = O_INIT, .type = CLI_STR, .arg = "MODEL", .dest = &o->init,
		  .help = "fine-tune MODEL: its architecture, feature settings, input normalisation and "
		          "parameters to start from (a new output layer for classes it lacks); the features "
		          "must match its settings" },
		{ .name = "train-layers", .key = O_TRAINL, .type = CLI_LONG, .arg = "N", .lo = 1, .hi = 1000,
		  .dest = &o->train_layers, .about = "all",
		  .help = "with --init, train only the last N layers that have parameters" },
		{ .name = "labels", .key = 'L', .type = CLI_STR, .arg = "FILE", .dest = &o->labels,
		  .about = "labels and speakers from RAVDESS/TESS/EmoDB/nEMO/ASED file names",
		  .help = "TSV map key<TAB>label[<TAB>speaker]" },
		{ .name = "val-speakers", .key = O_VAL, .type = CLI_STR, .arg = "LIST", .dest = &o->val,
		  .about = "none", .help = "comma-separated speakers held out for validation (e.g. "
		          "ravdess-17,ravdess-18); a speaker no input has is a usage error" },
		{ .name = "exclude-speakers", .key = O_EXCL, .type = CLI_STR, .arg = "LIST", .dest = &o->excl,
		  .about = "none", .help = "speakers dropped entirely; a speaker no input has is a usage error" },
		{ .name = "epochs", .key = 'E', .type = CLI_LONG, .arg = "N", .lo = 1, .hi = 1000000,
		  .dest = &o->epochs, .about = "1000 for seed, 15 with --init, else 60", .help = "epochs" },
		{ .name = "batch", .key = 'b', .type = CLI_LONG, .arg = "N", .lo = 1, .hi = 4096,
		  .dest = &o->batch, .def = "32", .help = "utterances per step" },
		{ .name = "optim", .key = O_OPTIM, .type = CLI_CHOICE, .arg = "NAME", .choices = optims,
		  .dest = &o->optim, .about = "rmsprop for seed, else adamw", .help = "optimiser" },
		{ .name = "lr", .key = O_LR, .type = CLI_REAL, .arg = "X", .lo = 0, .hi = 10, .dest = &o->lr,
		  .about = "0.0003 with --init, else 0.001", .help = "learning rate" },
		{ .name = "weight-decay", .key = O_WD, .type = CLI_REAL, .arg = "X", .lo = 0, .hi = 1,
		  .dest = &o->wd, .about = "0.004", .help = "AdamW decoupled decay" },
		{ .name = "schedule", .key = O_SCHED, .type = CLI_CHOICE, .arg = "NAME", .choices = scheds,
		  .dest = &o->sched, .about = "constant for seed, else cosine",
		  .help = "cosine: 1 epoch warm-up, then to 0 at the last epoch" },
		{ .name = "patience", .key = O_PATIENCE, .type = CLI_LONG, .arg = "N", .lo = 0, .hi = 1000000,
		  .dest = &o->patience, .about = "0 for seed, else 20",
		  .help = "stop after N epochs without a better validation UAR; 0 = never" },
		{ .name = "crop", .key = O_CROP, .type = CLI_LONG, .arg = "N", .lo = 1, .hi = 100000,
		  .dest = &o->crop, .def = "200", .help = "frames per training crop (frame features only)" },
		{ .name = "trim-db", .key = O_TRIM, .type = CLI_REAL, .arg = "X", .lo = 0, .hi = SER_TRIM_DB_MAX,
		  .dest = &o->trim, .def = "0",
		  .help = "drop each utterance's leading and trailing frames more than X dB below its "
		          "loudest frame (voice-activity trimming, also applied by ser-classify); frame "
		          "features with their energy only; 0 = off" },
		{ .name = "norm", .key = O_NORM, .type = CLI_CHOICE, .arg = "NAME", .choices = norms,
		  .dest = &o->norm, .about = "none for pooled features, else utt",
		  .help = "input normalisation: utt = utterance mean removed then divided by the training "
		          "std, global = training mean and std" },
		{ .name = "class-weights", .key = O_CW, .type = CLI_CHOICE, .arg = "NAME", .choices = cws,
		  .dest = &o->cw, .about = "none for seed, else balanced",
		  .help = "balanced = classes weigh alike; corpus = every (corpus, class) pair weighs alike" },
		{ .name = "loss-classes", .key = O_LOSSCLS, .type = CLI_CHOICE, .arg = "NAME",
		  .choices = losscls, .dest = &o->losscls, .def = "corpus",
		  .help = "the loss of an utterance over all classes, or over those its corpus has (by file "
		          "name), so a corpus without calm teaches nothing about calm" },
		{ .name = "label-smoothing", .key = O_LS, .type = CLI_REAL, .arg = "X", .lo = 0, .hi = 0.99,
		  .dest = &o->ls, .about = "0 for seed, else 0.1", .help = "label smoothing" },
		{ .name = "specaug", .key = O_SPECAUG, .type = CLI_STR, .arg = "SPEC", .dest = &o->specaug,
		  .about = "none for seed and pooled features, else 20:2:6:2",
		  .help = "TW:TN:FW:FN time/frequency masks (up to TW frames, TN masks; up to FW "
		          "coefficients, FN masks) or none" },
		{ .name = "augment", .key = O_AUGMENT, .type = CLI_STR, .arg = "SPEC", .dest = &o->augment,
		  .about = "none", .help = "change training crops as if their audio had been changed: "
		          "comma-separated noise:P:LO:HI (white or pink noise at an SNR from LO to HI dB), "
		          "band:P (through an 8000 or 11025 Hz chain), gain:P:DB (down by up to DB dB over a "
		          "16-bit floor), warp:P:A (frequency stretch by 1-A..1+A, vocal tract length), "
		          "reverb:P:LO:HI (a room with T60 LO..HI s); P = probability per crop; or none" },
		{ .name = "idct", .key = O_IDCT, .type = CLI_STR, .arg = "auto|on|off", .dest = &o->idct,
		  .about = "auto", .help = "the model takes cepstra (dct ortho, n-ceps = n-mels) back to log "
		          "mel energies before its normalisation; auto: on for a 2D network (conv2d) on such "
		          "cepstra" },
		{ .name = "whole-utterance", .key = O_WHOLE, .type = CLI_FLAG, .dest = &o->whole,
		  .help = "the model classifies an utterance in one pass (default: as the mean over windows "
		          "of --crop frames every crop/4, as it was trained; also for validation)" },
		{ .name = "mixup", .key = O_MIXUP, .type = CLI_REAL, .arg = "ALPHA", .lo = 0, .hi = 100,
		  .dest = &o->mixup, .def = "0", .help = "mixup of batch pairs, weight drawn from "
		          "Beta(ALPHA, ALPHA) per batch; 0 = off" },
		{ .name = "seed", .key = 'S', .type = CLI_LONG, .arg = "N", .lo = 0, .hi = 9.3e18,
		  .dest = &seed, .def = "1", .help = "random seed, up to 2^63-1" },
		{ .name = "threads", .key = 'j', .type = CLI_LONG, .arg = "N", .lo = 1, .hi = SER_NET_THREADS_MAX,
		  .dest = &o->threads, .about = "number of cores, at most 8", .help = "worker threads" },
		{ .name = "checkpoint", .key = O_CKPT, .type = CLI_STR, .arg = "FILE", .dest = &o->ckpt,
		  .help = "write the training state after every epoch (atomically)" },
		{ .name = "resume", .key = O_RESUME, .type = CLI_STR, .arg = "FILE", .dest = &o->resume,
		  .help = "continue the run whose checkpoint FILE is (the same command with --resume "
		          "added): the same model, byte for byte, as a run never interrupted" },
		{ .name = "log", .key = O_LOG, .type = CLI_STR, .arg = "FILE", .dest = &o->log, .about = "none",
		  .help = "per-epoch TSV: epoch train_loss train_acc val_loss val_acc val_uar lr seconds" },
		{ .name = "quiet", .key = 'q', .type = CLI_FLAG, .dest = &o->quiet, .help = "no progress on stderr" },
		{ .name = NULL },
	};
	const cli_spec cspec = { "ser-train", synopsis, intro, opts, outro };

	memset(o, 0, sizeof *o);
	o->epochs = o->patience = o->threads = -1;
	o->optim = o->sched = o->norm = o->cw = -1;
	o->lr = -1;
	o->wd = -1;
	o->ls = -1;
	while ((ch = cli_getopt(argc, argv, &cspec)) != -1) {
		switch (ch) {
		case 'a': o->arch_given = 1; break;
		case O_CROP: o->crop_set = 1; break;
		case O_TRIM: o->trim_given = 1; break;
		}
	}
	o->seed = (uint64_t)seed;
}

int main(int argc, char **argv)
{
	struct opts o;
	ser_error err;
	ser_dataset ds;
	ser_classes cls;
	ser_labelmap *map = NULL;
	const char *first = NULL, *spec;
	int seed_arch, ncls, layout;
	long cores;
	parse_options(&o, argc, argv);
	if (!o.out)
		cli_usage_error("no output model given (-o FILE)");
	if (o.train_layers && !o.init)
		cli_usage_error("--train-layers needs --init (a model to fine-tune)");
	check_outputs(&o, argv + optind, argc - optind);
	o.out_stream = cli_is_stdout(o.out) || is_stream(o.out);
	if (o.patience > 0 && !o.val)
		cli_usage_error("--patience needs --val-speakers (it counts epochs without a better "
		                "validation UAR)");

	/* the architecture and its defaults */
	ser_model *init = o.init ? load_init(&o) : NULL;
	seed_arch = !strcmp(o.arch, "seed");
	if (init)
		spec = ser_net_arch(init->net);
	else if (!strcmp(o.arch, "default"))
		spec = ser_net_arch_preset("cnn");
	else if ((spec = ser_net_arch_preset(o.arch)) == NULL) {
		if (!strchr(o.arch, ':') && !strchr(o.arch, ' '))
			cli_usage_error("--arch: '%s' is not seed, default, cnn, cnn2d, cnn2d-wide or a layer spec",
			                o.arch);
		spec = o.arch;
	}
	if (o.epochs < 0)
		o.epochs = seed_arch ? 1000 : init ? 15 : 60;
	if (o.lr < 0)
		o.lr = init ? 3e-4 : 1e-3;
	if (o.patience < 0)
		o.patience = seed_arch ? 0 : 20;
	if (o.optim < 0)
		o.optim = seed_arch ? SER_OPT_RMSPROP : SER_OPT_ADAMW;
	if (o.sched < 0)
		o.sched = seed_arch ? SER_LR_CONSTANT : SER_LR_COSINE;
	if (o.cw < 0)
		o.cw = seed_arch ? 0 : 1;
	if (o.ls < 0)
		o.ls = seed_arch ? 0 : 0.1;
	if (o.wd >= 0 && o.optim != SER_OPT_ADAMW)
		cli_usage_error("--weight-decay applies to --optim adamw only (this run: %s)",
		                optims[o.optim]);
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (o.threads < 0)
		o.threads = cores < 1 ? 1 : cores > 8 ? 8 : cores;

	/* class set and labels */
	if (o.classes) {
		if (ser_classes_parse(&cls, o.classes, &err) < 0)
			cli_usage_error("--classes: %s", err.msg);
	} else if (init) {
		cls.n = 0;
		for (int k = 0; k < init->n_classes; k++)
			if (ser_classes_add(&cls, init->class_names[k], &err) < 0)
				cli_die(EXIT_DATA, "%s: class '%s': %s", o.init, init->class_names[k], err.msg);
	} else {
		ser_classes_default(&cls);
	}
	ncls = cls.n;
	if (ncls < 2)
		cli_usage_error("--classes: at least two classes are needed");
	if (o.labels && !(map = ser_labelmap_load(o.labels, &err))) {
		cli_report(o.labels, &err);
		return EXIT_DATA;
	}

	/* features */
	ser_ds_init(&ds);
	if (optind == argc)
		read_input(&ds, "-", &first);
	for (int i = optind; i < argc; i++)
		read_input(&ds, argv[i], &first);

	if (init && strcmp(ds.settings, init->feat_settings)) {
		char diff[1024];
		ser_feat_settings_diff(ds.settings, init->feat_settings, "here", "in the model", diff,
		                       sizeof diff);
		cli_die(EXIT_DATA, "%s: feature settings differ from those %s was trained on: %s; make "
		        "the features with the model's settings (ser-classify -m %s --info shows them)",
		        first, o.init, diff, o.init);
	}

	/* labels and speakers */
	long nolabel = 0, unknown = 0, empty = 0;
	const char *first_skip = NULL;
	char first_skip_buf[128] = "";
	for (size_t i = 0; i < ds.n; i++) {
		ser_utt *u = &ds.u[i];
		ser_label_info li;
		int c;
		if (!ser_label_resolve(map, u->key, &li)) {
			nolabel++;
		} else if ((c = ser_classes_index(&cls, li.emotion)) < 0) {
			unknown++;
		} else if (u->n < 1) {
			empty++;
		} else {
			u->label = c;
			u->group = li.corpus;
			if (li.speaker[0] && (u->speaker = ser_ds_speaker(&ds, li.speaker, &err)) < 0)
				cli_die(EXIT_DATA, "%s", err.msg);
			continue;
		}
		if (!first_skip) {
			snprintf(first_skip_buf, sizeof first_skip_buf, "%s", u->key);
			first_skip = first_skip_buf;
		}
	}
	if (nolabel + unknown + empty)
		cli_warn("skipped %ld utterances: %ld without a label, %ld with a label not in the "
		         "class set, %ld without frames (first: %s)",
		         nolabel + unknown + empty, nolabel, unknown, empty, first_skip);
	ser_ds_compact(&ds);
	{
		char unk[SER_SPEAKER_MAX];
		if (ser_ds_split(&ds, o.val, o.excl, unk, sizeof unk, &err) < 0)
			cli_usage_error("%s", err.msg);
		if (unk[0])
			unknown_speaker(&ds, &o, unk);
	}
	long *ntr = xcalloc((size_t)ncls, sizeof *ntr), *nva = xcalloc((size_t)ncls, sizeof *nva);
	long ntrain = 0, nval = 0, nexcl = 0;
	ser_ds_class_counts(&ds, SER_PART_TRAIN, ncls, ntr);
	ser_ds_class_counts(&ds, SER_PART_VAL, ncls, nva);
	for (size_t i = 0; i < ds.n; i++) {
		ntrain += ds.u[i].part == SER_PART_TRAIN;
		nval += ds.u[i].part == SER_PART_VAL;
		nexcl += ds.u[i].part == SER_PART_EXCLUDED;
	}
	if (ntrain == 0)
		cli_die(EXIT_DATA, "no labelled training utterances (%zu read in all)",
		        ds.n + (size_t)(nolabel + unknown + empty));

	/* network and model */
	layout = ds.shift == 0 ? SER_LAYOUT_VECTOR : SER_LAYOUT_FRAMES;
	if (seed_arch && (layout != SER_LAYOUT_VECTOR || ds.dim != 40))
		cli_die(EXIT_DATA, "%s: --arch seed takes one 40-value vector per utterance, these "
		        "features are %s with %u values; use ser-mfcc --preset librosa --pool mean",
		        first, layout == SER_LAYOUT_VECTOR ? "pooled" : "frames", ds.dim);
	/* the inverse DCT inside the model: cepstra in, log mel energies to the net */
	int idct = 0, is_cep = 0;
	{
		ser_feat_opts fo;
		ser_error e2;
		int inv = ser_feat_parse_settings(&fo, ds.settings, &e2) == 0 &&
		          ser_feat_invertible(&fo, &e2) == 0;
		is_cep = inv && fo.dct == SER_DCT_ORTHO;
		if (!o.idct || !strcmp(o.idct, "auto"))
			idct = is_cep && layout == SER_LAYOUT_FRAMES && strstr(spec, "conv2d") != NULL;
		else if (!strcmp(o.idct, "on"))
			idct = 1;
		else if (strcmp(o.idct, "off"))
			cli_usage_error("--idct: '%s' is not auto, on or off", o.idct);
		if (idct && (!is_cep || layout != SER_LAYOUT_FRAMES))
			cli_die(EXIT_DATA, "%s: --idct on needs frames of orthonormal cepstra with n-ceps "
			        "= n-mels%s%s", first, inv || layout != SER_LAYOUT_FRAMES ? "" : ": ",
			        inv || layout != SER_LAYOUT_FRAMES ? "" : e2.msg);
		if (strstr(spec, "conv2d") && !idct && fo.dct != SER_DCT_NONE)
			cli_warn("%s: a 2D network reads each frame's values as rows of an image; these "
			         "are cepstra: use --idct on (needs n-ceps = n-mels) or log mel frames "
			         "(ser-mfcc --dct none)", first);
	}
	if (o.norm < 0)
		o.norm = layout == SER_LAYOUT_VECTOR ? SER_NORM_NONE : SER_NORM_UTT_MEAN;
	else
		o.norm = o.norm == 0 ? SER_NORM_NONE : o.norm == 1 ? SER_NORM_UTT_MEAN : SER_NORM_GLOBAL;
	if (o.norm == SER_NORM_UTT_MEAN && layout == SER_LAYOUT_VECTOR)
		cli_usage_error("--norm utt needs frame features (these are pooled)");
	ser_specaug sa;
	if (ser_specaug_parse(&sa, o.specaug ? o.specaug
	                      : (seed_arch || layout == SER_LAYOUT_VECTOR) ? "none" : "20:2:6:2",
	                      &err) < 0)
		cli_usage_error("--specaug: %s", err.msg);
	if (layout == SER_LAYOUT_VECTOR && (sa.tn || sa.fn))
		cli_usage_error("--specaug needs frame features (these are pooled)");
	if (layout == SER_LAYOUT_VECTOR && o.trim > 0)
		cli_usage_error("--trim-db needs frame features (these are pooled)");
	if (layout == SER_LAYOUT_VECTOR && (o.crop_set || o.whole))
		cli_usage_error("%s needs frame features (these are pooled)",
		                o.crop_set ? "--crop" : "--whole-utterance");
	ser_aug_opts ao;
	ser_aug *aug = NULL;
	char augtext[160];
	if (ser_aug_parse(&ao, o.augment ? o.augment : "none", &err) < 0)
		cli_usage_error("--augment: %s", err.msg);
	ser_aug_text(&ao, augtext, sizeof augtext);
	if (ser_aug_on(&ao)) {
		if (layout == SER_LAYOUT_VECTOR)
			cli_usage_error("--augment needs frame features (these are pooled)");
		if (!(aug = ser_aug_new(ds.settings, &ao, &err)))
			cli_die(EXIT_DATA, "%s: --augment: %s", first, err.msg);
	}

	ser_model m;
	memset(&m, 0, sizeof m);
	m.layout = layout;
	m.net = ser_net_new(spec, layout == SER_LAYOUT_VECTOR ? 1 : (int)ds.dim,
	                    layout == SER_LAYOUT_VECTOR ? (int)ds.dim : 0, ncls, &err);
	if (!m.net)
		cli_die(EXIT_USAGE, "--arch: %s", err.msg);
	if (layout == SER_LAYOUT_FRAMES && o.crop < ser_net_min_length(m.net))
		cli_usage_error("--crop: %ld is shorter than the network's minimum of %d frames",
		                o.crop, ser_net_min_length(m.net));
	/* trimming before the normalisation statistics and the crops */
	long trimmed = 0;
	if (ser_ds_trim(&ds, o.trim, ser_net_min_length(m.net), &trimmed, &err) < 0)
		cli_die(EXIT_DATA, "%s: --trim-db: %s", first, err.msg);
	m.trim_db = (float)o.trim;
	if (layout == SER_LAYOUT_FRAMES && !o.whole) {
		m.utt_window = (int)o.crop;
		m.utt_hop = o.crop / 4 > 0 ? (int)(o.crop / 4) : 1;
	}
	if (init) {  /* the model classifies as before */
		m.utt_window = init->utt_window;
		m.utt_hop = init->utt_hop;
	}
	ser_net_init(m.net, o.seed, SER_INIT_GLOROT);
	if (init) {
		int *cmap = init_class_map(init, &cls);
		if (ser_net_transfer(m.net, init->net, cmap, &err) < 0)
			cli_die(EXIT_DATA, "%s: %s", o.init, err.msg);
		free(cmap);
	}
	if (ser_net_set_threads(m.net, (int)o.threads, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	m.n_classes = ncls;
	m.class_names = xcalloc((size_t)ncls, sizeof *m.class_names);
	for (int c = 0; c < ncls; c++)
		m.class_names[c] = xstrdup(cls.name[c]);
	m.feat_dim = ds.dim;
	if (ser_model_set_idct(&m, idct, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	m.feat_rate = ds.rate;
	m.feat_shift = ds.shift;
	m.feat_length = ds.length;
	m.feat_fingerprint = ds.fingerprint;
	m.feat_settings = xstrdup(ds.settings);
	m.norm_mode = o.norm;
	if (o.norm != SER_NORM_NONE) {
		m.norm_mean = xcalloc(ds.dim, sizeof *m.norm_mean);
		m.norm_std = xcalloc(ds.dim, sizeof *m.norm_std);
		if (init) {
			memcpy(m.norm_mean, init->norm_mean, ds.dim * sizeof *m.norm_mean);
			memcpy(m.norm_std, init->norm_std, ds.dim * sizeof *m.norm_std);
		} else if (ser_ds_norm_stats(&ds, SER_PART_TRAIN, o.norm, m.idct, m.norm_mean, m.norm_std,
		                      &err) < 0)
			cli_die(EXIT_DATA, "%s", err.msg);
	}

	/* class weights: balanced = ntrain / (classes present * count) */
	float *cw = NULL;
	if (o.cw == 1) {
		int present = 0;
		cw = xcalloc((size_t)ncls, sizeof *cw);
		for (int c = 0; c < ncls; c++)
			present += ntr[c] > 0;
		for (int c = 0; c < ncls; c++)
			cw[c] = ntr[c] ? (float)((double)ntrain / ((double)present * ntr[c])) : 1.0f;
	}

	/* optimiser and schedule */
	ser_optim_opts oo;
	ser_optim_defaults(&oo, o.optim);
	oo.lr = (float)o.lr;
	if (o.wd >= 0)
		oo.weight_decay = (float)o.wd;
	size_t ntrainable = ser_net_ntrainable(m.net), nparams = ser_net_nparams(m.net);
	/* --train-layers: only the tail [p0, ntrainable) of the block trains */
	size_t p0 = init && o.train_layers ? ser_net_tail_offset(m.net, (int)o.train_layers) : 0;
	ser_net_freeze(m.net, p0);
	ser_optim *opt = ser_optim_new(&oo, ntrainable - p0, &err);
	if (!opt)
		cli_die(EXIT_DATA, "%s", err.msg);
	long steps_per_epoch = (ntrain + o.batch - 1) / o.batch;
	ser_lr_sched ls;
	memset(&ls, 0, sizeof ls);
	ls.kind = o.sched;
	ls.lr = (float)o.lr;
	ls.total = steps_per_epoch * o.epochs;
	ls.warmup = o.sched == SER_LR_COSINE ? steps_per_epoch : 0;
	ls.gamma = 0.1f;

	/* the training record: everything but the outcome */
	struct text rec = { 0 };
	tprintf(&rec, "command:");
	for (int i = 0; i < argc; i++) {
		const char *a = i ? argv[i] : (strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
		int k = i ? resume_arg(a) : 0;
		if (k) {   /* the record is that of the run resumed */
			i += k - 1;
			continue;
		}
		tprintf(&rec, strpbrk(a, " \t'\"") ? " '%s'" : " %s", a);
	}
	tprintf(&rec, "\nseed: %llu\nthreads: %ld\narch: %s\n", (unsigned long long)o.seed,
	        o.threads, spec);
	if (init)
		tprintf(&rec, "init: %s (checksum %016llx), training %s\n", o.init,
		        file_checksum(o.init), o.train_layers ? "its last layers" : "all layers");
	if (init && o.train_layers)
		tprintf(&rec, "trained layers: the last %ld with parameters (%zu of %zu parameters)\n",
		        o.train_layers, ntrainable - p0, ntrainable);
	tprintf(&rec, "optimiser: %s lr %g schedule %s batch %ld epochs %ld patience %ld\n",
	        optims[o.optim], o.lr, scheds[o.sched], o.batch, o.epochs, o.patience);
	tprintf(&rec, "input: %s%s, trim %g dB, norm %s, crop %ld, augment %s, specaug %d:%d:%d:%d, "
	        "mixup %g, label smoothing %g, class weights %s\n",
	        layout == SER_LAYOUT_VECTOR ? "pooled vector" : "frames",
	        idct ? " (inverse DCT to log mel)" : "", o.trim,
	        norms[o.norm == SER_NORM_NONE ? 0 : o.norm == SER_NORM_UTT_MEAN ? 1 : 2],
	        layout == SER_LAYOUT_FRAMES ? o.crop : 0, augtext, sa.tw, sa.tn, sa.fw, sa.fn,
	        o.mixup, o.ls, cws[o.cw]);
	struct corpus_targets ct;
	corpus_targets_init(&ct, &ds, ncls, o.losscls, o.cw == 2, o.batch);
	corpus_targets_record(&ct, &cls, &rec);
	corpus_targets_warn(&ct);
	tprintf(&rec, "data: %ld train, %ld validation, %ld excluded, %ld skipped\n", ntrain, nval,
	        nexcl, nolabel + unknown + empty);
	tprintf(&rec, "classes (train/validation):");
	for (int c = 0; c < ncls; c++)
		tprintf(&rec, " %s=%ld/%ld", cls.name[c], ntr[c], nva[c]);
	for (int part = 0; part < 3; part++) {
		static const char *const pname[] = { "train", "validation", "excluded" };
		int any = 0;
		tprintf(&rec, "\n%s speakers:", pname[part]);
		for (int s = 0; s < ds.nspk; s++) {
			int has = 0;
			for (size_t i = 0; i < ds.n && !has; i++)
				has = ds.u[i].speaker == s && ds.u[i].part == part;
			if (has) {
				tprintf(&rec, "%s%s", any ? "," : " ", ds.spk[s]);
				any = 1;
			}
		}
		if (!any)
			tprintf(&rec, " -");
	}
	tprintf(&rec, "\n");

	if (!o.quiet)
		cli_warn("%ld train, %ld validation, %ld excluded utterances; %d classes; %zu "
		         "parameters; %ld threads", ntrain, nval, nexcl, ncls, ntrainable, o.threads);
	if (!o.quiet && o.trim > 0)
		cli_warn("trimmed %ld leading and trailing frames more than %g dB below each "
		         "utterance's loudest", trimmed, o.trim);

	FILE *logf = NULL;
	if (o.log && !o.resume) {
		if (!(logf = cli_is_stdout(o.log) ? stdout : fopen(o.log, "w")))
			cli_die(EXIT_DATA, "%s: %s", o.log, strerror(errno));
		fprintf(logf, "epoch\ttrain_loss\ttrain_acc\tval_loss\tval_acc\tval_uar\tlr\tseconds\n");
		fflush(logf);
	}

	/* buffers */
	int T = layout == SER_LAYOUT_VECTOR ? (int)ds.dim : (int)o.crop;
	size_t C = layout == SER_LAYOUT_VECTOR ? 1 : ds.dim;
	float *x = xcalloc((size_t)o.batch * C * (size_t)T, sizeof *x);
	float *work = xcalloc((size_t)o.crop * ds.dim, sizeof *work);
	float *best = xcalloc(nparams, sizeof *best);
	int *y = xcalloc((size_t)o.batch, sizeof *y), *bidx = xcalloc((size_t)o.batch, sizeof *bidx);
	int *y2 = o.mixup > 0 ? xcalloc((size_t)o.batch, sizeof *y2) : NULL;
	int *perm = o.mixup > 0 ? xcalloc((size_t)o.batch, sizeof *perm) : NULL;
	float *xm = o.mixup > 0 ? xcalloc((size_t)o.batch * C * (size_t)T, sizeof *xm) : NULL;
	int *order = xcalloc((size_t)ntrain, sizeof *order);
	ser_clf *clf = ser_clf_new(&m, &err);
	if (!clf)
		cli_die(EXIT_DATA, "%s", err.msg);
	{
		long k = 0;
		for (size_t i = 0; i < ds.n; i++)
			if (ds.u[i].part == SER_PART_TRAIN)
				order[k++] = (int)i;
	}
	/* pooled vectors: the model input of each utterance is fixed (no crop,
	 * no SpecAugment, no draw from rng), so it is made once here and each
	 * batch only gathers rows: (ds.n, dim), labels (ds.n) */
	float *vin = NULL;
	int *vlab = NULL;
	if (layout == SER_LAYOUT_VECTOR) {
		vin = xcalloc(ds.n * ds.dim, sizeof *vin);
		vlab = xcalloc(ds.n, sizeof *vlab);
		for (long k = 0; k < ntrain; k++) {
			int i = order[k];
			if (ser_ds_batch(&ds, &m, &i, 1, (int)o.crop, NULL, &sa, NULL, vin + (size_t)i * ds.dim,
			                 vlab + i, work, &err) < 0)
				cli_die(EXIT_DATA, "%s", err.msg);
		}
	}
	ser_rng rng;
	ser_rng_seed(&rng, ser_rng_mix(o.seed, 0x5e7da7a));

	int tty = !o.quiet && isatty(2);
	long step = 0, epoch, best_epoch = 0, done = 0;
	double best_uar = -1;
	struct eval best_ev = { NAN, NAN, NAN, 0 };
	const char *stopped = "completed";
	struct run run = { m.net, opt, &rng, order, ntrain, &step, &done, &best_epoch, &best_uar,
	                   &best_ev, best, ser_fingerprint_more(ser_ds_fingerprint(&ds), rec.s, rec.n) };
	if (o.resume) {
		checkpoint_load(&run, o.resume);
		if (o.log && !(logf = log_resume(o.log, done)))
			cli_die(EXIT_DATA, "%s: %s", o.log, strerror(errno));
		if (nval && o.patience && done - best_epoch >= o.patience)
			stopped = "early stopping";
		if (!o.quiet)
			cli_warn("resuming after epoch %ld of %ld (%s)", done, o.epochs, o.resume);
	}
	cli_catch_stop();
	for (epoch = done + 1; epoch <= o.epochs && !cli_stop && strcmp(stopped, "early stopping");
	     epoch++) {
		double t0 = now(), sum_loss = 0;
		long correct = 0, seen = 0;
		float lr = 0;
		struct eval ev = { NAN, NAN, NAN, 0 };
		ser_rng_shuffle(&rng, order, (size_t)ntrain);
		for (long s0 = 0; s0 < ntrain && !cli_stop; s0 += o.batch) {
			int B = (int)(ntrain - s0 < o.batch ? ntrain - s0 : o.batch), Tb, ok = 0;
			float loss;
			memcpy(bidx, order + s0, (size_t)B * sizeof *bidx);
			if (vin) {
				for (int b = 0; b < B; b++) {
					memcpy(x + (size_t)b * ds.dim, vin + (size_t)bidx[b] * ds.dim,
					       ds.dim * sizeof *x);
					y[b] = vlab[bidx[b]];
				}
				Tb = (int)ds.dim;
			} else {
				Tb = ser_ds_batch(&ds, &m, bidx, B, (int)o.crop, aug, &sa, &rng, x, y, work,
				                  &err);
			}
			if (Tb < 0)
				cli_die(EXIT_DATA, "%s", err.msg);
			float lam = 1;
			const float *xb = x;
			if (xm) {  /* mixup: sample b with sample perm[b], one weight per batch */
				size_t per = C * (size_t)Tb;
				lam = (float)ser_rng_beta(&rng, o.mixup, o.mixup);
				for (int b = 0; b < B; b++)
					perm[b] = b;
				ser_rng_shuffle(&rng, perm, (size_t)B);
				for (int b = 0; b < B; b++) {
					const float *p1 = x + b * per, *p2 = x + perm[b] * per;
					for (size_t k = 0; k < per; k++)
						xm[b * per + k] = lam * p1[k] + (1 - lam) * p2[k];
					y2[b] = y[perm[b]];
				}
				xb = xm;
			}
			ser_net_zero_grad(m.net);
			ser_targets tg = { y, y2, lam, cw, NULL, NULL, (float)o.ls };
			if (ct.masked || ct.weighted) {
				corpus_targets_fill(&ct, &ds, bidx, xm ? perm : NULL, B);
				tg.mask = ct.masked ? ct.mask : NULL;
				tg.sample_weights = ct.weighted ? ct.w : NULL;
			}
			if (ser_net_train_batch_targets(m.net, xb, B, Tb, NULL, &tg,
			                                ser_rng_mix(o.seed, (uint64_t)step + 1), &loss, &ok,
			                                &err) < 0)
				cli_die(EXIT_DATA, "training: %s", err.msg);
			if (!isfinite(loss))
				cli_die(EXIT_DATA, "epoch %ld: the loss is not finite (try a smaller --lr)",
				        epoch);
			lr = ser_lr_at(&ls, step);
			ser_optim_step(opt, ser_net_params(m.net) + p0, ser_net_grads(m.net) + p0, lr);
			step++;
			sum_loss += (double)loss * B;
			correct += ok;
			seen += B;
			if (tty)
				fprintf(stderr, "\r\033[Kepoch %ld/%ld: %ld/%ld loss %.4f", epoch, o.epochs,
				        seen, ntrain, sum_loss / seen);
		}
		if (seen < ntrain) {   /* interrupted inside the epoch */
			if (tty)
				fprintf(stderr, "\r\033[K");
			break;
		}
		done = epoch;
		if (nval)
			evaluate(&ds, clf, ncls, &ev);
		int better = nval && ev.uar > best_uar;
		if (better) {
			best_uar = ev.uar;
			best_ev = ev;
			best_epoch = epoch;
			memcpy(best, ser_net_params(m.net), nparams * sizeof *best);
		}
		double secs = now() - t0;
		if (!o.quiet && nval)
			fprintf(stderr, "%sepoch %ld/%ld: loss %.4f acc %.4f val_loss %.4f val_acc %.4f "
			        "val_uar %.4f lr %.3g %.1fs%s\n", tty ? "\r\033[K" : "", epoch, o.epochs,
			        sum_loss / seen, (double)correct / seen, ev.loss, ev.acc, ev.uar, lr, secs,
			        better ? " *" : "");
		else if (!o.quiet)  /* no validation set: nothing to report for it */
			fprintf(stderr, "%sepoch %ld/%ld: loss %.4f acc %.4f lr %.3g %.1fs\n",
			        tty ? "\r\033[K" : "", epoch, o.epochs, sum_loss / seen,
			        (double)correct / seen, lr, secs);
		if (logf) {
			fprintf(logf, "%ld\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6g\t%.3f\n", epoch,
			        sum_loss / seen, (double)correct / seen, ev.loss, ev.acc, ev.uar, lr, secs);
			if (fflush(logf) != 0)
				cli_die(EXIT_DATA, "%s: %s", o.log, strerror(errno));
		}
		if (better && !o.out_stream) {  /* keep the best on disk as training goes */
			char tail[256];
			snprintf(tail, sizeof tail, "best epoch: %ld of %ld so far, val_acc %.4f val_uar "
			         "%.4f val_loss %.4f\n", best_epoch, epoch, best_ev.acc, best_ev.uar,
			         best_ev.loss);
			save(&m, o.out, &rec, tail);
		}
		if (o.ckpt)
			checkpoint_save(&run, o.ckpt);
		if (nval && o.patience && epoch - best_epoch >= o.patience) {
			stopped = "early stopping";
			break;
		}
	}
	if (cli_stop)
		stopped = "interrupted";
	if (done == 0) {
		cli_warn("interrupted before the first epoch ended: nothing saved");
		return EXIT_DATA;
	}
	{
		char tail[512];
		if (nval) {
			memcpy(ser_net_params(m.net), best, nparams * sizeof *best);
			snprintf(tail, sizeof tail, "epochs run: %ld (%s)\nbest epoch: %ld, val_acc %.4f "
			         "val_uar %.4f val_loss %.4f\n", done, stopped, best_epoch, best_ev.acc,
			         best_ev.uar, best_ev.loss);
		} else {
			snprintf(tail, sizeof tail, "epochs run: %ld (%s)\nno validation: the last "
			         "epoch's model\n", done, stopped);
		}
		save(&m, o.out, &rec, tail);
	}
	if (!o.quiet || cli_stop) {
		const char *where = cli_is_stdout(o.out) ? "standard output" : o.out;
		if (nval)
			cli_warn("%s after %ld epoch%s; saved %s (best epoch %ld: val_acc %.4f val_uar %.4f)",
			         stopped, done, done == 1 ? "" : "s", where, best_epoch, best_ev.acc, best_ev.uar);
		else
			cli_warn("%s after %ld epoch%s; saved %s", stopped, done, done == 1 ? "" : "s", where);
	}
	if (logf && logf != stdout && fclose(logf) != 0)
		cli_die(EXIT_DATA, "%s: %s", o.log, strerror(errno));
	ser_clf_free(clf);
	ser_aug_free(aug);
	ser_optim_free(opt);
	ser_net_free(m.net);
	for (int c = 0; c < ncls; c++)
		free(m.class_names[c]);
	free(m.class_names);
	free(m.feat_settings);
	free(m.norm_mean);
	free(m.norm_std);
	free(m.idct);
	free(rec.s);
	free(x);
	free(work);
	free(best);
	free(y);
	free(bidx);
	free(y2);
	free(perm);
	free(xm);
	free(order);
	free(vin);
	free(vlab);
	free(cw);
	free(ct.mask);
	free(ct.w);
	free(ntr);
	free(nva);
	ser_ds_free(&ds);
	ser_labelmap_free(map);
	if (init)
		ser_model_free(init);
	cli_close_stdout();
	return aborted_utts ? EXIT_DATA : EXIT_OK;
}
