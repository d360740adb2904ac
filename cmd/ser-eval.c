/* ser-eval: ser-classify output plus truth to accuracy, UAR, per-class
 * precision/recall/F1 and a confusion matrix (text, JSON, SVG), and with
 * --by the same scores per corpus or per speaker.
 * Rules for the scores in lib/metrics.h; manual in ser-eval(1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootstrap.h"
#include "cli.h"
#include "labels.h"
#include "metrics.h"
#include "outfile.h"
#include "spkmap.h"
#include "strindex.h"

static const char synopsis[] =
	"Usage: ser-eval [-J] [-T TRUTH.tsv] [-C LIST] [-B KIND]... [--svg OUT.svg]\n"
	"                [--utt2spk FILE|--spk2utt FILE] [--bootstrap N [--seed S]] [FILE...]\n";

static const char intro[] =
"Compares ser-classify output (key<TAB>label<TAB>confidence[<TAB>p...] lines\n"
"or JSON lines, from the FILEs or standard input; '-' is standard input)\n"
"with the truth and prints accuracy, unweighted average recall (UAR), macro\n"
"F1, per-class precision/recall/F1 and the confusion matrix.\n";

static const char outro[] =
"Lines whose truth is unknown or outside the classes are skipped (one\n"
"warning with a count); predictions outside the classes count as errors;\n"
"a key seen again is counted once (the first line), with a warning.\n"
"Exit status: 0 ok, 1 usage error, 2 bad input line, I/O error, or no\n"
"labelled lines.\n";

#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- a set of keys seen, for duplicates ---- */
typedef struct keyset {
	char **key;         /* (n) owned strings, in the order added */
	size_t n, cap;
	ser_strindex index; /* of key */
} keyset;

static const char *keyset_key(const void *ctx, size_t k, size_t *n)
{
	const char *key = ((const keyset *)ctx)->key[k];
	*n = strlen(key);
	return key;
}

/* 1 if key was already in the set, else adds it and returns 0. */
static int keyset_add(keyset *ks, const char *key)
{
	size_t n = strlen(key);
	if (ser_strindex_find(&ks->index, key, n, keyset_key, ks))
		return 1;
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 512;
		ks->key = cli_realloc(ks->key, ks->cap * sizeof *ks->key);
	}
	ks->key[ks->n] = cli_strdup(key);
	if (ser_strindex_insert(&ks->index, ks->n, key, n, keyset_key, ks) < 0)
		cli_die(EXIT_DATA, "out of memory");
	ks->n++;
	return 0;
}

static void keyset_free(keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->key[i]);
	free(ks->key);
	ser_strindex_free(&ks->index);
}

/* A count of skipped lines with the first example, for one warning. */
typedef struct tally {
	long n;
	char first[256];
} tally;

static void tally_add(tally *t, const char *key, const char *label)
{
	if (t->n++ == 0) {
		if (label)
			snprintf(t->first, sizeof t->first, "%.160s '%.60s'", key, label);
		else
			snprintf(t->first, sizeof t->first, "%.200s", key);
	}
}

typedef struct eval {
	ser_classes cls;
	const ser_labelmap *truth;
	ser_confusion cm;
	keyset seen;
	tally unknown, outside, other, dup;
	ser_groups *by[2];       /* per by_kind[b], or NULL when not asked for */
	const ser_spkmap *spk;   /* --utt2spk/--spk2utt, or NULL */
	int *t, *q;              /* (n) truth and prediction per counted line, for --bootstrap */
	size_t n, cap;
	int keep;                /* store them */
} eval;

/* --by: the tables, in the order they are printed */
static const char *const by_names[] = { "corpus", "speaker", NULL };
static const int by_kind[] = { SER_BY_CORPUS, SER_BY_SPEAKER };

