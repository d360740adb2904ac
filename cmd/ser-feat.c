/* ser-feat: look inside feature files and convert them. See ser-feat(1). */
#include "cli.h"
#include "featio.h"
#include "kaldi.h"
#include "mfcc.h"
#include "outfile.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char synopsis[] =
	"Usage: ser-feat info [--settings S] FILE...\n"
	"       ser-feat keys [--settings S] FILE...\n"
	"       ser-feat copy --to ser|text|ark|raw|npy|npz [--keys LIST|--keys-from FILE]\n"
	"                [--settings S] [-o FILE] FILE...\n";

enum { O_TO = 256, O_KEYS, O_KEYSFROM, O_SETTINGS };

static void usage(void)
{
	printf("%s", synopsis);
	printf(
	"Reads ser feature streams, Kaldi archives (binary or text) and Kaldi scp\n"
	"files (FILE.scp), like Kaldi's feat-to-dim, feat-to-len and copy-feats. FILE -\n"
	"is stdin.\n"
	"\n"
	"  info    per FILE: format, dimension, rate, frame shift and length, settings\n"
	"          fingerprint and text, utterances, frames, aborted utterances\n"
	"  keys    a line per utterance: key<TAB>frames (aborted ones: <TAB>aborted)\n"
	"  copy    the utterances of every FILE, in order, to stdout in one format\n"
	"          (the FILEs must have the same settings); aborted utterances stay\n"
	"          aborted where the format can say it (ser, text) and are dropped\n"
	"          elsewhere\n"
	"\n"
	"      --to FMT           copy: ser (feature stream), text (Kaldi text archive),\n"
	"                         ark (Kaldi binary archive), raw (float32, no keys), npy\n"
	"                         (one utterance), npz (KEY.npy arrays in a zip)\n"
	"      --keys LIST        copy: only these keys (comma-separated)\n"
	"      --keys-from FILE   copy: only the keys that begin FILE's lines (a key\n"
	"                         list, an scp, utt2spk, a truth map); a listed key\n"
	"                         found in no FILE is an error\n"
	"      --settings S       the settings of Kaldi archive inputs, which carry\n"
	"                         none: a preset, a settings text (KEY=VALUE ...) or a\n"
	"                         ser feature stream whose header to use (default:\n"
	"                         none; archives refused)\n"
	"  -o, --output FILE      copy: write to FILE, replaced when complete (default:\n"
	"                         stdout)\n"
	"  -h, --help             print this help and exit\n"
	"\n"
	"Exit status: 0 ok, 1 usage error, 2 input or output error (other FILEs are\n"
	"still read by info and keys).\n");
}

static const ser_feat_info *as;   /* --settings, or NULL */

/* Opens name as any feature input; NULL after reporting it. f: set to the
 * stream to close (NULL for stdin and scp files). */
static ser_fr *open_input(const char *name, FILE **f)
{
	ser_error err;
	ser_fr *r;
	*f = NULL;
	if (ser_kaldi_is_scp(name)) {
		r = ser_kaldi_open_scp(name, as, &err);
	} else {
		FILE *s = strcmp(name, "-") ? fopen(name, "rb") : stdin;
		if (!s) {
			cli_warn("%s: %s", name, strerror(errno));
			return NULL;
		}
		if (s != stdin)
			*f = s;
		r = ser_fr_open_as(s, name, as, &err);
	}
	if (!r) {
		cli_report(name, &err);
		if (*f)
			fclose(*f);
		*f = NULL;
	}
	return r;
}

static void close_input(ser_fr *r, FILE *f)
{
	ser_fr_free(r);
	if (f)
		fclose(f);
}

static const char *format_name(const char *name, int is_ser)
{
	return ser_kaldi_is_scp(name) ? "kaldi scp" : is_ser ? "ser feature stream" : "kaldi archive";
}

/* info or keys of one input; 0 or EXIT_DATA (reported). */
static int scan(const char *name, int keys)
{
	FILE *f;
	ser_fr *r = open_input(name, &f);
	ser_fr_ev ev;
	ser_error err;
	uint64_t utts = 0, frames = 0, aborted = 0;
	int rc;
	if (!r)
		return EXIT_DATA;
	while ((rc = ser_fr_next(r, &ev, &err)) > 0) {
		if (ev.type == SER_FR_END || ev.type == SER_FR_ABORT) {
			if (keys)
				printf("%s\t%zu%s\n", ev.key, ev.n, ev.type == SER_FR_ABORT ? "\taborted" : "");
			if (ev.type == SER_FR_END) {
				utts++;
				frames += ev.n;
			} else {
				aborted++;
			}
		}
	}
	if (!keys) {
		const ser_feat_info *in = ser_fr_info(r);
		printf("file: %s\nformat: %s\ndim: %" PRIu32 "\nrate: %" PRIu32 "\nshift: %" PRIu32
		       "\nlength: %" PRIu32 "\nfingerprint: %016" PRIx64 "\nsettings: %s\nutterances: %" PRIu64
		       "\nframes: %" PRIu64 "\naborted: %" PRIu64 "\n", name, format_name(name, !ser_fr_foreign(r)), in->dim,
		       in->rate, in->shift, in->length, in->fingerprint, in->settings, utts, frames, aborted);
	}
	if (rc < 0)
		cli_report(name, &err);
	close_input(r, f);
	return rc < 0 ? EXIT_DATA : 0;
}

