/* ser-mfcc: PCM or audio files to a feature stream. See ser-mfcc(1). */
#include "audio.h"
#include "cli.h"
#include "featio.h"
#include "mfcc.h"
#include "outfile.h"
#include "spkcmvn.h"
#include "spkmap.h"

#include <errno.h>
#include <getopt.h>  /* optarg, optind */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define BLOCK 4096      /* samples read at a time */
#define YMAX 256        /* frames taken from the front end at a time */

static const char synopsis[] =
	"Usage: ser-mfcc [-p PRESET] [--KEY VALUE]... [-r HZ] [-e s16|f32] [-c N] [--input-rate HZ]\n"
	"                [-k KEY] [--text|--raw|--ark|--npy|--npz] [-o FILE [--scp FILE]]\n"
	"                [--print-settings] [--wav-scp FILE [--wav-scp-commands]]\n"
	"                [--utt2spk FILE|--spk2utt FILE] [-q] [FILE...]\n";


struct ctx {
	ser_fe *fe;
	ser_fw *fw;
	int rate;            /* analysis rate, Hz */
	int quality;         /* SER_RS_* */
	int enc;             /* raw stdin encoding */
	int channels;        /* raw stdin channels (interleaved) */
	int input_rate;      /* raw stdin rate, 0: the analysis rate */
	int live;            /* flush after every block */
	const char *stdin_key; /* -k */
	const char *key;     /* of the open utterance */
	int begun;           /* its BEGIN is written */
	float in[BLOCK];
	float *y;            /* (YMAX, dim) */
	size_t dim;
	FILE *out;           /* the feature output (stdout or -o) */
	FILE *scp;           /* --scp: "KEY ARK:OFFSET" lines, else NULL */
	const char *ark;     /* -o FILE, as named in those lines */
	off_t begin_at;      /* byte offset of the open utterance in out */
	const char *wav_key; /* --wav-scp: the key of the input being read */
	int cmd_fd;          /* --wav-scp command output being read, else -1 */
	int quiet;           /* -q: no progress line */
	ser_spkmap *spk;     /* --cmvn speaker: the speakers, else NULL */
	ser_spkcmvn *sc;     /* --cmvn speaker: the held utterances */
	const char *speaker; /* of the open utterance */
};

/* Value of key in a settings text (for the defaults shown by --help). */
static const char *text_value(const char *text, const char *key, char *buf, size_t n)
{
	size_t kl = strlen(key);
	const char *s = text;
	buf[0] = '\0';
	while ((s = strstr(s, key)) != NULL) {
		if ((s == text || s[-1] == ' ') && s[kl] == '=') {
			size_t l = strcspn(s + kl + 1, " ");
			if (l >= n)
				l = n - 1;
			memcpy(buf, s + kl + 1, l);
			buf[l] = '\0';
			break;
		}
		s += kl;
	}
	return buf;
}

static const char intro[] =
	"Computes MFCC (or log mel) features of audio on stdin (any container libsndfile\n"
	"recognises by its first bytes, else raw PCM as declared below; a feature stream\n"
	"is refused, and so is a terminal) or of audio FILEs (anything libsndfile reads,\n"
	"one utterance each, keyed by the path as given; - is stdin) and writes a feature\n"
	"stream to stdout (the binary forms never to a terminal). Input at another rate\n"
	"than the analysis rate is resampled. An utterance cut short (an input error,\n"
	"SIGINT, SIGTERM) is marked aborted in the stream.\n";
static const char outro[] =
	"Exit status: 0 ok, 1 usage error (including invalid settings), 2 input or\n"
	"output error (other FILEs are still processed); killed by SIGINT or SIGTERM\n"
	"after marking the open utterance aborted.\n";

/* Kaldi's option names (compute-mfcc-feats), accepted with --preset kaldi:
 * the ser setting each one sets and how its value is written there. */