static void eval_file(eval *ev, FILE *f, const char *name)
{
	ser_error err;
	ser_pred p;
	ser_label_info li;
	ser_predreader *r = ser_predreader_new(f, name, &err);
	int k;
	if (!r) {
		cli_report(NULL, &err);
		exit(EXIT_DATA);
	}
	while ((k = ser_predreader_next(r, &p, &err)) > 0) {
		if (keyset_add(&ev->seen, p.key)) {
			tally_add(&ev->dup, p.key, NULL);
			continue;
		}
		if (!ser_label_resolve(ev->truth, p.key, &li)) {
			const ser_labelmap_entry *clash;
			if (ev->truth && !ser_labelmap_match(ev->truth, p.key, &clash) && clash)
				cli_die(EXIT_DATA, "%s: key %s matches two truth keys without their extensions "
				        "(%s on line %ld, and another before it): give the full key", name, p.key,
				        clash->key, clash->line);
			tally_add(&ev->unknown, p.key, NULL);
			continue;
		}
		int t = ser_classes_index(&ev->cls, li.emotion);
		if (t < 0) {
			tally_add(&ev->outside, p.key, li.emotion);
			continue;
		}
		int q = ser_classes_index(&ev->cls, p.label);
		if (q < 0)
			tally_add(&ev->other, p.key, p.label);
		ser_confusion_add(&ev->cm, t, q);
		if (ev->spk) {
			int clash;
			const char *sp = ser_spkmap_get(ev->spk, p.key, &clash);
			if (clash)
				cli_die(EXIT_DATA, "%s: key %s matches two utterances of the speaker map without their "
				        "extensions: give the full key", name, p.key);
			if (sp)
				snprintf(li.speaker, sizeof li.speaker, "%s", sp);
		}
		if (ev->keep) {
			if (ev->n == ev->cap) {
				ev->cap = ev->cap ? 2 * ev->cap : 1024;
				ev->t = cli_realloc(ev->t, ev->cap * sizeof *ev->t);
				ev->q = cli_realloc(ev->q, ev->cap * sizeof *ev->q);
			}
			ev->t[ev->n] = t;
			ev->q[ev->n++] = q;
		}
		for (int b = 0; b < 2; b++)
			if (ev->by[b] && ser_groups_add(ev->by[b], ser_label_group(&li, by_kind[b]), t, q, &err) < 0) {
				cli_report(NULL, &err);
				exit(EXIT_DATA);
			}
	}
	if (k < 0) {
		cli_report(NULL, &err);
		exit(EXIT_DATA);
	}
	ser_predreader_free(r);
}

/* ---- scores per group (--by) ---- */
typedef struct table {
	const char *kind;          /* "corpus", "speaker" */
	ser_group_score *row;      /* (n) sorted by name */
	size_t n;
	ser_group_mean mean;
} table;

static int score_tables(eval *ev, table *tab)
{
	int nt = 0;
	for (int b = 0; b < 2; b++) {
		if (!ev->by[b])
			continue;
		table *t = &tab[nt++];
		t->kind = by_names[b];
		t->n = ser_groups_count(ev->by[b]);
		t->row = cli_calloc(t->n, sizeof *t->row);
		ser_groups_score(ev->by[b], t->row, &t->mean);
	}
	return nt;
}

/* ---- text report ---- */
static int name_width(const eval *ev)
{
	int w = 7; /* "(other)" */
	for (int i = 0; i < ev->cls.n; i++) {
		int l = (int)strlen(ev->cls.name[i]);
		if (l > w)
			w = l;
	}
	return w;
}

/* One row per group, then (mean); the five columns after the name are the
 * last five fields of each line, whatever bytes the name holds. */
