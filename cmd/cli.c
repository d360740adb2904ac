/* Shared helpers of the ser programs: diagnostics, options, stdout. */
#define _GNU_SOURCE
#include "cli.h"
#include "outfile.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *cli_prog = "ser";
static const char *cli_synopsis = "";
volatile int cli_stop;

void cli_init(const char *prog, const char *synopsis)
{
	cli_prog = prog;
	cli_synopsis = synopsis;
	signal(SIGPIPE, SIG_DFL);
}

/* While decoder noise is caught, fd 2 is noise_fd and the real standard
 * error is saved_err. */
static int noise_fd = -1, saved_err = -1;
static const char *noise_name;

static void put_err(const char *s, size_t n)
{
	int fd = saved_err >= 0 ? saved_err : 2;
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static int progress_drawn;   /* a progress line is on the terminal */

static void vwarn(const char *fmt, va_list ap)
{
	char b[4096];
	int k = snprintf(b, sizeof b, "%s: ", cli_prog);
	fflush(stdout);
	fflush(stderr);
	if (progress_drawn) {
		put_err("\r\033[K", 4);
		progress_drawn = 0;
	}
	cli_noise_relay();
	if (k > 0 && (size_t)k < sizeof b)
		k += vsnprintf(b + k, sizeof b - (size_t)k, fmt, ap);
	if (k < 0)
		return;
	if ((size_t)k >= sizeof b - 1)
		k = (int)sizeof b - 2;
	b[k++] = '\n';
	put_err(b, (size_t)k);
}

void cli_noise_begin(const char *name)
{
	noise_name = name;
	if (noise_fd >= 0)
		return;
	fflush(stderr);
	if ((noise_fd = memfd_create("ser-noise", 0)) < 0)
		return;
	if ((saved_err = dup(2)) < 0 || dup2(noise_fd, 2) < 0) {
		if (saved_err >= 0)
			close(saved_err);
		close(noise_fd);
		noise_fd = saved_err = -1;
	}
}

void cli_noise_relay(void)
{
	char b[16384];
	ssize_t n;
	if (noise_fd < 0)
		return;
	fflush(stderr);
	/* what a decoder wrote since the last relay (its first 16 KiB) */
	if ((n = pread(noise_fd, b, sizeof b - 1, 0)) <= 0)
		return;
	b[n] = '\0';
	for (char *l = b, *e; *l; l = e + 1) {
		char m[17000];
		int k;
		if (!(e = strchr(l, '\n')))
			e = l + strlen(l);
		k = snprintf(m, sizeof m, "%s: %s: decoder: %.*s\n", cli_prog, noise_name ? noise_name : "-",
		             (int)(e - l), l);
		if (k > 0)
			put_err(m, (size_t)k < sizeof m ? (size_t)k : sizeof m - 1);
		if (!*e)
			break;
	}
	if (ftruncate(noise_fd, 0) == 0)
		lseek(noise_fd, 0, SEEK_SET);
}

void cli_noise_end(void)
{
	if (noise_fd < 0)
		return;
	cli_noise_relay();
	dup2(saved_err, 2);
	close(saved_err);
	close(noise_fd);
	noise_fd = saved_err = -1;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void cli_die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

void *cli_realloc(void *p, size_t n)
{
	if (!(p = realloc(p, n ? n : 1)))
		cli_die(EXIT_DATA, "out of memory");
	return p;
}

void *cli_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		cli_die(EXIT_DATA, "out of memory");
	return p;
}

char *cli_strdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		cli_die(EXIT_DATA, "out of memory");
	return p;
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "%sTry '%s --help' for more information.\n", cli_synopsis, cli_prog);
	exit(EXIT_USAGE);
}

void cli_report(const char *name, const ser_error *err)
{
	const char *m = err && err->msg[0] ? err->msg : ser_strerror(err ? err->code : SER_EIO);
	size_t nl = name ? strlen(name) : 0;
	/* a message that already starts with the name is not prefixed again */
	if (name && !strncmp(m, name, nl) && m[nl] == ':')
		name = NULL;
	if (name)
		cli_warn("%s: %s", name, m);
	else
		cli_warn("%s", m);
}

void cli_check_output(const char *opt, const char *path)
{
	ser_error err;
	if (!*path)
		cli_usage_error("%s: empty file name", opt);
	if (ser_out_check(path, &err) < 0) {
		if (err.code == SER_EINVAL)
			cli_usage_error("%s: %s", path, err.msg);
		cli_report(path, &err);
		exit(EXIT_DATA);
	}
}