enum { K_SAME, K_MS, K_BOOL, K_ENERGY, K_RAWENERGY };
static const struct kaldi_alias {
	const char *name, *key;   /* Kaldi's name, the ser setting */
	int conv;                 /* K_*: K_MS a bare number is milliseconds */
	const char *help;
} kaldi_aliases[] = {
	{ "frame-length", "frame-length", K_MS, "with --preset kaldi a bare number is milliseconds, as in Kaldi (25 = 25 ms)" },
	{ "frame-shift", "frame-shift", K_MS, "with --preset kaldi a bare number is milliseconds, as in Kaldi (10 = 10 ms)" },
	{ "sample-frequency", "rate", K_SAME, "Hz: --rate" },
	{ "num-mel-bins", "n-mels", K_SAME, "--n-mels" },
	{ "num-ceps", "n-ceps", K_SAME, "--n-ceps" },
	{ "cepstral-lifter", "lifter", K_SAME, "--lifter" },
	{ "preemphasis-coefficient", "preemph", K_SAME, "--preemph" },
	{ "window-type", "window", K_SAME, "--window" },
	{ "remove-dc-offset", "remove-dc", K_BOOL, "true|false: --remove-dc" },
	{ "use-energy", "energy", K_ENERGY, "true|false: --energy raw (or windowed with --raw-energy false) or none" },
	{ "raw-energy", "energy", K_RAWENERGY, "true|false: with --use-energy, --energy raw or windowed" },
};
#define NALIAS (sizeof kaldi_aliases / sizeof kaldi_aliases[0])
enum { O_INPUT_RATE = 256, O_VHQ, O_RAW, O_ARK, O_PRINT, O_TEXT, O_SCP, O_WAVSCP, O_WAVCMD, O_NPY, O_NPZ,
       O_UTT2SPK, O_SPK2UTT, O_KEYS = 512, O_KALDI = 768 };

/* Kaldi's true|false (also 1|0); -1 if neither. */
static int kaldi_bool(const char *v)
{
	return !strcmp(v, "true") || !strcmp(v, "1") ? 1 : !strcmp(v, "false") || !strcmp(v, "0") ? 0 : -1;
}

/* Applies Kaldi option a = v to o (preset kaldi). */
static void kaldi_set(ser_feat_opts *o, const struct kaldi_alias *a, const char *v, int *use_energy,
                      int *raw_energy)
{
	ser_error err;
	char buf[96];
	int b = kaldi_bool(v);
	if (a->conv == K_MS && v[0] && strspn(v, "0123456789.eE+-") == strlen(v)) {
		snprintf(buf, sizeof buf, "%sms", v);
		v = buf;
	} else if (a->conv == K_BOOL || a->conv == K_ENERGY || a->conv == K_RAWENERGY) {
		if (b < 0)
			cli_usage_error("--%s: '%s' is not true or false", a->name, v);
		if (a->conv == K_ENERGY)
			*use_energy = b;
		if (a->conv == K_RAWENERGY)
			*raw_energy = b;
		v = a->conv == K_BOOL ? (b ? "1" : "0") : !*use_energy ? "none" : *raw_energy ? "raw" : "windowed";
	}
	if (ser_feat_set(o, a->key, v, &err) < 0)
		cli_usage_error("--%s: %s", a->name, err.msg);
}

static const char *out_name = "stdout";

static void out_error(const ser_error *err)
{
	cli_report(out_name, err);
	exit(EXIT_DATA);
}

/* Writes the ready frames. */
static void drain(struct ctx *c)
{
	size_t k;
	ser_error err;
	while ((k = ser_fe_get(c->fe, c->y, YMAX)) > 0)
		if ((c->sc ? ser_spkcmvn_frames(c->sc, c->y, k, &err) : ser_fw_frames(c->fw, c->y, k, &err)) < 0)
			out_error(&err);
}

/* The utterance's BEGIN is written with its first samples (or at a clean
 * end), so an input refused before any sample leaves nothing in the stream. */
static void begin_utt(struct ctx *c)
{
	ser_error err;
	if (c->begun)
		return;
	if (c->scp && (c->begin_at = ftello(c->out)) < 0)
		cli_die(EXIT_DATA, "%s: %s", out_name, strerror(errno));
	if ((c->sc ? ser_spkcmvn_begin(c->sc, c->key, c->speaker, &err) : ser_fw_begin(c->fw, c->key, &err)) < 0)
		out_error(&err);
	c->begun = 1;
}

static int feed(struct ctx *c, const float *x, size_t n, ser_error *err)
{
	int rc;
	begin_utt(c);
	if ((rc = ser_fe_accept(c->fe, x, n, err)) < 0)
		return rc;
	drain(c);
	if (c->live)
		cli_flush(c->out);
	return 0;
}

/* Ends the utterance: edge frames, utterance-wide stages, END record; or,
 * when it was cut short, an ABORT record (readers never label it). */