static void report_table_text(const table *t)
{
	static const char mean_name[] = "(mean)";
	int w = (int)strlen(mean_name);
	if ((int)strlen(t->kind) > w)
		w = (int)strlen(t->kind);
	for (size_t i = 0; i < t->n; i++)
		if ((int)strlen(t->row[i].name) > w)
			w = (int)strlen(t->row[i].name);
	printf("\nper %s (%zu group%s; a group's UAR is over the classes in its truth; "
	       "(mean): unweighted mean of the rows)\n", t->kind, t->n, t->n == 1 ? "" : "s");
	printf("%-*s  %10s  %8s  %6s  %8s  %7s\n", w, t->kind, "utterances", "accuracy", "UAR", "macro F1", "classes");
	for (size_t i = 0; i < t->n; i++) {
		const ser_metrics *m = &t->row[i].m;
		printf("%-*s  %10ld  %8.4f  %6.4f  %8.4f  %7d\n", w, t->row[i].name, m->total, m->accuracy, m->uar,
		       m->macro_f1, m->n_truth);
	}
	printf("%-*s  %10ld  %8.4f  %6.4f  %8.4f  %7s\n", w, mean_name, t->mean.total, t->mean.accuracy,
	       t->mean.uar, t->mean.macro_f1, "-");
}

/* --bootstrap: the intervals, resamples and seed (reps 0: none) */
static struct { long reps; uint64_t seed; ser_ci acc, uar; } boot;

static void report_text(const eval *ev, const ser_metrics *s, const ser_class_metrics *q,
                        const table *tab, int nt)
{
	int n = ev->cls.n, w = name_width(ev);
	int ncol = n + (s->other > 0);
	printf("utterances  %ld\n", s->total);
	printf("accuracy    %.4f  (%ld/%ld)\n", s->accuracy, s->correct, s->total);
	printf("UAR         %.4f  (mean recall over %d classes in the truth)\n", s->uar, s->n_truth);
	if (boot.reps) {
		printf("accuracy    95%% CI [%.4f, %.4f]  (bootstrap: %ld resamples of the utterances, seed %llu)\n",
		       boot.acc.lo, boot.acc.hi, boot.reps, (unsigned long long)boot.seed);
		printf("UAR         95%% CI [%.4f, %.4f]\n", boot.uar.lo, boot.uar.hi);
	}
	printf("macro F1    %.4f  (mean over %d classes in truth or predictions)\n", s->macro_f1, s->n_f1);
	if (s->other)
		printf("other       %ld  (predictions outside the classes, counted as errors)\n", s->other);
	printf("\n%-*s  %9s  %9s  %9s  %7s\n", w, "class", "precision", "recall", "f1", "support");
	for (int i = 0; i < n; i++)
		printf("%-*s  %9.4f  %9.4f  %9.4f  %7ld\n", w, ev->cls.name[i],
		       q[i].precision, q[i].recall, q[i].f1, q[i].support);
	printf("\nconfusion matrix (rows: truth, columns: prediction)\n%-*s", w, "");
	int cw[SER_CLASSES_MAX + 1];
	for (int j = 0; j < ncol; j++) {
		const char *h = j < n ? ev->cls.name[j] : "(other)";
		long mx = 0;
		for (int i = 0; i < n; i++)
			if (ser_confusion_at(&ev->cm, i, j) > mx)
				mx = ser_confusion_at(&ev->cm, i, j);
		int dw = snprintf(NULL, 0, "%ld", mx);
		cw[j] = (int)strlen(h) > dw ? (int)strlen(h) : dw;
		printf("  %*s", cw[j], h);
	}
	putchar('\n');
	for (int i = 0; i < n; i++) {
		printf("%-*s", w, ev->cls.name[i]);
		for (int j = 0; j < ncol; j++)
			printf("  %*ld", cw[j], ser_confusion_at(&ev->cm, i, j));
		putchar('\n');
	}
	for (int k = 0; k < nt; k++)
		report_table_text(&tab[k]);
}

/* ---- JSON summary ---- */
static void json_str(FILE *f, const char *s)
{
	char buf[4 * SER_LABEL_MAX + 512];
	size_t n = ser_json_escape(buf, sizeof buf, s);
	if (n >= sizeof buf) {
		char *b = cli_realloc(NULL, n + 1);
		ser_json_escape(b, n + 1, s);
		fprintf(f, "\"%s\"", b);
		free(b);
	} else {
		fprintf(f, "\"%s\"", buf);
	}
}