void cli_check_not_input(const char *opt, const char *path, const char *const *in, int n)
{
	for (int i = 0; i < n; i++)
		if (in[i] && ser_same_file(path, in[i]))
			cli_usage_error("%s: the output of %s is also an input%s%s (it would be destroyed)",
			                path, opt, strcmp(path, in[i]) ? ", " : "",
			                !strcmp(path, in[i]) ? "" : strcmp(in[i], "-") ? in[i]
			                : "standard input");
}

void cli_check_stdout_not_input(const char *const *in, int n)
{
	static const char *const std_in[] = { "-" };
	if (n == 0)
		in = std_in, n = 1;
	for (int i = 0; i < n; i++)
		if (ser_same_file_fd(in[i], STDOUT_FILENO))
			cli_usage_error("%s: input file is output file",
			                strcmp(in[i], "-") ? in[i] : "standard input");
}

long cli_long(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE)
		cli_usage_error("%s: '%s' is not an integer", opt, s);
	if (v < lo || v > hi)
		cli_usage_error("%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
	return v;
}

double cli_double(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
		cli_usage_error("%s: '%s' is not a number", opt, s);
	if (v < lo || v > hi)
		cli_usage_error("%s: %g is out of range [%g, %g]", opt, v, lo, hi);
	return v;
}

int cli_choice(const char *opt, const char *s, const char *const *choices)
{
	char list[256] = "";
	for (int i = 0; choices[i]; i++) {
		if (strcmp(s, choices[i]) == 0)
			return i;
		if (i)
			strncat(list, "|", sizeof list - strlen(list) - 1);
		strncat(list, choices[i], sizeof list - strlen(list) - 1);
	}
	cli_usage_error("%s: '%s' is not one of %s", opt, s, list);
}

static _Noreturn void write_failed(void)
{
	if (errno == EPIPE)
		exit(EXIT_DATA);  /* reader went away while SIGPIPE is ignored: quiet */
	cli_die(EXIT_DATA, "write error: %s", strerror(errno ? errno : EIO));
}

void cli_write(FILE *f, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, f) != n)
		write_failed();
}

void cli_flush(FILE *f)
{
	if (fflush(f) != 0)
		write_failed();
}

void cli_close_stdout(void)
{
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		write_failed();
	if (fclose(stdout) != 0)
		write_failed();
}

static void on_stop(int sig)
{
	cli_stop = sig;
}

const char *cli_stop_name(void)
{
	return cli_stop == SIGINT ? "SIGINT" : cli_stop == SIGTERM ? "SIGTERM" : "a signal";
}

