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

#include "batch.h"
#include "checkpoint.h"
#include "cli.h"
#include "classify.h"
#include "dataset.h"
#include "featio.h"
#include "kaldi.h"
#include "labels.h"
#include "metrics.h"
#include "mfcc.h"
#include "model.h"
#include "net.h"
#include "optim.h"
#include "outfile.h"
#include "spkmap.h"
#include "rng.h"
#include "train.h"
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
	O_CW, O_LS, O_SPECAUG, O_LOG, O_TRIM, O_AUGMENT, O_MIXUP, O_WHOLE, O_IDCT, O_LOSSCLS, O_INIT, O_TRAINL, O_CKPT, O_RESUME,
	O_SETTINGS, O_UTT2SPK, O_SPK2UTT, O_AVERAGE, O_SPKMIX, O_ADAPTBN, O_BATCHBY, O_ADV
};

struct opts {
	const char *out, *arch, *classes, *labels, *val, *excl, *log, *init, *ckpt, *resume;
	long epochs, batch, patience, crop, threads, train_layers, average_from;
	int arch_given, trim_given;
	int crop_set;            /* --crop given */
	int out_stream;          /* -o is a device or FIFO: written once, at the end */
	int optim, sched, norm, cw, quiet, whole, losscls;
	int batchby;             /* enum ser_batch_by */
	int adapt_bn;            /* --adapt-bn: batch-norm statistics only */
	double lr, wd, ls, trim, mixup;
	const char *specaug, *augment, *idct, *spkmix;
	const char *adv;         /* --adversary KIND:W[:H], or NULL */
	int adv_kind, adv_hidden;/* enum ser_adversary, hidden units */
	double adv_weight;
	const char *spkpath;     /* --utt2spk / --spk2utt, or NULL */
	int spk2utt;             /* 1: spkpath is a spk2utt */
	uint64_t seed;
};