/* ,\n "by_KIND": {"groups": [{...}, ...], "mean": {...}} */
static void report_table_json(const table *t)
{
	printf(",\n \"by_%s\": {\"groups\": [", t->kind);
	for (size_t i = 0; i < t->n; i++) {
		const ser_metrics *m = &t->row[i].m;
		printf("%s\n  {\"name\": ", i ? "," : "");
		json_str(stdout, t->row[i].name);
		printf(", \"utterances\": %ld, \"correct\": %ld, \"accuracy\": %.10g, \"uar\": %.10g, "
		       "\"macro_f1\": %.10g, \"uar_classes\": %d, \"f1_classes\": %d, \"predicted_outside\": %ld}",
		       m->total, m->correct, m->accuracy, m->uar, m->macro_f1, m->n_truth, m->n_f1, m->other);
	}
	printf("],\n  \"mean\": {\"groups\": %zu, \"utterances\": %ld, \"accuracy\": %.10g, \"uar\": %.10g, "
	       "\"macro_f1\": %.10g}}", t->n, t->mean.total, t->mean.accuracy, t->mean.uar, t->mean.macro_f1);
}

static void report_json(const eval *ev, const ser_metrics *s, const ser_class_metrics *q,
                        const table *tab, int nt)
{
	int n = ev->cls.n;
	printf("{\"utterances\": %ld, \"correct\": %ld, \"accuracy\": %.10g, \"uar\": %.10g, "
	       "\"macro_f1\": %.10g,\n", s->total, s->correct, s->accuracy, s->uar, s->macro_f1);
	printf(" \"uar_classes\": %d, \"f1_classes\": %d, \"predicted_outside\": %ld,\n",
	       s->n_truth, s->n_f1, s->other);
	if (boot.reps)
		printf(" \"bootstrap\": {\"resamples\": %ld, \"seed\": %llu, \"accuracy_ci95\": [%.10g, %.10g], "
		       "\"uar_ci95\": [%.10g, %.10g]},\n", boot.reps, (unsigned long long)boot.seed, boot.acc.lo,
		       boot.acc.hi, boot.uar.lo, boot.uar.hi);
	printf(" \"skipped\": {\"unknown_truth\": %ld, \"truth_outside\": %ld, \"duplicate_keys\": %ld},\n",
	       ev->unknown.n, ev->outside.n, ev->dup.n);
	printf(" \"classes\": [");
	for (int i = 0; i < n; i++) {
		printf(i ? ", " : "");
		json_str(stdout, ev->cls.name[i]);
	}
	printf("],\n \"per_class\": [");
	for (int i = 0; i < n; i++) {
		printf("%s\n  {\"class\": ", i ? "," : "");
		json_str(stdout, ev->cls.name[i]);
		printf(", \"precision\": %.10g, \"recall\": %.10g, \"f1\": %.10g, \"support\": %ld, "
		       "\"predicted\": %ld}", q[i].precision, q[i].recall, q[i].f1, q[i].support, q[i].predicted);
	}
	printf("],\n \"confusion\": [");
	for (int i = 0; i < n; i++) {
		printf("%s\n  [", i ? "," : "");
		for (int j = 0; j < n; j++)
			printf("%s%ld", j ? ", " : "", ser_confusion_at(&ev->cm, i, j));
		printf("]");
	}
	printf("],\n \"confusion_other\": [");
	for (int i = 0; i < n; i++)
		printf("%s%ld", i ? ", " : "", ser_confusion_at(&ev->cm, i, -1));
	printf("]");
	for (int k = 0; k < nt; k++)
		report_table_json(&tab[k]);
	printf("}\n");
}

/* ---- SVG picture ---- */
static void xml_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Confusion matrix as SVG: cells coloured by the row-normalised fraction
 * (white 0 -> dark blue 1), count and row percentage in each cell. */