/* ---- copy ---- */

struct keyset {
	char **k;                 /* sorted */
	unsigned char *seen;
	size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void keyset_add(struct keyset *s, const char *k, size_t len)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->k = cli_realloc(s->k, s->cap * sizeof *s->k);
	}
	if (!(s->k[s->n] = strndup(k, len)))
		cli_die(EXIT_DATA, "out of memory");
	s->n++;
}

static void keyset_done(struct keyset *s)
{
	if (s->n)
		qsort(s->k, s->n, sizeof *s->k, cmp_str);
	s->seen = cli_calloc(s->n, 1);
}

static long keyset_find(const struct keyset *s, const char *k)
{
	char **p = s->n ? bsearch(&k, s->k, s->n, sizeof *s->k, cmp_str) : NULL;
	return p ? p - s->k : -1;
}

static void keys_from_list(struct keyset *s, const char *list)
{
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");
		if (l == 0)
			cli_usage_error("--keys: empty key in '%s'", list);
		keyset_add(s, p, l);
		p += l;
		if (*p)
			p++;
	}
}

static void keys_from_file(struct keyset *s, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	if (!f)
		cli_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		char *p = line + strspn(line, " \t");
		size_t l = strcspn(p, " \t\r\n");
		if (l && *p != '#')
			keyset_add(s, p, l);
	}
	if (ferror(f))
		cli_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
}

static ser_out *pending;   /* -o not yet committed: removed at an exit on error */

static void drop_pending(void)
{
	ser_out_abort(pending);
	pending = NULL;
}

static void write_failed(const char *out, const ser_error *err)
{
	cli_report(out, err);
	exit(EXIT_DATA);
}

/* Frames re-blocked to 65536 values (as many whole frames as fit), so the
 * output does not depend on how the input was cut into records: a ser
 * stream copied directly or through an archive gives the same bytes. */
struct blocks {
	float *x;
	size_t n, max, dim;
};