static void tprintf(ser_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(ser_text *t, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = ser_text_vprintf(t, fmt, ap);
	va_end(ap);
	if (rc == SER_ENOMEM)
		cli_die(EXIT_DATA, "out of memory");
}

static int aborted_utts;   /* utterances skipped as aborted: exit 2 at the end */
static ser_feat_info kaldi_as;   /* --settings: of Kaldi archive inputs */
static char kaldi_text[SER_FEAT_SETTINGS_MAX];

/* Reads one input into ds; exits 2 on any error. */
static void read_input(ser_dataset *ds, const char *name, const char **first)
{
	ser_error err;
	int rc;
	FILE *f = strcmp(name, "-") ? fopen(name, "rb") : stdin;
	ser_fr *r;
	if (!f)
		cli_die(EXIT_DATA, "%s: %s", name, strerror(errno));
	r = ser_kaldi_is_scp(name) ? ser_kaldi_open_scp(name, kaldi_as.dim ? &kaldi_as : NULL, &err)
	    : ser_fr_open_as(f, name, kaldi_as.dim ? &kaldi_as : NULL, &err);
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

static void save(ser_model *m, const char *path, ser_text *rec, const char *tail)
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

/* --init: the model to fine-tune. Options the model fixes are refused;
 * those it sets are taken from it. */
/* --norm's choices in option order, and back */
static const int norm_modes[] = { SER_NORM_NONE, SER_NORM_UTT_MEAN, SER_NORM_GLOBAL, SER_NORM_SPEAKER,
                                  SER_NORM_SPEAKER_MEAN, SER_NORM_LEVEL, SER_NORM_SPEAKER_LEVEL };

static int norm_option(int mode)
{
	int i = 0;
	while (i + 1 < (int)(sizeof norm_modes / sizeof *norm_modes) && norm_modes[i] != mode)
		i++;
	return i;
}

static ser_model *load_init(struct opts *o)
{
	ser_error err;
	ser_model *m;
	if (o->arch_given || o->norm >= 0 || o->idct || o->trim_given || o->whole)
		cli_usage_error("--init: --arch, --norm, --idct, --trim-db and --whole-utterance come "
		                "from the model %s", o->init);
	if (!(m = ser_model_load(o->init, &err))) {
		cli_report(o->init, &err);
		exit(EXIT_DATA);
	}
	o->norm = norm_option(m->norm_mode);
	o->idct = m->input_idct ? "on" : "off";
	o->trim = m->trim_db;
	o->whole = m->utt_window == 0;
	if (!o->crop_set && m->utt_window > 0)
		o->crop = m->utt_window;
	if (o->train_layers > ser_net_param_layers(m->net)) {
		int n = ser_net_param_layers(m->net);
		ser_model_free(m);
		cli_usage_error("--train-layers: %ld, but %s has %d layers with parameters",
		                o->train_layers, o->init, n);
	}
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
	int *map = cli_calloc((size_t)cls->n, sizeof *map);
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
static const char *const norms[] = { "none", "utt", "global", "speaker", "speaker-mean", "level",
                                     "speaker-level", NULL };
static const char *const cws[] = { "none", "balanced", "corpus", NULL };
static const char *const losscls[] = { "all", "corpus", NULL };
static const char *const batchbys[] = { "any", "corpus", "speaker", NULL };   /* enum ser_batch_by */

/* A run: what main's options, the inputs and the model make of it. */
struct job {
	struct opts o;
	ser_model *init;         /* --init, or NULL */
	const char *spec;        /* the layer spec */
	int seed_arch;
	const char *first;       /* the first input's name */
	ser_dataset ds;
	ser_classes cls;
	ser_labelmap *map;
	ser_ds_skipped skipped;
	ser_model m;
	ser_specaug sa;
	ser_aug *aug;
	char augtext[160];
	int idct;
	ser_trainer *t;
	ser_text rec;            /* the training record: everything but the outcome */
	uint64_t run_id;         /* of the checkpoints */
	FILE *logf;
	int tty;
	long trimmed;            /* frames dropped by --trim-db */
	size_t p0;               /* --train-layers: the first trained parameter */
};

/* The architecture and the defaults that depend on it. */
static void arch_defaults(struct job *j)
{
	struct opts *o = &j->o;
	long cores;
	j->init = o->init ? load_init(o) : NULL;
	j->seed_arch = !strcmp(o->arch, "seed");
	if (j->init)
		j->spec = ser_net_arch(j->init->net);
	else if (!strcmp(o->arch, "default"))
		j->spec = ser_net_arch_preset("cnn");
	else if ((j->spec = ser_net_arch_preset(o->arch)) == NULL) {
		if (!strchr(o->arch, ':') && !strchr(o->arch, ' '))
			cli_usage_error("--arch: '%s' is not seed, default, cnn, cnn2d, cnn2d-wide or a layer spec",
			                o->arch);
		j->spec = o->arch;
	}
	if (o->adapt_bn) {
		/* training-mode passes that move nothing but the running statistics:
		 * no step, no change to the crops; epochs from the data (data()) */
		o->lr = o->wd = o->ls = o->mixup = 0;
		o->cw = 0;
		o->losscls = 0;
		o->sched = SER_LR_CONSTANT;
		o->specaug = o->augment = "none";
		o->patience = 0;
	}
	if (o->epochs < 0 && !o->adapt_bn)
		o->epochs = j->seed_arch ? 1000 : j->init ? 15 : 60;
	if (o->lr < 0)
		o->lr = j->init ? 3e-4 : 1e-3;
	if (o->average_from > o->epochs && o->epochs >= 0)
		cli_usage_error("--average-from %ld: the run has %ld epochs", o->average_from, o->epochs);
	if (o->average_from && o->patience > 0)
		cli_usage_error("--patience with --average-from: validation selects no epoch when the "
		                "model is the mean of the epochs' networks");
	if (o->patience < 0)
		o->patience = j->seed_arch || o->average_from ? 0 : 20;
	if (o->optim < 0)
		o->optim = j->seed_arch ? SER_OPT_RMSPROP : SER_OPT_ADAMW;
	if (o->sched < 0)
		o->sched = j->seed_arch ? SER_LR_CONSTANT : SER_LR_COSINE;
	if (o->cw < 0)
		o->cw = j->seed_arch ? 0 : 1;
	if (o->ls < 0)
		o->ls = j->seed_arch ? 0 : 0.1;
	if (o->wd >= 0 && o->optim != SER_OPT_ADAMW)
		cli_usage_error("--weight-decay applies to --optim adamw only (this run: %s)",
		                optims[o->optim]);
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (o->threads < 0)
		o->threads = cores < 1 ? 1 : cores > 8 ? 8 : cores;
}

/* The class set and the label map. */
static void classes(struct job *j)
{
	ser_error err;
	if (j->o.classes) {
		if (ser_classes_parse(&j->cls, j->o.classes, &err) < 0)
			cli_usage_error("--classes: %s", err.msg);
	} else if (j->init) {
		j->cls.n = 0;
		for (int k = 0; k < j->init->n_classes; k++)
			if (ser_classes_add(&j->cls, j->init->class_names[k], &err) < 0)
				cli_die(EXIT_DATA, "%s: class '%s': %s", j->o.init, j->init->class_names[k],
				        err.msg);
	} else {
		ser_classes_default(&j->cls);
	}
	if (j->cls.n < 2)
		cli_usage_error("--classes: at least two classes are needed");
	if (j->o.labels && !(j->map = ser_labelmap_load(j->o.labels, &err))) {
		cli_report(j->o.labels, &err);
		exit(EXIT_DATA);
	}
}

/* --utt2spk / --spk2utt: the map's speaker for the utterances it names (exact
 * key, else both without their extensions), over the label's or the name's. */
static void apply_spkmap(ser_dataset *ds, const char *path, int spk2utt)
{
	ser_error err;
	ser_spkmap *spk = ser_spkmap_load(path, spk2utt, &err);
	if (!spk) {
		cli_report(NULL, &err);
		exit(EXIT_DATA);
	}
	for (size_t i = 0; i < ds->n; i++) {
		ser_utt *u = &ds->u[i];
		int clash;
		const char *sp = ser_spkmap_get(spk, u->key, &clash);
		if (clash)
			cli_die(EXIT_DATA, "%s: key %s matches two utterances without their extensions: "
			        "give the full key", path, u->key);
		if (sp && (u->speaker = ser_ds_speaker(ds, sp, &err)) < 0)
			cli_die(EXIT_DATA, "%s", err.msg);
	}
	ser_spkmap_free(spk);
}

/* The features of every input, labelled and split by speaker. */
static void data(struct job *j, int n, char **inputs)
{
	ser_dataset *ds = &j->ds;
	ser_ds_skipped *sk = &j->skipped;
	ser_error err;
	char unk[SER_SPEAKER_MAX];
	long skipped;
	ser_ds_init(ds);
	if (n == 0)
		read_input(ds, "-", &j->first);
	for (int i = 0; i < n; i++)
		read_input(ds, inputs[i], &j->first);
	if (j->init && strcmp(ds->settings, j->init->feat_settings)) {
		char diff[1024];
		ser_feat_settings_diff(ds->settings, j->init->feat_settings, "here", "in the model",
		                       diff, sizeof diff);
		cli_die(EXIT_DATA, "%s: feature settings differ from those %s was trained on: %s; make "
		        "the features with the model's settings (ser-classify -m %s --info shows them)",
		        j->first, j->o.init, diff, j->o.init);
	}
	if ((j->o.adapt_bn ? ser_ds_unlabelled(ds, j->map, sk, &err)
	                   : ser_ds_label(ds, j->map, &j->cls, sk, &err)) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	if (j->o.spkpath)
		apply_spkmap(ds, j->o.spkpath, j->o.spk2utt);
	skipped = sk->nolabel + sk->unknown + sk->empty;
	if (skipped)
		cli_warn("skipped %ld utterances: %ld without a label, %ld with a label not in the "
		         "class set, %ld without frames (first: %s)",
		         skipped, sk->nolabel, sk->unknown, sk->empty, sk->first);
	if (ser_ds_split(ds, j->o.val, j->o.excl, unk, sizeof unk, &err) < 0)
		cli_usage_error("%s", err.msg);
	if (unk[0])
		unknown_speaker(ds, &j->o, unk);
	if (ser_ds_count(ds, SER_PART_TRAIN) == 0)
		cli_die(EXIT_DATA, "no %s utterances (%zu read in all)",
		        j->o.adapt_bn ? "non-empty" : "labelled training", ds->n + (size_t)skipped);
	if (j->o.adapt_bn && j->o.epochs < 0) {
		/* about 300 steps: the running statistics (momentum 0.99 and up)
		 * then hold almost nothing of the training data's */
		long batches = (ser_ds_count(ds, SER_PART_TRAIN) + j->o.batch - 1) / j->o.batch;
		j->o.epochs = (300 + batches - 1) / batches;
	}
}

/* The inverse DCT inside the model: cepstra in, log mel energies to the net. */
static void idct_policy(struct job *j, int layout)
{
	ser_feat_opts fo;
	ser_frame_layout fl;
	ser_error e2;
	const char *mode = j->o.idct;
	int parsed = ser_feat_parse_settings(&fo, j->ds.settings, &e2) == 0;
	if (parsed)
		ser_frame_layout_of(&fo, &fl);
	int inv = parsed && (fl.invertible || ser_feat_invertible(&fo, &e2) == 0);
	int is_cep = parsed && fl.cepstra, frames = layout == SER_LAYOUT_FRAMES;
	int net2d = ser_net_arch_2d(j->spec);
	if (!mode || !strcmp(mode, "auto"))
		j->idct = is_cep && frames && net2d;
	else if (!strcmp(mode, "on"))
		j->idct = 1;
	else if (strcmp(mode, "off"))
		cli_usage_error("--idct: '%s' is not auto, on or off", mode);
	if (j->idct && (!is_cep || !frames))
		cli_die(EXIT_DATA, "%s: --idct on needs frames of orthonormal cepstra with n-ceps "
		        "= n-mels%s%s", j->first, inv || !frames ? "" : ": ", inv || !frames ? "" : e2.msg);
	if (net2d && !j->idct && parsed && fl.dct != SER_DCT_NONE)
		cli_warn("%s: a 2D network reads each frame's values as rows of an image; these "
		         "are cepstra: use --idct on (needs n-ceps = n-mels) or log mel frames "
		         "(ser-mfcc --dct none)", j->first);
}

/* --speaker-mix P:ALPHA: the dataset's mixed references (batch.h), set
 * before the speaker statistics are made (model_fields). */
static void speaker_mix(struct job *j, int layout)
{
	const struct opts *o = &j->o;
	char *end;
	double p = strtod(o->spkmix, &end), a = 0;
	int bad = end == o->spkmix || *end != ':' || !(p >= 0 && p <= 1);
	if (!bad) {
		const char *s = end + 1;
		a = strtod(s, &end);
		bad = end == s || *end || !(a > 0 && a <= 1000);
	}
	if (bad)
		cli_usage_error("--speaker-mix: '%s': want P:ALPHA (P 0..1, ALPHA > 0 up to 1000)",
		                o->spkmix);
	if (!ser_norm_per_speaker(o->norm))
		cli_usage_error("--speaker-mix needs a per-speaker --norm (speaker, speaker-mean or "
		                "speaker-level), not %s", norms[norm_option(o->norm)]);
	if (layout == SER_LAYOUT_VECTOR)
		cli_usage_error("--speaker-mix needs frame features (these are pooled)");
	j->ds.mix_p = (float)p;
	j->ds.mix_alpha = (float)a;
}

/* Normalisation, SpecAugment, --augment and the checks of options that
 * need frame features. */
static void input_options(struct job *j, int layout)
{
	struct opts *o = &j->o;
	ser_error err;
	ser_aug_opts ao;
	if (o->norm < 0)
		o->norm = layout == SER_LAYOUT_VECTOR ? SER_NORM_NONE : SER_NORM_UTT_MEAN;
	else
		o->norm = norm_modes[o->norm];
	if ((o->norm == SER_NORM_UTT_MEAN || ser_norm_level(o->norm)) && layout == SER_LAYOUT_VECTOR)
		cli_usage_error("--norm %s needs frame features (these are pooled)",
		                norms[norm_option(o->norm)]);
	if (ser_specaug_parse(&j->sa, o->specaug ? o->specaug
	                      : (j->seed_arch || layout == SER_LAYOUT_VECTOR) ? "none" : "20:2:6:2",
	                      &err) < 0)
		cli_usage_error("--specaug: %s", err.msg);
	if (layout == SER_LAYOUT_VECTOR && (j->sa.tn || j->sa.fn))
		cli_usage_error("--specaug needs frame features (these are pooled)");
	if (layout == SER_LAYOUT_VECTOR && o->trim > 0)
		cli_usage_error("--trim-db needs frame features (these are pooled)");
	if (layout == SER_LAYOUT_VECTOR && (o->crop_set || o->whole))
		cli_usage_error("%s needs frame features (these are pooled)",
		                o->crop_set ? "--crop" : "--whole-utterance");
	if (o->spkmix)
		speaker_mix(j, layout);
	if (ser_aug_parse(&ao, o->augment ? o->augment : "none", &err) < 0)
		cli_usage_error("--augment: %s", err.msg);
	ser_aug_text(&ao, j->augtext, sizeof j->augtext);
	if (ser_aug_on(&ao)) {
		if (layout == SER_LAYOUT_VECTOR)
			cli_usage_error("--augment needs frame features (these are pooled)");
		if (!(j->aug = ser_aug_new(j->ds.settings, &ao, &err)))
			cli_die(EXIT_DATA, "%s: --augment: %s", j->first, err.msg);
	}
}

/* The model's network: initialised, or the --init model's parameters
 * transferred; trimming of the data to its minimum length. */
static void network(struct job *j, long *trimmed)
{
	struct opts *o = &j->o;
	ser_model *m = &j->m;
	ser_dataset *ds = &j->ds;
	ser_error err;
	int vector = m->layout == SER_LAYOUT_VECTOR;
	m->net = ser_net_new(j->spec, vector ? 1 : (int)ds->dim, vector ? (int)ds->dim : 0,
	                     j->cls.n, &err);
	if (!m->net)
		cli_die(EXIT_USAGE, "--arch: %s", err.msg);
	if (!vector && o->crop < ser_net_min_length(m->net))
		cli_usage_error("--crop: %ld is shorter than the network's minimum of %d frames",
		                o->crop, ser_net_min_length(m->net));
	/* trimming before the normalisation statistics and the crops */
	if (ser_ds_trim(ds, o->trim, ser_net_min_length(m->net), trimmed, &err) < 0)
		cli_die(EXIT_DATA, "%s: --trim-db: %s", j->first, err.msg);
	m->trim_db = (float)o->trim;
	if (!vector && !o->whole) {
		m->utt_window = (int)o->crop;
		m->utt_hop = o->crop / 4 > 0 ? (int)(o->crop / 4) : 1;
	}
	if (j->init) {  /* the model classifies as before */
		m->utt_window = j->init->utt_window;
		m->utt_hop = j->init->utt_hop;
	}
	ser_net_init(m->net, o->seed, SER_INIT_GLOROT);
	if (j->init) {
		int *cmap = init_class_map(j->init, &j->cls);
		if (ser_net_transfer(m->net, j->init->net, cmap, &err) < 0)
			cli_die(EXIT_DATA, "%s: %s", o->init, err.msg);
		free(cmap);
	}
	if (ser_net_set_threads(m->net, (int)o->threads, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
}

/* The statistics mode of a normalisation: per-speaker modes store those of
 * all training frames (their level taken away for SPEAKER_LEVEL). */
static int stats_mode(int norm)
{
	if (norm == SER_NORM_SPEAKER_LEVEL)
		return SER_NORM_LEVEL;
	return ser_norm_per_speaker(norm) ? SER_NORM_GLOBAL : norm;
}

/* The rest of the model: classes, feature settings, normalisation. */
static void model_fields(struct job *j)
{
	ser_model *m = &j->m;
	const ser_dataset *ds = &j->ds;
	ser_error err;
	m->n_classes = j->cls.n;
	m->class_names = cli_calloc((size_t)j->cls.n, sizeof *m->class_names);
	for (int c = 0; c < j->cls.n; c++)
		m->class_names[c] = cli_strdup(j->cls.name[c]);
	m->feat_dim = ds->dim;
	if (ser_model_set_idct(m, j->idct, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	m->feat_rate = ds->rate;
	m->feat_shift = ds->shift;
	m->feat_length = ds->length;
	m->feat_fingerprint = ds->fingerprint;
	m->feat_settings = cli_strdup(ds->settings);
	m->norm_mode = j->o.norm;
	if (j->o.norm == SER_NORM_NONE)
		return;
	if (ser_model_set_level(m, &err) < 0)
		cli_die(EXIT_DATA, "%s: --norm %s: %s", j->first, norms[norm_option(j->o.norm)], err.msg);
	m->norm_mean = cli_calloc(ds->dim, sizeof *m->norm_mean);
	m->norm_std = cli_calloc(ds->dim, sizeof *m->norm_std);
	if (j->init) {
		memcpy(m->norm_mean, j->init->norm_mean, ds->dim * sizeof *m->norm_mean);
		memcpy(m->norm_std, j->init->norm_std, ds->dim * sizeof *m->norm_std);
	} else if (ser_ds_norm_stats(ds, SER_PART_TRAIN, stats_mode(j->o.norm), m, m->norm_mean,
	                             m->norm_std, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	/* per speaker: each speaker's own statistics for its utterances */
	if (ser_norm_per_speaker(j->o.norm) && ser_ds_speaker_norm(&j->ds, m, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
}

/* The trainer of the model on the data. */
static void trainer(struct job *j)
{
	const struct opts *o = &j->o;
	ser_train_opts to;
	ser_error err;
	memset(&to, 0, sizeof to);
	to.epochs = o->epochs;
	to.batch = o->batch;
	to.patience = o->patience;
	to.crop = o->crop;
	to.mixup = o->mixup;
	to.average_from = o->average_from;
	to.label_smoothing = (float)o->ls;
	to.class_weights = o->cw;
	to.loss_classes = o->losscls;
	to.batch_by = o->batchby;
	to.adversary = o->adv_kind;
	to.adv_weight = (float)o->adv_weight;
	to.adv_hidden = o->adv_hidden;
	to.seed = o->seed;
	/* --train-layers: only the tail [p0, ntrainable) of the block trains */
	to.p0 = j->p0 = j->init && o->train_layers ? ser_net_tail_offset(j->m.net, (int)o->train_layers)
	                                           : 0;
	ser_optim_defaults(&to.optim, o->optim);
	to.optim.lr = (float)o->lr;
	if (o->wd >= 0)
		to.optim.weight_decay = (float)o->wd;
	to.sched = o->sched;
	to.sa = j->sa;
	to.aug = j->aug;
	to.stop = &cli_stop;
	if (!(j->t = ser_train_new(&j->ds, &j->m, &to, &err)))
		cli_die(EXIT_DATA, "%s", err.msg);
}

/* parse -> build: everything a run needs, checked before training starts. */
static void build(struct job *j, int n, char **inputs)
{
	ser_dataset *ds = &j->ds;
	int layout;
	long trimmed = 0;
	arch_defaults(j);
	classes(j);
	data(j, n, inputs);
	layout = ds->shift == 0 ? SER_LAYOUT_VECTOR : SER_LAYOUT_FRAMES;
	if (j->seed_arch && (layout != SER_LAYOUT_VECTOR || ds->dim != 40))
		cli_die(EXIT_DATA, "%s: --arch seed takes one 40-value vector per utterance, these "
		        "features are %s with %u values; use ser-mfcc --preset librosa --pool mean",
		        j->first, layout == SER_LAYOUT_VECTOR ? "pooled" : "frames", ds->dim);
	idct_policy(j, layout);
	input_options(j, layout);
	j->m.layout = layout;
	network(j, &trimmed);
	model_fields(j);
	trainer(j);
	j->tty = !j->o.quiet && isatty(2);
	j->trimmed = trimmed;
}

/* The training record (the command, the settings, the data) and the run's
 * fingerprint; the summary on stderr; the log's header. */
static void record(struct job *j, int argc, char **argv)
{
	const struct opts *o = &j->o;
	ser_text *rec = &j->rec;
	size_t ntrainable = ser_net_ntrainable(j->m.net);
	int corpus;
	tprintf(rec, "command:");
	for (int i = 0; i < argc; i++) {
		const char *a = i ? argv[i] : (strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
		int k = i ? resume_arg(a) : 0;
		if (k) {   /* the record is that of the run resumed */
			i += k - 1;
			continue;
		}
		tprintf(rec, strpbrk(a, " \t'\"") ? " '%s'" : " %s", a);
	}
	tprintf(rec, "\nseed: %llu\nthreads: %ld\narch: %s\n", (unsigned long long)o->seed,
	        o->threads, j->spec);
	if (j->init)
		tprintf(rec, "init: %s (checksum %016llx), training %s\n", o->init,
		        file_checksum(o->init), o->adapt_bn ? "nothing" : o->train_layers ?
		        "its last layers" : "all layers");
	if (j->init && o->adapt_bn)
		tprintf(rec, "adaptation: batch-norm statistics only (--adapt-bn), re-estimated on these "
		        "utterances; labels not read, every other parameter as in the model\n");
	if (j->init && o->train_layers)
		tprintf(rec, "trained layers: the last %ld with parameters (%zu of %zu parameters)\n",
		        o->train_layers, ntrainable - j->p0, ntrainable);
	tprintf(rec, "optimiser: %s lr %g schedule %s batch %ld epochs %ld patience %ld\n",
	        optims[o->optim], o->lr, scheds[o->sched], o->batch, o->epochs, o->patience);
	tprintf(rec, "input: %s%s, trim %g dB, norm %s, crop %ld, augment %s, specaug %d:%d:%d:%d, "
	        "mixup %g, label smoothing %g, class weights %s\n",
	        j->m.layout == SER_LAYOUT_VECTOR ? "pooled vector" : "frames",
	        j->idct ? " (inverse DCT to log mel)" : "", o->trim,
	        norms[norm_option(o->norm)],
	        j->m.layout == SER_LAYOUT_FRAMES ? o->crop : 0, j->augtext, j->sa.tw, j->sa.tn,
	        j->sa.fw, j->sa.fn, o->mixup, o->ls, cws[o->cw]);
	if (o->batchby)
		tprintf(rec, "batches: each from one %s (--batch-by %s)\n", batchbys[o->batchby],
		        batchbys[o->batchby]);
	if (j->ds.mix_p > 0)
		tprintf(rec, "speaker mix: probability %g, each crop centred on a mixture of its "
		        "speaker's class means, weights Dirichlet(%g)\n", j->ds.mix_p, j->ds.mix_alpha);
	if (o->adv_kind)
		tprintf(rec, "adversary: %s, weight %g (ramped up over the run), %d hidden units, off "
		        "the stats layer through a reversed gradient (--adversary %s)\n",
		        o->adv_kind == SER_ADV_CORPUS ? "corpus" : "speaker", o->adv_weight,
		        o->adv_hidden, o->adv);
	if (o->average_from)
		tprintf(rec, "weight averaging: the mean of the network after every step of epochs "
		        "%ld-%ld\n", o->average_from, o->epochs);
	if (ser_train_record(j->t, &j->cls, j->skipped.nolabel + j->skipped.unknown +
	                     j->skipped.empty, rec) == SER_ENOMEM)
		cli_die(EXIT_DATA, "out of memory");
	if ((corpus = ser_train_one_class_corpus(j->t)) >= 0)
		cli_warn("corpus %s has utterances of one class only: with --loss-classes corpus "
		         "they teach nothing (use --loss-classes all, or label more classes)",
		         ser_corpus_name(corpus));
	j->run_id = ser_fingerprint_more(ser_ds_fingerprint(&j->ds), rec->s, rec->n);
	if (!o->quiet)
		cli_warn("%ld train, %ld validation, %ld excluded utterances; %d classes; %zu "
		         "parameters; %ld threads", ser_train_count(j->t, SER_PART_TRAIN),
		         ser_train_count(j->t, SER_PART_VAL), ser_train_count(j->t, SER_PART_EXCLUDED),
		         j->cls.n, ntrainable, o->threads);
	if (!o->quiet && o->trim > 0)
		cli_warn("trimmed %ld leading and trailing frames more than %g dB below each "
		         "utterance's loudest", j->trimmed, o->trim);
	if (o->log && !o->resume) {
		if (!(j->logf = cli_is_stdout(o->log) ? stdout : fopen(o->log, "w")))
			cli_die(EXIT_DATA, "%s: %s", o->log, strerror(errno));
		fprintf(j->logf, "epoch\ttrain_loss\ttrain_acc\tval_loss\tval_acc\tval_uar\tlr\tseconds\n");
		fflush(j->logf);
	}
}

/* Progress within an epoch, on a terminal. */
static void on_batch(void *ctx, const ser_train_epoch *e)
{
	const struct job *j = ctx;
	if (j->tty)
		fprintf(stderr, "\r\033[Kepoch %ld/%ld: %ld/%ld loss %.4f", e->epoch, e->epochs,
		        e->seen, e->ntrain, e->loss);
}

/* After an epoch: progress, the log, the best model on disk, the checkpoint. */
static int on_epoch(void *ctx, const ser_train_epoch *e, ser_error *err)
{
	struct job *j = ctx;
	const struct opts *o = &j->o;
	int nval = ser_train_count(j->t, SER_PART_VAL) > 0;
	if (!o->quiet && nval)
		fprintf(stderr, "%sepoch %ld/%ld: loss %.4f acc %.4f val_loss %.4f val_acc %.4f "
		        "val_uar %.4f lr %.3g %.1fs%s\n", j->tty ? "\r\033[K" : "", e->epoch, e->epochs,
		        e->loss, e->acc, e->val.loss, e->val.acc, e->val.uar, e->lr, e->seconds,
		        e->better ? " *" : "");
	else if (!o->quiet)  /* no validation set: nothing to report for it */
		fprintf(stderr, "%sepoch %ld/%ld: loss %.4f acc %.4f lr %.3g %.1fs\n",
		        j->tty ? "\r\033[K" : "", e->epoch, e->epochs, e->loss, e->acc, e->lr, e->seconds);
	if (!o->quiet && o->adv_kind)
		fprintf(stderr, "  adversary (%s): loss %.4f acc %.4f\n",
		        o->adv_kind == SER_ADV_CORPUS ? "corpus" : "speaker", e->adv_loss, e->adv_acc);
	if (j->logf) {
		fprintf(j->logf, "%ld\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6g\t%.3f\n", e->epoch, e->loss,
		        e->acc, e->val.loss, e->val.acc, e->val.uar, e->lr, e->seconds);
		if (fflush(j->logf) != 0)
			cli_die(EXIT_DATA, "%s: %s", o->log, strerror(errno));
	}
	if (e->better && !o->out_stream) {  /* keep the best on disk as training goes */
		char tail[256];
		snprintf(tail, sizeof tail, "best epoch: %ld of %ld so far, val_acc %.4f val_uar "
		         "%.4f val_loss %.4f\n", e->best_epoch, e->epoch, e->best.acc, e->best.uar,
		         e->best.loss);
		save(&j->m, o->out, &j->rec, tail);
	}
	if (o->ckpt && ser_train_checkpoint(j->t, j->run_id, o->ckpt, err) < 0)
		cli_die(EXIT_DATA, "%s: %s", o->ckpt, err->msg);
	return 0;
}

/* --resume: the state of the checkpoint, and the log up to it. */
static void resume(struct job *j)
{
	const struct opts *o = &j->o;
	ser_error err;
	ser_ckpt c;
	long done;
	FILE *f = fopen(o->resume, "rb");
	if (!f)
		cli_die(EXIT_DATA, "%s: %s", o->resume, strerror(errno));
	if (ser_ckpt_read(&c, f, o->resume, &err) < 0) {
		fclose(f);
		cli_die(EXIT_DATA, "%s", err.msg);
	}
	fclose(f);
	if (ser_train_restore(j->t, j->run_id, &c, &err) < 0)
		cli_die(EXIT_DATA, "%s: %s", o->resume, err.msg);
	ser_ckpt_free(&c);
	done = ser_train_epochs_done(j->t);
	if (o->log && !(j->logf = log_resume(o->log, done)))
		cli_die(EXIT_DATA, "%s: %s", o->log, strerror(errno));
	if (!o->quiet)
		cli_warn("resuming after epoch %ld of %ld (%s)", done, o->epochs, o->resume);
}

/* build -> run: the epochs. */
static void run(struct job *j)
{
	ser_train_hooks h = { j, on_batch, on_epoch };
	ser_train_epoch last;
	ser_error err;
	if (j->o.resume)
		resume(j);
	cli_catch_stop();
	if (ser_train_run(j->t, &h, &last, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	if (j->tty && last.seen < last.ntrain)   /* interrupted inside the epoch */
		fprintf(stderr, "\r\033[K");
}

/* Everything a run holds (the log closed by the caller when it is written). */
static void job_free(struct job *j)
{
	if (j->logf && j->logf != stdout)
		fclose(j->logf);
	ser_train_free(j->t);
	ser_aug_free(j->aug);
	ser_net_free(j->m.net);
	for (int c = 0; c < j->m.n_classes; c++)
		free(j->m.class_names[c]);
	free(j->m.class_names);
	free(j->m.feat_settings);
	free(j->m.norm_mean);
	free(j->m.norm_std);
	free(j->m.idct);
	free(j->rec.s);
	ser_ds_free(&j->ds);
	ser_labelmap_free(j->map);
	if (j->init)
		ser_model_free(j->init);
}

/* run -> save: the best model (the last without validation), the summary. */
static int finish(struct job *j)
{
	const struct opts *o = &j->o;
	const char *stopped = ser_train_stopped(j->t);
	long done = ser_train_epochs_done(j->t), nval = ser_train_count(j->t, SER_PART_VAL);
	ser_train_eval best;
	long best_epoch = ser_train_best(j->t, &best);
	char tail[512];
	if (done == 0) {
		cli_warn("interrupted before the first epoch ended: nothing saved");
		job_free(j);
		return EXIT_DATA;
	}
	if (o->average_from) {
		long k = ser_train_averaged(j->t);
		ser_train_use_average(j->t);
		if (k)
			snprintf(tail, sizeof tail, "epochs run: %ld (%s)\nweights: the mean of the network "
			         "after each of %ld steps from epoch %ld on\n", done, stopped, k,
			         o->average_from);
		else
			snprintf(tail, sizeof tail, "epochs run: %ld (%s)\nweights: the last epoch's "
			         "(stopped before epoch %ld, the first averaged)\n", done, stopped,
			         o->average_from);
	} else if (nval) {
		ser_train_use_best(j->t);
		snprintf(tail, sizeof tail, "epochs run: %ld (%s)\nbest epoch: %ld, val_acc %.4f "
		         "val_uar %.4f val_loss %.4f\n", done, stopped, best_epoch, best.acc, best.uar,
		         best.loss);
	} else {
		snprintf(tail, sizeof tail, "epochs run: %ld (%s)\nno validation: the last "
		         "epoch's model\n", done, stopped);
	}
	save(&j->m, o->out, &j->rec, tail);
	if (!o->quiet || cli_stop) {
		const char *where = cli_is_stdout(o->out) ? "standard output" : o->out;
		if (nval && !o->average_from)
			cli_warn("%s after %ld epoch%s; saved %s (best epoch %ld: val_acc %.4f val_uar %.4f)",
			         stopped, done, done == 1 ? "" : "s", where, best_epoch, best.acc, best.uar);
		else
			cli_warn("%s after %ld epoch%s; saved %s", stopped, done, done == 1 ? "" : "s", where);
	}
	if (j->logf && j->logf != stdout && fclose(j->logf) != 0)
		cli_die(EXIT_DATA, "%s: %s", o->log, strerror(errno));
	j->logf = NULL;
	job_free(j);
	cli_close_stdout();
	return aborted_utts ? EXIT_DATA : EXIT_OK;
}

/* The options, at file scope: the table points into po (and po_seed). */
static struct opts po;
static long po_seed;

static const cli_opt train_opts[] = {
	{ .name = "output", .key = 'o', .type = CLI_STR, .arg = "FILE", .dest = &po.out,
	  .help = "model file to write atomically (required); - is standard output (not a terminal), "
	          "written once at the end" },
	{ .name = "arch", .key = 'a', .type = CLI_STR, .arg = "NAME|SPEC", .dest = &po.arch,
	  .def = "default", .help = "seed, default (= cnn), cnn, cnn2d, cnn2d-wide (2D CNNs over log "
	          "mel energies, see --idct), or a layer spec string" },
	{ .name = "classes", .key = 'C', .type = CLI_STR, .arg = "LIST", .dest = &po.classes,
	  .about = "neutral,calm,happy,sad,angry,fearful,disgust,surprised; with --init the model's",
	  .help = "comma-separated class set and order" },
	{ .name = "init", .key = O_INIT, .type = CLI_STR, .arg = "MODEL", .dest = &po.init,
	  .help = "fine-tune MODEL: its architecture, feature settings, input normalisation and "
	          "parameters to start from (a new output layer for classes it lacks); the features "
	          "must match its settings" },
	{ .name = "train-layers", .key = O_TRAINL, .type = CLI_LONG, .arg = "N", .lo = 1, .hi = 1000,
	  .dest = &po.train_layers, .about = "all",
	  .help = "with --init, train only the last N layers that have parameters" },
	{ .name = "adapt-bn", .key = O_ADAPTBN, .type = CLI_FLAG, .dest = &po.adapt_bn,
	  .help = "with --init, no training: the model's batch-norm statistics re-estimated on "
	          "these features (no labels needed; weights, classes and input normalisation kept), "
	          "for recordings unlike the training data; passes of --crop windows, at least 300 "
	          "batches unless --epochs is given" },
	{ .name = "labels", .key = 'L', .type = CLI_STR, .arg = "FILE", .dest = &po.labels,
	  .about = "labels and speakers from RAVDESS/TESS/EmoDB/nEMO/ASED file names",
	  .help = "TSV map key<TAB>label[<TAB>speaker]" },
	{ .name = "val-speakers", .key = O_VAL, .type = CLI_STR, .arg = "LIST", .dest = &po.val,
	  .about = "none", .help = "comma-separated speakers held out for validation (e.g. "
	          "ravdess-17,ravdess-18); a speaker no input has is a usage error" },
	{ .name = "exclude-speakers", .key = O_EXCL, .type = CLI_STR, .arg = "LIST", .dest = &po.excl,
	  .about = "none", .help = "speakers dropped entirely; a speaker no input has is a usage error" },
	{ .name = "epochs", .key = 'E', .type = CLI_LONG, .arg = "N", .lo = 1, .hi = 1000000,
	  .dest = &po.epochs, .about = "1000 for seed, 15 with --init, else 60", .help = "epochs" },
	{ .name = "batch", .key = 'b', .type = CLI_LONG, .arg = "N", .lo = 1, .hi = 4096,
	  .dest = &po.batch, .def = "32", .help = "utterances per step" },
	{ .name = "batch-by", .key = O_BATCHBY, .type = CLI_CHOICE, .arg = "NAME", .choices = batchbys,
	  .dest = &po.batchby, .def = "any",
	  .help = "any = batches of any utterances; corpus or speaker = each batch from one corpus "
	          "or one speaker (by file name or label map), so batch norm learns on one at a time" },
	{ .name = "optim", .key = O_OPTIM, .type = CLI_CHOICE, .arg = "NAME", .choices = optims,
	  .dest = &po.optim, .about = "rmsprop for seed, else adamw", .help = "optimiser" },
	{ .name = "lr", .key = O_LR, .type = CLI_REAL, .arg = "X", .lo = 0, .hi = 10, .dest = &po.lr,
	  .about = "0.0003 with --init, else 0.001", .help = "learning rate" },
	{ .name = "weight-decay", .key = O_WD, .type = CLI_REAL, .arg = "X", .lo = 0, .hi = 1,
	  .dest = &po.wd, .about = "0.004", .help = "AdamW decoupled decay" },
	{ .name = "schedule", .key = O_SCHED, .type = CLI_CHOICE, .arg = "NAME", .choices = scheds,
	  .dest = &po.sched, .about = "constant for seed, else cosine",
	  .help = "cosine: 1 epoch warm-up, then to 0 at the last epoch" },
	{ .name = "patience", .key = O_PATIENCE, .type = CLI_LONG, .arg = "N", .lo = 0, .hi = 1000000,
	  .dest = &po.patience, .about = "0 for seed, else 20",
	  .help = "stop after N epochs without a better validation UAR; 0 = never" },
	{ .name = "crop", .key = O_CROP, .type = CLI_LONG, .arg = "N", .lo = 1, .hi = 100000,
	  .dest = &po.crop, .def = "200", .help = "frames per training crop (frame features only)" },
	{ .name = "trim-db", .key = O_TRIM, .type = CLI_REAL, .arg = "X", .lo = 0, .hi = SER_TRIM_DB_MAX,
	  .dest = &po.trim, .def = "0",
	  .help = "drop each utterance's leading and trailing frames more than X dB below its "
	          "loudest frame (voice-activity trimming, also applied by ser-classify); frame "
	          "features with their energy only; 0 = off" },
	{ .name = "norm", .key = O_NORM, .type = CLI_CHOICE, .arg = "NAME", .choices = norms,
	  .dest = &po.norm, .about = "none for pooled features, else utt",
	  .help = "input normalisation: utt = utterance mean removed then divided by the training "
	          "std, global = training mean and std, speaker = each speaker's own mean and std "
	          "(ser-classify --adapt gives a new speaker's), speaker-mean = the speaker's mean and "
	          "the training std, level = global with each crop's overall level (mean log mel "
	          "energy, or C0) taken away, speaker-level = speaker-mean with it" },
	{ .name = "class-weights", .key = O_CW, .type = CLI_CHOICE, .arg = "NAME", .choices = cws,
	  .dest = &po.cw, .about = "none for seed, else balanced",
	  .help = "balanced = classes weigh alike; corpus = every (corpus, class) pair weighs alike" },
	{ .name = "loss-classes", .key = O_LOSSCLS, .type = CLI_CHOICE, .arg = "NAME",
	  .choices = losscls, .dest = &po.losscls, .def = "corpus",
	  .help = "the loss of an utterance over all classes, or over those its corpus has (by file "
	          "name), so a corpus without calm teaches nothing about calm" },
	{ .name = "label-smoothing", .key = O_LS, .type = CLI_REAL, .arg = "X", .lo = 0, .hi = 0.99,
	  .dest = &po.ls, .about = "0 for seed, else 0.1", .help = "label smoothing" },
	{ .name = "specaug", .key = O_SPECAUG, .type = CLI_STR, .arg = "SPEC", .dest = &po.specaug,
	  .about = "none for seed and pooled features, else 20:2:6:2",
	  .help = "TW:TN:FW:FN time/frequency masks (up to TW frames, TN masks; up to FW "
	          "coefficients, FN masks) or none" },
	{ .name = "augment", .key = O_AUGMENT, .type = CLI_STR, .arg = "SPEC", .dest = &po.augment,
	  .about = "none", .help = "change training crops as if their audio had been changed: "
	          "comma-separated noise:P:LO:HI (white or pink noise at an SNR from LO to HI dB), "
	          "band:P (through an 8000 or 11025 Hz chain), gain:P:DB (down by up to DB dB over a "
	          "16-bit floor), warp:P:A (frequency stretch by 1-A..1+A, vocal tract length), "
	          "reverb:P:LO:HI (a room with T60 LO..HI s); P = probability per crop; or none" },
	{ .name = "idct", .key = O_IDCT, .type = CLI_STR, .arg = "auto|on|off", .dest = &po.idct,
	  .about = "auto", .help = "the model takes cepstra (dct ortho, n-ceps = n-mels) back to log "
	          "mel energies before its normalisation; auto: on for a 2D network (conv2d) on such "
	          "cepstra" },
	{ .name = "whole-utterance", .key = O_WHOLE, .type = CLI_FLAG, .dest = &po.whole,
	  .help = "the model classifies an utterance in one pass (default: as the mean over windows "
	          "of --crop frames every crop/4, as it was trained; also for validation)" },
	{ .name = "mixup", .key = O_MIXUP, .type = CLI_REAL, .arg = "ALPHA", .lo = 0, .hi = 100,
	  .dest = &po.mixup, .def = "0", .help = "mixup of batch pairs, weight drawn from "
	          "Beta(ALPHA, ALPHA) per batch; 0 = off" },
	{ .name = "speaker-mix", .key = O_SPKMIX, .type = CLI_STR, .arg = "P:ALPHA",
	  .dest = &po.spkmix, .about = "off",
	  .help = "with a per-speaker --norm: with probability P a training crop is centred on a "
	          "mixture of its speaker's class means (weights Dirichlet(ALPHA) over the classes "
	          "the speaker has) instead of the speaker's mean, as if the speaker's recordings "
	          "had another mix of emotions" },
	{ .name = "adversary", .key = O_ADV, .type = CLI_STR, .arg = "KIND:W[:H]", .dest = &po.adv,
	  .about = "off",
	  .help = "domain-adversarial training: a classifier of the utterance's corpus (KIND "
	          "corpus) or speaker (speaker), H hidden units (default 64), learns from the stats "
	          "layer's output while the network gets its gradient reversed, times W (0..100, "
	          "ramped up from 0 over the run), so as to learn what does not tell corpora or "
	          "speakers apart; not with --mixup or --adapt-bn" },
	{ .name = "average-from", .key = O_AVERAGE, .type = CLI_LONG, .arg = "N", .lo = 0,
	  .hi = 1000000, .dest = &po.average_from, .def = "0",
	  .help = "the model written is the mean of the network's parameters after every step of "
	          "epochs N to the last (weight averaging; validation then selects nothing); 0 = "
	          "off" },
	{ .name = "seed", .key = 'S', .type = CLI_LONG, .arg = "N", .lo = 0, .hi = 9.3e18,
	  .dest = &po_seed, .def = "1", .help = "random seed, up to 2^63-1" },
	{ .name = "threads", .key = 'j', .type = CLI_LONG, .arg = "N", .lo = 1, .hi = SER_NET_THREADS_MAX,
	  .dest = &po.threads, .about = "number of cores, at most 8", .help = "worker threads" },
	{ .name = "checkpoint", .key = O_CKPT, .type = CLI_STR, .arg = "FILE", .dest = &po.ckpt,
	  .help = "write the training state after every epoch (atomically)" },
	{ .name = "resume", .key = O_RESUME, .type = CLI_STR, .arg = "FILE", .dest = &po.resume,
	  .help = "continue the run whose checkpoint FILE is (the same command with --resume "
	          "added): the same model, byte for byte, as a run never interrupted" },
	{ .name = "log", .key = O_LOG, .type = CLI_STR, .arg = "FILE", .dest = &po.log, .about = "none",
	  .help = "per-epoch TSV: epoch train_loss train_acc val_loss val_acc val_uar lr seconds" },
	{ .name = "quiet", .key = 'q', .type = CLI_FLAG, .dest = &po.quiet, .help = "no progress on stderr" },
	{ .name = "utt2spk", .key = O_UTT2SPK, .type = CLI_STR, .arg = "FILE",
	  .help = "Kaldi utt2spk (UTTERANCE SPEAKER lines): the speakers (exact key, else both "
	          "without extensions; keys not in it keep the --labels or file name speaker)" },
	{ .name = "spk2utt", .key = O_SPK2UTT, .type = CLI_STR, .arg = "FILE",
	  .help = "the same from a Kaldi spk2utt (SPEAKER UTTERANCE...)" },
	{ .name = "settings", .key = O_SETTINGS, .type = CLI_STR, .arg = "S", .about = "none; archives refused",
	  .help = "the feature settings of Kaldi archive inputs (ark or .scp FILEs, which carry none): "
	          "a preset name, a settings text (KEY=VALUE ...) or a ser feature stream whose header "
	          "to use" },
	{ .name = NULL },
};

/* --adversary KIND:W[:H] into o's adv_ fields. */
static void adversary_option(struct opts *o)
{
	const char *c = strchr(o->adv, ':');
	char *end;
	size_t k = c ? (size_t)(c - o->adv) : 0;
	o->adv_hidden = 64;
	if (c && k == 6 && !strncmp(o->adv, "corpus", k))
		o->adv_kind = SER_ADV_CORPUS;
	else if (c && k == 7 && !strncmp(o->adv, "speaker", k))
		o->adv_kind = SER_ADV_SPEAKER;
	else
		cli_usage_error("--adversary: '%s': want corpus:W or speaker:W (W the weight, :H "
		                "hidden units may follow)", o->adv);
	o->adv_weight = strtod(c + 1, &end);
	if (end == c + 1 || (*end && *end != ':') || !(o->adv_weight >= 0 && o->adv_weight <= 100))
		cli_usage_error("--adversary: '%s': the weight W must be a number from 0 to 100",
		                o->adv);
	if (*end) {
		const char *h = end + 1;
		long v = strtol(h, &end, 10);
		if (end == h || *end || v < 1 || v > 4096)
			cli_usage_error("--adversary: '%s': hidden units H must be 1 to 4096", o->adv);
		o->adv_hidden = (int)v;
	}
}

/* The options of argv into o: the table's defaults, -1 for those chosen
 * after the architecture (epochs, optimiser, ...); optind is the first input. */
static void parse_options(struct opts *o, int argc, char **argv)
{
	int ch;
	const cli_spec cspec = { "ser-train", synopsis, intro, train_opts, outro };

	memset(&po, 0, sizeof po);
	po.epochs = po.patience = po.threads = -1;
	po.optim = po.sched = po.norm = po.cw = -1;
	po.lr = -1;
	po.wd = -1;
	po.ls = -1;
	while ((ch = cli_getopt(argc, argv, &cspec)) != -1) {
		switch (ch) {
		case 'a': po.arch_given = 1; break;
		case O_CROP: po.crop_set = 1; break;
		case O_TRIM: po.trim_given = 1; break;
		case O_UTT2SPK: case O_SPK2UTT:
			if (po.spkpath)
				cli_usage_error("only one of --utt2spk and --spk2utt");
			po.spkpath = cli_optarg;
			po.spk2utt = ch == O_SPK2UTT;
			break;
		case O_SETTINGS: {
			ser_error err;
			if (ser_kaldi_settings(cli_optarg, &kaldi_as, kaldi_text, sizeof kaldi_text, &err) < 0)
				cli_usage_error("--settings: %s", err.msg);
			break;
		}
		}
	}
	po.seed = (uint64_t)po_seed;
	if (po.adv)
		adversary_option(&po);
	*o = po;
}

int main(int argc, char **argv)
{
	struct opts o;
	parse_options(&o, argc, argv);
	if (!o.out)
		cli_usage_error("no output model given (-o FILE)");
	if (o.train_layers && !o.init)
		cli_usage_error("--train-layers needs --init (a model to fine-tune)");
	if (o.adapt_bn && !o.init)
		cli_usage_error("--adapt-bn needs --init (the model whose statistics to re-estimate)");
	if (o.adapt_bn && (o.train_layers || o.val || o.average_from || o.spkmix || o.classes ||
	                   o.lr >= 0 || o.wd >= 0 || o.mixup > 0 || o.specaug || o.augment ||
	                   o.ls >= 0 || o.cw >= 0 || o.optim >= 0 || o.sched >= 0))
		cli_usage_error("--adapt-bn trains nothing: no --train-layers, --val-speakers, "
		                "--average-from, --speaker-mix, --classes, --lr, --weight-decay, "
		                "--optim, --schedule, --mixup, --specaug, --augment, "
		                "--label-smoothing or --class-weights with it");
	if (o.adv && (o.adapt_bn || o.mixup > 0))
		cli_usage_error("--adversary is not for %s", o.adapt_bn ? "--adapt-bn (it trains "
		                "nothing)" : "--mixup (a mixed crop has two corpora or speakers)");
	check_outputs(&o, argv + optind, argc - optind);
	o.out_stream = cli_is_stdout(o.out) || is_stream(o.out);
	if (o.patience > 0 && !o.val)
		cli_usage_error("--patience needs --val-speakers (it counts epochs without a better "
		                "validation UAR)");

	struct job j;
	memset(&j, 0, sizeof j);
	j.o = o;
	build(&j, argc - optind, argv + optind);
	record(&j, argc, argv);
	run(&j);
	return finish(&j);
}