static void draw_svg(FILE *f, const eval *ev, const ser_metrics *s, const ser_class_metrics *q)
{
	const int cell = 64;                     /* px */
	int n = ev->cls.n, ncol = n + (s->other > 0);
	int lw = 7 * name_width(ev) + 24;        /* px, row labels (about 7 px a character at 12 px) */
	int top = 60 + 7 * name_width(ev);       /* px, title + rotated column labels */
	int W = lw + ncol * cell + 40, H = top + n * cell + 50;
	if (W < 480)
		W = 480;                             /* px, room for the title */
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
	fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">"
	        "accuracy %.1f%%, UAR %.1f%%, macro F1 %.1f%% (%ld utterances)</text>\n",
	        W / 2, 100 * s->accuracy, 100 * s->uar, 100 * s->macro_f1, s->total);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-style=\"italic\">prediction</text>\n",
	        lw + ncol * cell / 2, 44);
	fprintf(f, "<text text-anchor=\"middle\" font-style=\"italic\" "
	        "transform=\"translate(16,%d) rotate(-90)\">truth</text>\n", top + n * cell / 2);
	for (int j = 0; j < ncol; j++) {
		int x = lw + j * cell + cell / 2, y = top - 8;
		fprintf(f, "<text transform=\"translate(%d,%d) rotate(-45)\">", x, y);
		xml_str(f, j < n ? ev->cls.name[j] : "(other)");
		fputs("</text>\n", f);
	}
	for (int i = 0; i < n; i++) {
		int y = top + i * cell;
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 8, y + cell / 2 + 4);
		xml_str(f, ev->cls.name[i]);
		fputs("</text>\n", f);
		for (int j = 0; j < ncol; j++) {
			long c = ser_confusion_at(&ev->cm, i, j);
			double r = q[i].support ? (double)c / (double)q[i].support : 0.0;
			int x = lw + j * cell;
			int R = (int)(255 - r * (255 - 8) + 0.5), G = (int)(255 - r * (255 - 48) + 0.5),
			    B = (int)(255 - r * (255 - 107) + 0.5);
			const char *tc = r > 0.5 ? "white" : "black";
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" "
			        "stroke=\"#999\" stroke-width=\"0.5\"/>\n", x, y, cell, cell, R, G, B);
			fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" style=\"fill:%s\" font-size=\"14\">%ld</text>\n",
			        x + cell / 2, y + cell / 2, tc, c);
			if (q[i].support)
				fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" style=\"fill:%s\" font-size=\"10\">"
				        "%.1f%%</text>\n", x + cell / 2, y + cell / 2 + 15, tc, 100 * r);
		}
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#555\">colour and %%: share of the "
	        "row (true class)</text>\n", lw, top + n * cell + 24);
	fputs("</svg>\n", f);
}

/* Writes the SVG to path with ser_out_open: a device or FIFO in place,
 * else atomically (a reader never sees half a picture). */
static void write_svg(const char *path, const eval *ev, const ser_metrics *s, const ser_class_metrics *q)
{
	ser_error err;
	ser_out *o = ser_out_open(path, &err);
	if (!o) {
		cli_report(path, &err);
		exit(err.code == SER_EINVAL ? EXIT_USAGE : EXIT_DATA);
	}
	draw_svg(ser_out_file(o), ev, s, q);
	if (ser_out_commit(o, &err) < 0) {
		cli_report(path, &err);
		exit(EXIT_DATA);
	}
}

/* --svg checked before any input is read: writable, and not one of the n
 * inputs (none: standard input) or the truth map, which it would destroy. */
static void check_svg(const char *svg, const char *truth, char **in, int n)
{
	static const char *const std_in[] = { "-" };
	if (cli_is_stdout(svg)) {
		cli_check_stdout_not_input(n ? (const char *const *)in : std_in, n ? n : 1);
		return;
	}
	cli_check_output("--svg", svg);
	cli_check_not_input("--svg", svg, n ? (const char *const *)in : std_in, n ? n : 1);
	if (truth)
		cli_check_not_input("--svg", svg, &truth, 1);
}

/* The options (file scope: the table points into eo). */
static struct {
	const char *truth, *classes, *svg, *spkpath;
	int json, by[2], spk2utt, seed_given;
	long reps, seed;
} eo;