void cli_reraise(void)
{
	int sig = cli_stop;
	if (!sig)
		return;
	fflush(stdout);
	cli_noise_end();
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_catch_stop(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* buf = the directory of the running program + "/../weights/" + name;
 * 0 if it is readable. */
static int beside_exe(const char *name, char *buf, size_t n)
{
	ssize_t k;
	char *slash;
	if (n < 64 || (k = readlink("/proc/self/exe", buf, n - 1)) <= 0)
		return -1;
	buf[k] = '\0';
	if (!(slash = strrchr(buf, '/')))
		return -1;
	*slash = '\0';
	if (strlen(buf) + strlen(name) + 13 > n)
		return -1;
	strcat(strcat(buf, "/../weights/"), name);
	return access(buf, R_OK);
}

/* An installed model by name: NAME or NAME.ser in SER_DATADIR, then in
 * weights/ beside the program's directory (a source tree). */
static const char *model_by_name(const char *name, char *buf, size_t n)
{
	for (int dir = 0; dir < 2; dir++)
		for (int ext = 0; ext < 2; ext++) {
			char file[512];
			snprintf(file, sizeof file, "%s%s", name, ext ? ".ser" : "");
			if (dir == 0) {
				snprintf(buf, n, "%s/%s", SER_DATADIR, file);
				if (access(buf, R_OK) == 0)
					return buf;
			} else if (beside_exe(file, buf, n) == 0)
				return buf;
		}
	return NULL;
}

const char *cli_find_model(const char *opt, char *buf, size_t n)
{
	const char *env = getenv("SER_MODEL");
	if (opt) {
		const char *found;
		if (strchr(opt, '/') || access(opt, F_OK) == 0 || !*opt)
			return opt;
		found = model_by_name(opt, buf, n);
		return found ? found : opt;   /* not found: the loader says so */
	}
	if (env && *env)
		return env;
	snprintf(buf, n, "%s/default.ser", SER_DATADIR);
	if (access(buf, R_OK) == 0)
		return buf;
	return beside_exe("default.ser", buf, n) == 0 ? buf : NULL;
}

/* ---- options from one table ---- */

const char *cli_optarg;
double cli_optnum;

static const cli_opt builtin_opts[] = {
	{ .name = "help", .key = CLI_HELP, .type = CLI_FLAG, .help = "print this help and exit" },
	{ .name = "version", .key = CLI_VERSION, .type = CLI_FLAG, .help = "print the version and exit" },
	{ .name = NULL },
};

int cli_is_stdout(const char *path)
{
	return path && strcmp(path, "-") == 0;
}

void cli_print_version(const char *name)
{
	printf("%s (ser) %s\n", name, ser_version());
}

void cli_refuse_tty_out(const char *what, const char *hint)
{
	if (isatty(STDOUT_FILENO))
		cli_usage_error("refusing to write %s to a terminal (%s)", what, hint);
}

void cli_refuse_tty_in(const char *what, const char *hint)
{
	if (isatty(STDIN_FILENO))
		cli_usage_error("refusing to read %s from a terminal (%s)", what, hint);
}

/* Prints s from column col, wrapped at 79 columns with continuation lines
 * indented to ind; returns the column after it. */
static int put_wrapped(const char *s, int col, int ind)
{
	while (*s) {
		size_t w = strcspn(s, " \n");
		if (col > ind && col + 1 + (int)w > 79) {
			printf("\n%*s", ind, "");
			col = ind;
		} else if (col > ind) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)w, s);
		col += (int)w;
		s += w;
		if (*s == '\n') {
			printf("\n%*s", ind, "");
			col = ind;
		}
		while (*s == ' ' || *s == '\n')
			s++;
	}
	return col;
}

/* "(integer 1..1000; default: 1)" for a row, or "" when it has neither. */
static void range_text(const cli_opt *o, char *b, size_t n)
{
	size_t k = 0;
	b[0] = '\0';
	int integer = o->type == CLI_INT || o->type == CLI_LONG;
	if ((integer || o->type == CLI_REAL) && o->hi >= 1e9)
		/* no useful upper bound; a tiny positive lower one means > 0 */
		k = (size_t)snprintf(b, n, o->lo > 0 && o->lo < 1e-6 ? "(%s > 0" : "(%s >= %g",
		                     integer ? "integer" : "number", o->lo);
	else if (integer)
		k = (size_t)snprintf(b, n, "(integer %.0f..%.0f", o->lo, o->hi);
	else if (o->type == CLI_REAL)
		k = (size_t)snprintf(b, n, "(number %g..%g", o->lo, o->hi);
	else if (o->type == CLI_CHOICE) {
		k = (size_t)snprintf(b, n, "(");
		for (int i = 0; o->choices[i] && k < n; i++)
			k += (size_t)snprintf(b + k, n - k, "%s%s", i ? "|" : "", o->choices[i]);
	}
	if (k >= n)
		return;
	if (o->def || o->about)
		k += (size_t)snprintf(b + k, n - k, "%sdefault: %s", k ? "; " : "(", o->def ? o->def : o->about);
	if (k > 0 && k < n)
		snprintf(b + k, n - k, ")");
}

static void print_rows(const cli_opt *opts)
{
	for (const cli_opt *o = opts; o->name || o->help; o++) {
		char left[96], r[512];
		int col;
		if (!o->name) {
			printf("\n%s\n", o->help);
			continue;
		}
		if (!o->help)
			continue;
		snprintf(left, sizeof left, "  %c%c%c --%s%s%s%s", o->key < 256 ? '-' : ' ',
		         o->key < 256 ? o->key : ' ', o->key < 256 ? ',' : ' ', o->name,
		         o->arg ? o->optional ? "[=" : " " : "", o->arg ? o->arg : "",
		         o->arg && o->optional ? "]" : "");
		col = printf("%s", left);
		if (col > 22) {
			printf("\n%24s", "");
			col = 24;
		} else
			col += printf("%*s", 24 - col, "");
		col = put_wrapped(o->help, col, 24);
		range_text(o, r, sizeof r);
		if (r[0])
			put_wrapped(r, col, 24);
		putchar('\n');
	}
}