static void end_utt(struct ctx *c, int aborted)
{
	ser_error err;
	if (aborted && c->sc) {
		ser_spkcmvn_drop(c->sc);
	} else if (aborted) {
		if (c->begun && ser_fw_abort(c->fw, &err) < 0)
			out_error(&err);
	} else if (c->sc) {
		begin_utt(c);
		if (ser_fe_finish(c->fe, &err) < 0)
			cli_report("front end", &err);
		drain(c);
		if (ser_spkcmvn_end(c->sc, &err) < 0)
			out_error(&err);
	} else {
		begin_utt(c);
		if (ser_fe_finish(c->fe, &err) < 0)
			cli_report("front end", &err);
		drain(c);
		if (ser_fw_end(c->fw, &err) < 0)
			out_error(&err);
		if (c->scp)   /* ref: Kaldi kaldi-table-inl.h: the offset after "KEY " */
			fprintf(c->scp, "%s %s:%lld\n", c->key, c->ark, (long long)c->begin_at + (long long)strlen(c->key) + 1);
	}
	c->begun = 0;
	ser_fe_reset(c->fe);
	cli_flush(c->out);
}

/* Decodes a into one utterance. Returns 0, EXIT_DATA (reported; the
 * utterance is marked aborted) or -1 when a stop signal came. */
static int run_audio(struct ctx *c, ser_audio *a, const char *name)
{
	ser_error err;
	for (;;) {
		long n = ser_audio_read(a, c->in, BLOCK, &err);
		cli_noise_relay();
		if (cli_stop) {
			cli_warn("%s: interrupted by %s: utterance cut short, marked aborted", name, cli_stop_name());
			end_utt(c, 1);
			return -1;
		}
		if (n == 0)
			break;
		if (n < 0 || feed(c, c->in, (size_t)n, &err) < 0) {
			cli_report(name, &err);
			end_utt(c, 1);
			return EXIT_DATA;
		}
	}
	end_utt(c, 0);
	return 0;
}

/* One input: a FILE, or stdin ("-"): an audio container recognised by its
 * first bytes, a feature stream (refused), else raw PCM as declared.
 * Returns as run_audio. */
static int run_input(struct ctx *c, const char *path)
{
	ser_error err;
	ser_audio *a;
	int rc, is_stdin = !strcmp(path, "-") || c->cmd_fd >= 0;
	const char *name = c->cmd_fd >= 0 ? c->wav_key : is_stdin ? "-" : path;
	c->key = c->wav_key ? c->wav_key : is_stdin ? c->stdin_key : path;
	c->live = is_stdin && c->cmd_fd < 0;
	if (ser_fw_key_check(c->fw, c->key, &err) < 0) {  /* that input's error alone */
		cli_report(name, &err);
		return EXIT_DATA;
	}
	if (c->spk) {
		int clash;
		if (!(c->speaker = ser_spkmap_get(c->spk, c->key, &clash))) {
			cli_warn("%s: key %s %s", name, c->key, clash ? "matches two utterances of the speaker map "
			         "without their extensions" : "is not in the speaker map (--cmvn speaker)");
			return EXIT_DATA;
		}
	}
	cli_noise_begin(name);
	if (is_stdin) {
		unsigned char head[SER_SNIFF_BYTES];
		size_t n;
		ser_raw_fmt raw = { c->enc, c->input_rate ? c->input_rate : c->rate, c->channels };
		int fd = c->cmd_fd >= 0 ? c->cmd_fd : 0;
		int kind = ser_sniff(fd, head, &n, &err);
		a = NULL;
		if (kind == SER_SNIFF_EMPTY) {       /* a stream that ended at once */
			end_utt(c, 0);
			cli_noise_end();
			return 0;
		}
		if (kind == SER_SNIFF_FEATURES)
			ser_seterr(&err, SER_EFORMAT, "already features (a ser feature stream): give it to "
			           "ser-classify or ser-train");
		else if (kind > 0)
			a = ser_audio_open_fd(fd, head, n, &raw, c->rate, c->quality, &err);
	} else {
		a = ser_audio_open(path, c->rate, c->quality, &err);
	}
	if (!a) {
		rc = cli_stop ? -1 : EXIT_DATA;
		if (cli_stop)
			cli_warn("%s: interrupted by %s", name, cli_stop_name());
		else
			cli_report(name, &err);
	} else {
		rc = run_audio(c, a, name);
		ser_audio_close(a);
	}
	cli_noise_end();
	return rc;
}