static const cli_opt opts[] = {
	{ .name = "truth", .key = 'T', .type = CLI_STR, .arg = "FILE", .dest = &eo.truth,
	  .help = "TSV map key<TAB>label[<TAB>speaker]; a key matches exactly, else by its file "
	          "name, else by that name without extension, else both without extensions (a.flac "
	          "in the map matches a.wav; two map keys of that name are an error) (default: truth "
	          "from RAVDESS, TESS, EmoDB, nEMO or ASED file names in the keys)" },
	{ .name = "utt2spk", .key = 257, .type = CLI_STR, .arg = "FILE",
	  .help = "Kaldi utt2spk (UTTERANCE SPEAKER lines): the speakers of --by speaker (keys "
	          "matched as for --truth; keys not in it keep the truth map's or file name's speaker)" },
	{ .name = "spk2utt", .key = 258, .type = CLI_STR, .arg = "FILE",
	  .help = "the same from a Kaldi spk2utt (SPEAKER UTTERANCE... lines)" },
	{ .name = "bootstrap", .key = 259, .type = CLI_LONG, .arg = "N", .lo = 1,
	  .hi = SER_BOOTSTRAP_MAX, .dest = &eo.reps, .about = "none",
	  .help = "95% confidence intervals of accuracy and UAR from N resamples of the utterances "
	          "(percentile method; 1000 is usual)" },
	{ .name = "seed", .key = 260, .type = CLI_LONG, .arg = "S", .lo = 0, .hi = 9.3e18,
	  .dest = &eo.seed, .def = "1", .help = "the resamples' seed" },
	{ .name = "classes", .key = 'C', .type = CLI_STR, .arg = "LIST", .dest = &eo.classes,
	  .help = "comma-separated class names, 1.." STR(SER_CLASSES_MAX) " of them (default: "
	          "neutral,calm,happy,sad,angry,fearful,disgust,surprised)" },
	{ .name = "by", .key = 'B', .type = CLI_CHOICE, .arg = "KIND", .choices = by_names,
	  .help = "after the report, a table of the scores per group: corpus (from the key's file "
	          "name, else none) or speaker (the map's third field, else from the file name, else "
	          "unknown); give it twice for both tables (corpus first); rows sorted by name, then "
	          "(mean), the unweighted mean of the rows; a group's UAR is over the classes in that "
	          "group's truth" },
	{ .name = "json", .key = 'J', .type = CLI_FLAG, .dest = &eo.json,
	  .help = "print a JSON summary instead of the text report" },
	{ .name = "svg", .key = 256, .type = CLI_STR, .arg = "FILE", .dest = &eo.svg,
	  .help = "also draw the confusion matrix as SVG into FILE (written atomically: temporary "
	          "file, then rename); - is standard output, instead of the report" },
	{ .name = NULL },
};

/* The command line into eo and boot, with the checks between options. */
static void parse(int argc, char **argv)
{
	const cli_spec spec = { "ser-eval", synopsis, intro, opts, outro };
	int c;
	while ((c = cli_getopt(argc, argv, &spec)) != -1) {
		if (c == 'B')
			eo.by[(int)cli_optnum] = 1;
		else if (c == 257 || c == 258) {
			if (eo.spkpath)
				cli_usage_error("only one of --utt2spk and --spk2utt");
			eo.spkpath = cli_optarg;
			eo.spk2utt = c == 258;
		} else if (c == 260)
			eo.seed_given = 1;
	}
	boot.reps = eo.reps;
	boot.seed = (uint64_t)eo.seed;
	if (eo.seed_given && !boot.reps)
		cli_usage_error("--seed applies to --bootstrap");
	if (eo.spkpath && !eo.by[1])
		cli_usage_error("%s gives speakers for --by speaker, which is not asked for",
		                eo.spk2utt ? "--spk2utt" : "--utt2spk");
	if (eo.svg)
		check_svg(eo.svg, eo.truth, argv + optind, argc - optind);
}