void cli_print_options(const cli_opt *opts)
{
	print_rows(opts);
	print_rows(builtin_opts);
}

static void print_help(const cli_spec *sp)
{
	printf("%s", sp->synopsis);
	if (sp->intro)
		printf("%s\n", sp->intro);
	cli_print_options(sp->opts);
	if (sp->outro)
		printf("\n%s", sp->outro);
}

/* The row of key (NULL if none). */
static const cli_opt *row_of(const cli_spec *sp, int key)
{
	for (const cli_opt *o = sp->opts; o->name || o->help; o++)
		if (o->name && o->key == key)
			return o;
	for (const cli_opt *o = builtin_opts; o->name; o++)
		if (o->key == key)
			return o;
	return NULL;
}

/* Stores the value of o's argument s into its destination. */
static void store(const cli_opt *o, const char *s)
{
	char name[80];
	snprintf(name, sizeof name, "--%s", o->name);
	cli_optarg = s;
	switch (o->type) {
	case CLI_FLAG:
		cli_optnum = 1;
		if (o->dest)
			*(int *)o->dest = 1;
		break;
	case CLI_INT:
		cli_optnum = (double)cli_long(name, s, (long)o->lo, (long)o->hi);
		if (o->dest)
			*(int *)o->dest = (int)cli_optnum;
		break;
	case CLI_LONG: {
		long v = cli_long(name, s, (long)o->lo, o->hi >= 9.2e18 ? LONG_MAX : (long)o->hi);
		cli_optnum = (double)v;
		if (o->dest)
			*(long *)o->dest = v;
		break;
	}
	case CLI_REAL:
		cli_optnum = cli_double(name, s, o->lo, o->hi);
		if (o->dest)
			*(double *)o->dest = cli_optnum;
		break;
	case CLI_STR:
		if (o->dest)
			*(const char **)o->dest = s;
		break;
	case CLI_CHOICE:
		cli_optnum = cli_choice(name, s, o->choices);
		if (o->dest)
			*(int *)o->dest = (int)cli_optnum;
		break;
	}
}

/* The table's defaults into their destinations. */
static void store_defaults(const cli_opt *opts)
{
	for (const cli_opt *o = opts; o->name || o->help; o++) {
		char *end;
		double v;
		if (!o->name || !o->dest || !o->def)
			continue;
		if (o->type == CLI_STR)
			*(const char **)o->dest = o->def;
		else if (o->type == CLI_CHOICE) {
			for (int i = 0; o->choices[i]; i++)
				if (!strcmp(o->choices[i], o->def))
					*(int *)o->dest = i;
		} else if (o->type == CLI_INT || o->type == CLI_LONG || o->type == CLI_REAL) {
			v = strtod(o->def, &end);
			if (end == o->def || *end)
				cli_die(EXIT_DATA, "--%s: default '%s' is not a number (a bug)", o->name, o->def);
			if (o->type == CLI_INT)
				*(int *)o->dest = (int)v;
			else if (o->type == CLI_LONG)
				*(long *)o->dest = (long)v;
			else
				*(double *)o->dest = v;
		}
	}
}

/* A long option typed as a prefix of one or more names: a usage error
 * naming them (no abbreviations, ser(7)). */
static _Noreturn void unknown_long(const cli_spec *sp, const char *word)
{
	char cand[512] = "";
	size_t wl = strcspn(word + 2, "="), k = 0;
	int nc = 0;
	for (int pass = 0; pass < 2; pass++)
		for (const cli_opt *o = pass ? builtin_opts : sp->opts; o->name || o->help; o++)
			if (o->name && wl > 0 && !strncmp(o->name, word + 2, wl) && k < sizeof cand)
				k += (size_t)snprintf(cand + k, sizeof cand - k, "%s--%s", nc++ ? ", " : "", o->name);
	if (nc)
		cli_usage_error("unknown option '%.*s' (long options are not abbreviated: %s?)",
		                (int)wl + 2, word, cand);
	cli_usage_error("unknown option '%.*s'", (int)wl + 2, word);
}

static struct option *lopts;
static char *shorts;