/* Options that would be accepted and ignored are usage errors: an option
 * of standard input when no input is standard input (FILEs given, none
 * "-"), --print-settings with FILEs, two output formats. */
static void check_applies(const char *stdin_opt, int print, int nfmt, char **in, int n)
{
	int reads_stdin = n == 0;
	for (int i = 0; i < n; i++)
		reads_stdin |= !strcmp(in[i], "-");
	if (print && n)
		cli_usage_error("--print-settings reads no FILE");
	if (stdin_opt && !reads_stdin)
		cli_usage_error("%s applies to standard input, and no input is (give - among the FILEs)",
		                stdin_opt);
	if (nfmt > 1)
		cli_usage_error("only one of --text, --raw, --ark, --npy and --npz");
}

/* -o, --scp and --wav-scp: what they need and what they exclude. */
static void check_outputs(const char *o, const char *scp, int fmt, const char *wavscp, int wavcmd,
                          char **in, int n)
{
	if (scp && !o)
		cli_usage_error("--scp needs -o FILE (the archive its offsets point into)");
	if (scp && fmt != SER_FW_ARK && fmt != SER_FW_TEXT)
		cli_usage_error("--scp needs --ark or -t (a Kaldi archive)");
	if (wavcmd && !wavscp)
		cli_usage_error("--wav-scp-commands applies to --wav-scp");
	if (wavscp && n)
		cli_usage_error("--wav-scp names the inputs: no FILE with it");
	if (o) {
		cli_check_output("--output", o);
		cli_check_not_input("--output", o, (const char *const *)in, n);
	}
	if (scp) {
		cli_check_output("--scp", scp);
		cli_check_not_input("--scp", scp, (const char *const *)in, n);
		if (ser_same_file(o, scp) || !strcmp(o, scp))
			cli_usage_error("--scp and -o name the same file");
	}
}

/* -o and --scp outputs not yet committed: an exit on an error removes
 * their temporaries (the targets stay as they were). */
static ser_out *pending[2];

static void drop_pending(void)
{
	for (int i = 0; i < 2; i++) {
		ser_out_abort(pending[i]);
		pending[i] = NULL;
	}
}

static void commit_output(ser_out *o, const char *name)
{
	ser_error err;
	for (int i = 0; i < 2; i++)
		if (pending[i] == o)
			pending[i] = NULL;
	if (o && ser_out_commit(o, &err) < 0)
		cli_die(EXIT_DATA, "%s: %s", name, err.msg);
}

/* --wav-scp: each "KEY PATH" line an input keyed KEY; "KEY COMMAND |"
 * (with commands allowed) the output of sh -c COMMAND. Returns as
 * run_input, for the whole list. */