/* The warnings of what was skipped or counted as an error. */
static void warn_skipped(const eval *ev, const ser_labelmap *map)
{
	if (ev->dup.n)
		cli_warn("%ld line%s with a key seen before, counted once (first: %s)",
		         ev->dup.n, ev->dup.n == 1 ? "" : "s", ev->dup.first);
	if (ev->unknown.n)
		cli_warn("%ld line%s skipped: truth unknown%s (first: %s)", ev->unknown.n,
		         ev->unknown.n == 1 ? "" : "s", map ? " (key not in the truth map)"
		         : " (key is not a RAVDESS/TESS/EmoDB/nEMO/ASED name; use --truth)", ev->unknown.first);
	if (ev->outside.n)
		cli_warn("%ld line%s skipped: true label not in the classes (first: %s)",
		         ev->outside.n, ev->outside.n == 1 ? "" : "s", ev->outside.first);
	if (ev->other.n)
		cli_warn("%ld prediction%s outside the classes, counted as errors (first: %s)",
		         ev->other.n, ev->other.n == 1 ? "" : "s", ev->other.first);
}

int main(int argc, char **argv)
{
	ser_spkmap *spk = NULL;
	ser_error err;
	static eval ev;
	parse(argc, argv);
	if (eo.spkpath && !(spk = ser_spkmap_load(eo.spkpath, eo.spk2utt, &err))) {
		cli_report(NULL, &err);
		return EXIT_DATA;
	}
	ev.spk = spk;
	ev.keep = boot.reps > 0;
	if (eo.classes) {
		if (ser_classes_parse(&ev.cls, eo.classes, &err) < 0)
			cli_usage_error("--classes: %s", err.msg);
	} else {
		ser_classes_default(&ev.cls);
	}
	ser_labelmap *map = NULL;
	if (eo.truth && !(map = ser_labelmap_load(eo.truth, &err))) {
		cli_report(NULL, &err);
		return EXIT_DATA;
	}
	ev.truth = map;
	if (ser_confusion_init(&ev.cm, ev.cls.n, &err) < 0) {
		cli_report(NULL, &err);
		return EXIT_DATA;
	}
	for (int b = 0; b < 2; b++)
		if (eo.by[b] && !(ev.by[b] = ser_groups_new(ev.cls.n, &err))) {
			cli_report(NULL, &err);
			return EXIT_DATA;
		}

	if (optind == argc) {
		eval_file(&ev, stdin, "-");
	} else {
		for (int i = optind; i < argc; i++) {
			if (strcmp(argv[i], "-") == 0) {
				eval_file(&ev, stdin, "-");
				continue;
			}
			FILE *f = fopen(argv[i], "r");
			if (!f)
				cli_die(EXIT_DATA, "%s: %s", argv[i], strerror(errno));
			eval_file(&ev, f, argv[i]);
			fclose(f);
		}
	}

	warn_skipped(&ev, map);

	ser_metrics s;
	ser_class_metrics q[SER_CLASSES_MAX];
	ser_metrics_compute(&ev.cm, &s, q);
	if (s.total == 0)
		cli_die(EXIT_DATA, "no labelled lines");
	if (boot.reps && ser_bootstrap(ev.t, ev.q, ev.n, ev.cls.n, boot.reps, boot.seed, &boot.acc, &boot.uar,
	                               &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	table tab[2];
	int nt = score_tables(&ev, tab);
	if (cli_is_stdout(eo.svg))
		draw_svg(stdout, &ev, &s, q);
	else if (eo.json)
		report_json(&ev, &s, q, tab, nt);
	else
		report_text(&ev, &s, q, tab, nt);
	if (eo.svg && !cli_is_stdout(eo.svg))
		write_svg(eo.svg, &ev, &s, q);
	for (int k = 0; k < nt; k++)
		free(tab[k].row);
	for (int b = 0; b < 2; b++)
		ser_groups_free(ev.by[b]);
	ser_confusion_free(&ev.cm);
	ser_labelmap_free(map);
	keyset_free(&ev.seen);
	ser_spkmap_free(spk);
	free(ev.t);
	free(ev.q);
	cli_close_stdout();
	return EXIT_OK;
}