/* Builds the getopt_long array and the short option string of the table. */
static void build_getopt(const cli_spec *sp)
{
	size_t n = 0, k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (const cli_opt *o = pass ? builtin_opts : sp->opts; o->name || o->help; o++)
			n += o->name != NULL;
	lopts = cli_calloc(n + 1, sizeof *lopts);
	shorts = cli_calloc(2 * n + 3, 1);
	n = 0;
	shorts[k++] = ':';
	for (int pass = 0; pass < 2; pass++)
		for (const cli_opt *o = pass ? builtin_opts : sp->opts; o->name || o->help; o++) {
			if (!o->name)
				continue;
			lopts[n].name = o->name;
			lopts[n].has_arg = o->type == CLI_FLAG ? no_argument
			                   : o->optional ? optional_argument : required_argument;
			lopts[n++].val = o->key;
			if (o->key < 256) {
				shorts[k++] = (char)o->key;
				if (o->type != CLI_FLAG)
					shorts[k++] = ':';
			}
		}
}

int cli_getopt(int argc, char **argv, const cli_spec *sp)
{
	const cli_opt *o;
	int ch, li = -1, before = optind;
	if (!lopts) {
		cli_init(sp->name, sp->synopsis);
		opterr = 0;
		store_defaults(sp->opts);
		build_getopt(sp);
		before = optind;
	}
	ch = getopt_long(argc, argv, shorts, lopts, &li);
	if (ch == -1) {
		free(lopts);
		free(shorts);
		lopts = NULL;
		shorts = NULL;
		return -1;
	}
	if (ch == '?' || ch == ':') {
		const char *w = argv[optind - 1 >= before ? optind - 1 : before];
		if (ch == ':' && optopt && optopt < 256)
			cli_usage_error("option '-%c' needs an argument", optopt);
		if (ch == ':')
			cli_usage_error("option '%s' needs an argument", w);
		if (!strncmp(w, "--", 2) && optopt)
			cli_usage_error("option '%.*s' takes no argument", (int)strcspn(w, "="), w);
		if (optopt)
			cli_usage_error("unknown option '-%c'", optopt);
		unknown_long(sp, w);
	}
	if (li >= 0) {
		/* the word typed: "--name", "--name=value" or "--name" before its value */
		const char *w = argv[optind - 1];
		if (lopts[li].has_arg && optarg == argv[optind - 1] && optind >= 2)
			w = argv[optind - 2];
		if (strncmp(w + 2, lopts[li].name, strlen(lopts[li].name))
		    || (w[2 + strlen(lopts[li].name)] && w[2 + strlen(lopts[li].name)] != '='))
			unknown_long(sp, w);
	}
	o = row_of(sp, ch);
	if (ch == CLI_HELP) {
		print_help(sp);
		cli_close_stdout();
		exit(EXIT_OK);
	}
	if (ch == CLI_VERSION) {
		cli_print_version(sp->name);
		cli_close_stdout();
		exit(EXIT_OK);
	}
	if (o)
		store(o, optarg || !o->optional ? optarg : o->def);
	return ch;
}

/* ---- progress over many inputs ---- */
static struct {
	int on;
	long total;
	double t0, last;   /* s, monotonic */
} prog;

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_start(long total, int quiet)
{
	prog.on = !quiet && total > 1 && isatty(STDERR_FILENO);
	prog.total = total;
	prog.t0 = mono_now();
	prog.last = 0;
}

void cli_progress(long done)
{
	char b[160];
	double t, rate;
	int k;
	if (!prog.on)
		return;
	t = mono_now();
	if (done < prog.total && t - prog.last < 0.25)
		return;
	prog.last = t;
	rate = t > prog.t0 ? (double)done / (t - prog.t0) : 0;
	k = snprintf(b, sizeof b, "\r\033[K%s: %ld/%ld files, %.1f files/s", cli_prog, done, prog.total, rate);
	if (rate > 0 && done < prog.total && k > 0 && (size_t)k < sizeof b)
		k += snprintf(b + k, sizeof b - (size_t)k, ", %.0f s left", (double)(prog.total - done) / rate);
	if (k > 0 && (size_t)k < sizeof b) {
		put_err(b, (size_t)k);
		progress_drawn = 1;
	}
}

void cli_progress_end(void)
{
	if (prog.on && progress_drawn) {
		put_err("\r\033[K", 4);
		progress_drawn = 0;
	}
	prog.on = 0;
}