static int run_wav_scp(struct ctx *c, const char *list, int commands)
{
	FILE *f = strcmp(list, "-") ? fopen(list, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, done = 0;
	int status = 0;
	long total = 0;
	if (!f)
		cli_die(EXIT_DATA, "%s: %s", list, strerror(errno));
	if (f != stdin) {   /* the lines to do, for the progress line */
		while (getline(&line, &cap, f) >= 0)
			total += line[strspn(line, " \t\r\n")] != '\0';
		rewind(f);
	}
	cli_progress_start(total, c->quiet);
	while (status >= 0 && (len = getline(&line, &cap, f)) >= 0) {
		char *s = line, *key, *rx;
		int rc;
		lineno++;
		while (len > 0 && strchr(" \t\r\n", line[len - 1]))
			line[--len] = '\0';
		s += strspn(s, " \t");
		if (!*s)
			continue;
		key = s;
		s += strcspn(s, " \t");
		if (*s)
			*s++ = '\0';
		rx = s + strspn(s, " \t");
		if (!*rx) {
			cli_warn("%s: line %ld: no file after the key %s", list, lineno, key);
			status = EXIT_DATA;
			continue;
		}
		c->wav_key = key;
		if (rx[strlen(rx) - 1] == '|') {
			FILE *p;
			if (!commands) {
				cli_warn("%s: line %ld: %s is a command: not run without --wav-scp-commands", list, lineno, key);
				status = EXIT_DATA;
				continue;
			}
			rx[strlen(rx) - 1] = '\0';
			fflush(NULL);
			if (!(p = popen(rx, "r")))
				cli_die(EXIT_DATA, "%s: line %ld: %s", list, lineno, strerror(errno));
			c->cmd_fd = fileno(p);
			rc = run_input(c, key);
			c->cmd_fd = -1;
			if (pclose(p) != 0 && rc == 0) {
				cli_warn("%s: line %ld: the command of %s failed", list, lineno, key);
				rc = EXIT_DATA;
			}
		} else {
			rc = run_input(c, rx);
		}
		if (rc)
			status = rc;
		cli_progress(++done);
	}
	cli_progress_end();
	if (ferror(f))
		cli_die(EXIT_DATA, "%s: %s", list, strerror(errno));
	c->wav_key = NULL;
	free(line);
	if (f != stdin)
		fclose(f);
	return status;
}

/* The option table: the program's own options, then one row per setting
 * (default: the ser preset's value, in defs), then Kaldi's names. */
static void build_opts(cli_opt *t, size_t cap, const cli_opt *fixed, size_t nfixed, char (*defs)[64])
{
	ser_feat_opts d;
	char text[SER_FEAT_SETTINGS_MAX];
	size_t n = 0;
	ser_feat_preset(&d, "ser", NULL);
	ser_feat_settings_text(&d, text, sizeof text);
	for (size_t i = 0; i < nfixed; i++)
		t[n++] = fixed[i];
	t[n++] = (cli_opt){ .help = "Settings (--KEY VALUE; default: the ser preset's value):" };
	for (int i = 0; ser_feat_keys[i] && n + NALIAS + 3 < cap; i++) {
		if (!strcmp(ser_feat_keys[i], "rate"))
			continue;
		t[n++] = (cli_opt){ .name = ser_feat_keys[i], .key = O_KEYS + i, .type = CLI_STR,
		                    .def = text_value(text, ser_feat_keys[i], defs[i], 64),
		                    .help = ser_feat_key_help(ser_feat_keys[i]) };
	}
	t[n++] = (cli_opt){ .help = "Kaldi's names, with --preset kaldi only (compute-mfcc-feats units; there\n"
	                      "--frame-length and --frame-shift without a unit are milliseconds):" };
	for (size_t i = 0; i < NALIAS; i++)
		if (strcmp(kaldi_aliases[i].name, kaldi_aliases[i].key))
			t[n++] = (cli_opt){ .name = kaldi_aliases[i].name, .key = O_KALDI + (int)i,
			                    .type = CLI_STR, .help = kaldi_aliases[i].help };
	t[n] = (cli_opt){ .name = NULL };
}

/* The Kaldi alias of option key ch (O_KALDI + i, or a setting O_KEYS + i
 * of the same name with Kaldi's units), NULL if none. */
static const struct kaldi_alias *alias_of(int ch)
{
	if (ch >= O_KALDI)
		return &kaldi_aliases[ch - O_KALDI];
	for (size_t i = 0; i < NALIAS; i++)
		if (ch >= O_KEYS && !strcmp(kaldi_aliases[i].name, ser_feat_keys[ch - O_KEYS]))
			return &kaldi_aliases[i];
	return NULL;
}

/* The program's own options, at file scope: the table points into mo. */
static struct {
	const char *preset, *key, *scp, *wavscp, *out;
	int enc, channels, vhq, print, wavcmd, quiet;
} mo;
static const char *const mfcc_encs[] = { "s16", "f32", NULL };

static const cli_opt fixed[] = {
	{ .name = "preset", .key = 'p', .type = CLI_STR, .arg = "NAME", .dest = &mo.preset, .def = "ser",
	  .help = "ser, librosa, kaldi or htk; applied first, whatever the option order; every "
	          "setting below overrides it" },
	{ .name = "rate", .key = 'r', .type = CLI_INT, .arg = "HZ", .lo = SER_RATE_MIN, .hi = SER_RATE_MAX,
	  .about = "the preset's, ser: 16000", .help = "analysis sample rate, also of raw stdin" },
	{ .name = "encoding", .key = 'e', .type = CLI_CHOICE, .arg = "ENC", .choices = mfcc_encs,
	  .dest = &mo.enc, .def = "s16", .help = "raw stdin: s16 or f32, little-endian" },
	{ .name = "channels", .key = 'c', .type = CLI_INT, .arg = "N", .lo = 1, .hi = SER_CHANNELS_MAX,
	  .dest = &mo.channels, .def = "1",
	  .help = "raw stdin has N interleaved channels, averaged to mono (as sox -c)" },
	{ .name = "input-rate", .key = O_INPUT_RATE, .type = CLI_INT, .arg = "HZ", .lo = SER_RATE_MIN,
	  .hi = SER_RATE_MAX, .about = "the analysis rate",
	  .help = "raw stdin is at HZ, resampled to the analysis rate" },
	{ .name = "vhq", .key = O_VHQ, .type = CLI_FLAG, .dest = &mo.vhq,
	  .help = "very high quality resampling (default: high quality)" },
	{ .name = "key", .key = 'k', .type = CLI_STR, .arg = "NAME", .dest = &mo.key, .def = "-",
	  .help = "utterance key of stdin" },
	{ .name = "text", .key = O_TEXT, .type = CLI_FLAG,
	  .help = "Kaldi text archive output (default: binary stream)" },
	{ .name = "raw", .key = O_RAW, .type = CLI_FLAG, .help = "bare float32 output, frames back to back" },
	{ .name = "ark", .key = O_ARK, .type = CLI_FLAG, .help = "Kaldi binary archive output" },
	{ .name = "npy", .key = O_NPY, .type = CLI_FLAG,
	  .help = "NumPy .npy output: one utterance, (frames, dim) float32" },
	{ .name = "npz", .key = O_NPZ, .type = CLI_FLAG,
	  .help = "NumPy .npz output: a zip of KEY.npy arrays, one per utterance (numpy.load reads "
	          "both without pickle)" },
	{ .name = "output", .key = 'o', .type = CLI_STR, .arg = "FILE", .dest = &mo.out,
	  .about = "stdout", .help = "write the features to FILE, replaced only when complete" },
	{ .name = "scp", .key = O_SCP, .type = CLI_STR, .arg = "FILE", .dest = &mo.scp,
	  .help = "with --ark or --text and -o: also a Kaldi scp file of \"KEY FILE:OFFSET\" lines "
	          "(the byte offset of each utterance in the -o FILE), as Kaldi's ark,scp: writes" },
	{ .name = "wav-scp", .key = O_WAVSCP, .type = CLI_STR, .arg = "FILE", .dest = &mo.wavscp,
	  .help = "inputs from a Kaldi wav.scp: \"KEY PATH\" lines, each PATH read as a FILE keyed KEY" },
	{ .name = "wav-scp-commands", .key = O_WAVCMD, .type = CLI_FLAG, .dest = &mo.wavcmd,
	  .help = "also run \"KEY COMMAND |\" lines through /bin/sh, the command's output read like "
	          "stdin (default: refused)" },
	{ .name = "utt2spk", .key = O_UTT2SPK, .type = CLI_STR, .arg = "FILE",
	  .help = "with --cmvn speaker: the utterances' speakers (Kaldi utt2spk; keys matched exactly, "
	          "else without extensions); every utterance is held until the end" },
	{ .name = "spk2utt", .key = O_SPK2UTT, .type = CLI_STR, .arg = "FILE",
	  .help = "the same from a Kaldi spk2utt" },
	{ .name = "print-settings", .key = O_PRINT, .type = CLI_FLAG, .dest = &mo.print,
	  .help = "print the canonical settings text and exit" },
	{ .name = "quiet", .key = 'q', .type = CLI_FLAG, .dest = &mo.quiet,
	  .help = "no progress line (shown over many files when stderr is a terminal: files done, "
	          "rate, time left)" },
};

/* The feature settings: the preset, then each setting given in order (Kaldi's names with the
 * kaldi preset), checked; the stream header's info and text. */
static void settings_of(ser_feat_opts *o, ser_feat_info *info, char *text, size_t cap, int nov,
                        const int *ov_opt, const char **ov_key, const char **ov_val)
{
	ser_error err;
	int use_energy = 1, raw_energy = 1;
	if (ser_feat_preset(o, mo.preset, &err) < 0)
		cli_usage_error("--preset: %s", err.msg);
	for (int i = 0; i < nov; i++) {
		const struct kaldi_alias *a = ov_opt[i] ? alias_of(ov_opt[i]) : NULL;
		if (a && ov_opt[i] >= O_KALDI && strcmp(mo.preset, "kaldi"))
			cli_usage_error("--%s is Kaldi's name, accepted with --preset kaldi (ser's setting: --%s)",
			                a->name, a->key);
		if (a && !strcmp(mo.preset, "kaldi"))
			kaldi_set(o, a, ov_val[i], &use_energy, &raw_energy);
		else if (ser_feat_set(o, ov_key[i], ov_val[i], &err) < 0)
			cli_usage_error("--%s", err.msg);
	}
	if (ser_feat_check(o, &err) < 0)
		cli_usage_error("%s", err.msg);
	if (strlen(mo.key) == 0 || strlen(mo.key) > SER_FEAT_KEY_MAX)
		cli_usage_error("--key: empty or longer than %d bytes", SER_FEAT_KEY_MAX);
	if (ser_feat_info_fill(o, info, text, cap, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
}

/* -o and --scp opened (their temporaries removed if the run fails). */
static void open_outputs(struct ctx *c, ser_out **out, ser_out **scp_out)
{
	ser_error err;
	c->out = stdout;
	if (c->ark) {
		if (!(*out = ser_out_open(c->ark, &err))) {
			cli_report(c->ark, &err);
			exit(EXIT_DATA);
		}
		c->out = ser_out_file(*out);
		out_name = c->ark;
		pending[0] = *out;
		atexit(drop_pending);
	}
	if (mo.scp) {
		if (!(*scp_out = ser_out_open(mo.scp, &err))) {
			cli_report(mo.scp, &err);
			exit(EXIT_DATA);
		}
		c->scp = ser_out_file(*scp_out);
		pending[1] = *scp_out;
	}
}

/* --cmvn speaker: the speaker map and the per-speaker statistics. */
static void speakers_of(struct ctx *c, ser_feat_opts *o, const char *spkpath, int spk2utt)
{
	ser_error err;
	if ((o->cmvn == SER_CMVN_SPEAKER) != (spkpath != NULL))
		cli_usage_error(spkpath ? "%s applies to --cmvn speaker" : "--cmvn speaker needs the speakers: "
		                "--utt2spk FILE or --spk2utt FILE", spk2utt ? "--spk2utt" : "--utt2spk");
	if (spkpath && mo.scp)
		cli_usage_error("--scp with --cmvn speaker is not supported (write the archive, then its scp "
		                "with a second pass)");
	if (!spkpath)
		return;
	if (!(c->spk = ser_spkmap_load(spkpath, spk2utt, &err)) ||
	    !(c->sc = ser_spkcmvn_new(ser_feat_dim(o), o->cmvn_vars, &err))) {
		cli_report(NULL, &err);
		exit(EXIT_DATA);
	}
	o->cmvn = SER_CMVN_NONE;   /* the front end's part; info keeps cmvn=speaker */
}

/* The front end, its output buffer and the feature writer of the stream. */
static void start_stream(struct ctx *c, const ser_feat_opts *o, int fmt, const ser_feat_info *info)
{
	ser_error err;
	if (!(c->fe = ser_fe_new(o, &err)))
		cli_die(EXIT_DATA, "%s", err.msg);
	c->dim = ser_fe_dim(c->fe);
	c->y = cli_realloc(NULL, YMAX * c->dim * sizeof *c->y);
	if (!(c->fw = ser_fw_new(c->out, fmt, info, &err)))
		out_error(&err);
}

/* Every input (the wav.scp's, the FILEs' or stdin), then the end of the stream. */
static int run_all(struct ctx *c, int argc, char **argv)
{
	ser_error err;
	int status = 0;
	if (mo.wavscp)
		status = run_wav_scp(c, mo.wavscp, mo.wavcmd);
	else if (optind == argc)
		status = run_input(c, "-");
	cli_progress_start(argc - optind, mo.quiet);
	for (int i = optind; i < argc && status >= 0; i++) {
		int rc = run_input(c, argv[i]);
		cli_progress(i - optind + 1);
		if (rc)
			status = rc;
		if (rc < 0 && argc - i - 1 > 0)
			cli_warn("interrupted: %d of %d files not read", argc - i - 1, argc - optind);
	}
	cli_progress_end();
	if (c->sc && status >= 0 && ser_spkcmvn_write(c->sc, c->fw, &err) < 0)
		out_error(&err);
	ser_spkcmvn_free(c->sc);
	ser_spkmap_free(c->spk);
	if (status >= 0 && ser_fw_finish(c->fw, &err) < 0)
		out_error(&err);
	return status;
}

int main(int argc, char **argv)
{
	static char defs[64][64];
	static cli_opt table[64 + NALIAS + 24];
	const char **ov_key = cli_calloc((size_t)argc, sizeof *ov_key);
	const char **ov_val = cli_calloc((size_t)argc, sizeof *ov_val);
	int *ov_opt = cli_calloc((size_t)argc, sizeof *ov_opt);
	int nov = 0, fmt = SER_FW_BINARY, ch, status = 0, nfmt = 0, spk2utt = 0;
	const char *stdin_opt = NULL, *spkpath = NULL;   /* stdin_opt: an option only stdin uses */
	ser_out *out = NULL, *scp_out = NULL;
	struct ctx c;
	ser_feat_opts o;
	ser_feat_info info;
	char text[SER_FEAT_SETTINGS_MAX];
	const cli_spec spec = { "ser-mfcc", synopsis, intro, table, outro };

	memset(&c, 0, sizeof c);
	c.quality = SER_RS_HQ;
	build_opts(table, sizeof table / sizeof table[0], fixed, sizeof fixed / sizeof fixed[0], defs);
	while ((ch = cli_getopt(argc, argv, &spec)) != -1) {
		switch (ch) {
		case 'r':
			ov_opt[nov] = 0;
			ov_key[nov] = "rate";
			ov_val[nov++] = optarg;
			break;
		case 'e': case 'c': stdin_opt = ch == 'e' ? "--encoding" : "--channels"; break;
		case O_INPUT_RATE:
			c.input_rate = (int)cli_optnum;
			stdin_opt = "--input-rate";
			break;
		case 'k': stdin_opt = "--key"; break;
		case O_TEXT: fmt = SER_FW_TEXT; nfmt++; break;
		case O_RAW: fmt = SER_FW_RAW; nfmt++; break;
		case O_ARK: fmt = SER_FW_ARK; nfmt++; break;
		case O_NPY: fmt = SER_FW_NPY; nfmt++; break;
		case O_NPZ: fmt = SER_FW_NPZ; nfmt++; break;
		case O_UTT2SPK: case O_SPK2UTT:
			if (spkpath)
				cli_usage_error("only one of --utt2spk and --spk2utt");
			spkpath = optarg;
			spk2utt = ch == O_SPK2UTT;
			break;
		default:
			if (ch >= O_KEYS) {
				ov_opt[nov] = ch;
				ov_key[nov] = ch < O_KALDI ? ser_feat_keys[ch - O_KEYS] : kaldi_aliases[ch - O_KALDI].name;
				ov_val[nov++] = optarg;
			}
			break;
		}
	}
	c.ark = mo.out;
	c.enc = mo.enc ? SER_PCM_F32 : SER_PCM_S16;
	c.channels = mo.channels;
	if (mo.vhq)
		c.quality = SER_RS_VHQ;
	check_applies(stdin_opt, mo.print, nfmt, argv + optind, argc - optind);
	check_outputs(c.ark, mo.scp, fmt, mo.wavscp, mo.wavcmd, argv + optind, argc - optind);
	settings_of(&o, &info, text, sizeof text, nov, ov_opt, ov_key, ov_val);
	free(ov_key);
	free(ov_val);
	free(ov_opt);
	if (mo.print) {
		printf("%s\n", text);
		cli_close_stdout();
		return EXIT_OK;
	}
	if (!c.ark)
		cli_check_stdout_not_input((const char *const *)argv + optind, argc - optind);
	if (!c.ark && fmt != SER_FW_TEXT)
		cli_refuse_tty_out("a binary feature stream", "redirect it, pipe it into ser-classify, or use --text");
	if (optind == argc && !mo.wavscp)
		cli_refuse_tty_in("audio", "give a FILE, or pipe audio in: ser-capture | ser-mfcc");
	c.rate = o.rate;
	c.cmd_fd = -1;
	open_outputs(&c, &out, &scp_out);
	speakers_of(&c, &o, spkpath, spk2utt);
	start_stream(&c, &o, fmt, &info);
	cli_catch_stop();
	c.stdin_key = mo.key;
	c.quiet = mo.quiet;
	status = run_all(&c, argc, argv);
	ser_fw_free(c.fw);
	ser_fe_free(c.fe);
	free(c.y);
	if (status < 0) {
		drop_pending();
		cli_flush(stdout);
		cli_reraise();
		status = EXIT_DATA;
	}
	commit_output(out, c.ark);
	commit_output(scp_out, mo.scp);
	cli_close_stdout();
	return status;
}