static int blocks_put(struct blocks *b, ser_fw *w, const float *x, size_t n, ser_error *err)
{
	while (n > 0) {
		size_t k = b->max - b->n < n ? b->max - b->n : n;
		memcpy(b->x + b->n * b->dim, x, k * b->dim * sizeof *x);
		b->n += k;
		x += k * b->dim;
		n -= k;
		if (b->n == b->max) {
			int rc = ser_fw_frames(w, b->x, b->n, err);
			b->n = 0;
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int blocks_flush(struct blocks *b, ser_fw *w, ser_error *err)
{
	int rc = b->n ? ser_fw_frames(w, b->x, b->n, err) : 0;
	b->n = 0;
	return rc;
}

/* Copies every input to one writer; returns the exit status. */
static int copy(char **in, int n, int fmt, struct keyset *sel, const char *outpath)
{
	const char *oname = outpath ? outpath : "stdout";
	ser_out *o = NULL;
	FILE *out = stdout;
	ser_fw *w = NULL;
	char *first = NULL;
	ser_error err;
	int status = 0;
	struct blocks b = { NULL, 0, 0, 0 };
	if (outpath) {
		if (!(o = ser_out_open(outpath, &err)))
			write_failed(outpath, &err);
		out = ser_out_file(o);
		pending = o;
		atexit(drop_pending);
	}
	for (int i = 0; i < n; i++) {
		FILE *f;
		ser_fr *r = open_input(in[i], &f);
		ser_fr_ev ev;
		int rc, take = 0;
		if (!r) {
			exit(EXIT_DATA);
		}
		if (!w) {
			if (!(w = ser_fw_new(out, fmt, ser_fr_info(r), &err)))
				write_failed(oname, &err);
			b.dim = ser_fr_info(r)->dim;
			b.max = 65536 / b.dim;
			first = cli_strdup(ser_fr_info(r)->settings);
			b.x = cli_realloc(NULL, b.max * b.dim * sizeof *b.x);
		} else if (strcmp(first, ser_fr_info(r)->settings)) {
			char diff[1024];
			ser_feat_settings_diff(ser_fr_info(r)->settings, first, "here", "in the first input", diff, sizeof diff);
			cli_warn("%s: feature settings differ from those of %s: %s", in[i], in[0], diff);
			exit(EXIT_DATA);
		}
		while ((rc = ser_fr_next(r, &ev, &err)) > 0) {
			if (ev.type == SER_FR_BEGIN) {
				long j = sel->n ? keyset_find(sel, ev.key) : 0;
				take = j >= 0;
				if (sel->n && j >= 0)
					sel->seen[j] = 1;
				rc = take ? ser_fw_begin(w, ev.key, &err) : 0;
			} else if (ev.type == SER_FR_FRAMES && take) {
				rc = blocks_put(&b, w, ev.x, ev.n, &err);
			} else if (ev.type == SER_FR_END && take) {
				if ((rc = blocks_flush(&b, w, &err)) == 0)
					rc = ser_fw_end(w, &err);
			} else if (ev.type == SER_FR_ABORT && take) {
				cli_warn("%s: utterance %s was cut short by its producer (aborted)", in[i], ev.key);
				status = EXIT_DATA;
				b.n = 0;
				rc = ser_fw_abort(w, &err);
			}
			if (rc < 0)
				write_failed(oname, &err);
		}
		if (rc < 0) {
			cli_report(in[i], &err);
			exit(EXIT_DATA);
		}
		close_input(r, f);
	}
	for (size_t j = 0; j < sel->n; j++)
		if (!sel->seen[j]) {
			cli_warn("key %s: in no input", sel->k[j]);
			status = EXIT_DATA;
		}
	if (ser_fw_finish(w, &err) < 0)
		write_failed(oname, &err);
	ser_fw_free(w);
	free(first);
	free(b.x);
	pending = NULL;
	if (o && ser_out_commit(o, &err) < 0)
		write_failed(outpath, &err);
	return status;
}

int main(int argc, char **argv)
{
	static const char *const cmds[] = { "info", "keys", "copy", NULL };
	static const char *const fmts[] = { "ser", "text", "ark", "raw", "npy", "npz", NULL };
	static const int fmt_codes[] = { SER_FW_BINARY, SER_FW_TEXT, SER_FW_ARK, SER_FW_RAW, SER_FW_NPY, SER_FW_NPZ };
	static const struct option lopts[] = {
		{ "to", required_argument, NULL, O_TO },
		{ "keys", required_argument, NULL, O_KEYS },
		{ "keys-from", required_argument, NULL, O_KEYSFROM },
		{ "settings", required_argument, NULL, O_SETTINGS },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static ser_feat_info settings;
	static char text[SER_FEAT_SETTINGS_MAX];
	struct keyset sel = { 0 };
	const char *keys = NULL, *keys_from = NULL, *outpath = NULL;
	int ch, cmd, to = -1, status = 0;
	ser_error err;

	cli_init("ser-feat", synopsis);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage();
		cli_close_stdout();
		return EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-')
		cli_usage_error(argc < 2 ? "no command (info, keys or copy)" : "unknown option or command: '%s'", argv[argc < 2 ? 0 : 1]);
	cmd = cli_choice("command", argv[1], cmds);
	argv++;
	argc--;
	while ((ch = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
		switch (ch) {
		case O_TO: to = fmt_codes[cli_choice("--to", optarg, fmts)]; break;
		case O_KEYS: keys = optarg; break;
		case O_KEYSFROM: keys_from = optarg; break;
		case 'o': outpath = optarg; break;
		case O_SETTINGS:
			if (ser_kaldi_settings(optarg, &settings, text, sizeof text, &err) < 0)
				cli_usage_error("--settings: %s", err.msg);
			as = &settings;
			break;
		case 'h': usage(); cli_close_stdout(); return EXIT_OK;
		default: cli_usage_error("unknown option or missing value: '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		cli_usage_error("no FILE (- reads stdin)");
	if (cmd != 2 && (to >= 0 || keys || keys_from || outpath))
		cli_usage_error("--to, --keys, --keys-from and -o apply to copy");
	if (cmd == 2 && to < 0)
		cli_usage_error("copy needs --to FMT");
	if (keys && keys_from)
		cli_usage_error("only one of --keys and --keys-from");
	if (outpath) {
		cli_check_output("--output", outpath);
		cli_check_not_input("--output", outpath, (const char *const *)argv + optind, argc - optind);
	} else if (cmd == 2) {
		cli_check_stdout_not_input((const char *const *)argv + optind, argc - optind);
	}
	if (cmd == 2) {
		if (keys)
			keys_from_list(&sel, keys);
		if (keys_from)
			keys_from_file(&sel, keys_from);
		keyset_done(&sel);
		status = copy(argv + optind, argc - optind, to, &sel, outpath);
	} else {
		for (int i = optind; i < argc; i++)
			if (scan(argv[i], cmd == 1))
				status = EXIT_DATA;
	}
	for (size_t j = 0; j < sel.n; j++)
		free(sel.k[j]);
	free(sel.k);
	free(sel.seen);
	cli_close_stdout();
	return status;
}
