/* Shared helpers of the ser programs (not part of libser): diagnostics,
 * option parsing with ranges, stdout checking, signals.
 *
 * Exit statuses used by every program: 0 ok, 1 usage error, 2 data or I/O
 * error (for many inputs: some input failed, the others were processed). */
#ifndef SER_CLI_H
#define SER_CLI_H

#include <stdio.h>
#include "ser.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_DATA = 2 };

extern const char *cli_prog;          /* program name for messages */

/* Sets the program name and restores SIGPIPE to its default action, so a
 * closed reader ends the program quietly, like cat. */
void cli_init(const char *prog, const char *synopsis);
/* "prog: message\n" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_warn, then exit(status). */
_Noreturn void cli_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Allocation or cli_die(EXIT_DATA, "out of memory"): realloc and calloc
 * (a size of 0 asks for 1, so NULL never means success), strdup. */
void *cli_realloc(void *p, size_t n);
void *cli_calloc(size_t n, size_t size);
char *cli_strdup(const char *s);
/* "prog: reason\n" + synopsis + "Try 'prog --help'." on stderr, exit 1. */
_Noreturn void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: NAME: err->msg" (or the generic text if msg is empty); a
 * message that already starts with "NAME:" is not prefixed twice. */
void cli_report(const char *name, const ser_error *err);

/* ---- options from one table ----
 * One row per option: its long and short name, type, range, default, help
 * text and destination. The table builds the getopt_long array, parses
 * and range-checks each value into its destination, and prints the option
 * lines of --help, so a range or a default is written once. --help and
 * --version are added to every table. Long options are never abbreviated
 * (ser(7)): "--pre" is refused with the names it could mean. */
typedef enum {
	CLI_FLAG,    /* no argument; *(int *)dest = 1 */
	CLI_INT,     /* integer in [lo, hi]; *(int *)dest */
	CLI_LONG,    /* integer in [lo, hi] (hi >= LONG_MAX: LONG_MAX); *(long *)dest */
	CLI_REAL,    /* finite number in [lo, hi]; *(double *)dest */
	CLI_STR,     /* string; *(const char **)dest = the argument */
	CLI_CHOICE,  /* one of choices; *(int *)dest = its index */
} cli_type;

typedef struct cli_opt {
	const char *name;       /* long name; NULL ends the table (with help: a heading line) */
	int key;                /* short letter, or a code >= 256 for a long-only option */
	cli_type type;
	const char *arg;        /* the argument's name in --help (HZ, FILE, N) */
	double lo, hi;          /* CLI_INT, CLI_REAL: closed range */
	const char *const *choices; /* CLI_CHOICE: NULL-terminated */
	void *dest;             /* where the value goes; NULL: only cli_optarg/cli_optnum */
	const char *def;        /* default value: stored into dest first, shown by --help */
	const char *about;      /* or a default in words ("the window"), shown only */
	const char *help;       /* one-line or wrapped text; NULL: not listed */
	int optional;           /* the argument may be left out (--name, or --name=VALUE
	                           only; long options): then the value is def */
} cli_opt;

typedef struct cli_spec {
	const char *name;       /* program name */
	const char *synopsis;   /* "Usage: ..." lines, each ending in a newline */
	const char *intro;      /* --help text before the options */
	const cli_opt *opts;
	const char *outro;      /* --help text after the options */
} cli_spec;

enum { CLI_HELP = 'h', CLI_VERSION = 0x7fff };

/* The argument of the option just returned, and its value as a number
 * (CLI_INT, CLI_REAL) or choice index (CLI_CHOICE). */
extern const char *cli_optarg;
extern double cli_optnum;
/* Calls cli_init, stores the table's defaults, then returns one option's
 * key at a time, like getopt_long, after storing its value; -1 at the end
 * (optind is then the first operand). --help prints the usage to stdout
 * and exits 0; --version prints "NAME (ser) VERSION" and exits 0; an
 * unknown or abbreviated option, a missing or bad value is a usage error. */
int cli_getopt(int argc, char **argv, const cli_spec *spec);
/* The option lines of --help for opts (used by cli_getopt). */
void cli_print_options(const cli_opt *opts);
/* "ser-x (ser) 0.1.0" on stdout. */
void cli_print_version(const char *name);

/* Binary data and terminals (as gzip does): a usage error, with the hint,
 * when standard output (cli_refuse_tty_out) or standard input
 * (cli_refuse_tty_in) is a terminal. what: "a feature stream", ... */
void cli_refuse_tty_out(const char *what, const char *hint);
void cli_refuse_tty_in(const char *what, const char *hint);
/* "-" as an output file name means standard output. */
int cli_is_stdout(const char *path);

/* Full-string numeric parsing with a closed range; on failure a usage
 * error naming the option (exit 1). */
long cli_long(const char *opt, const char *s, long lo, long hi);
double cli_double(const char *opt, const char *s, double lo, double hi);
/* Chooses one of a NULL-terminated list; returns its index. */
int cli_choice(const char *opt, const char *s, const char *const *choices);

/* Flushes stdout and checks its error state; on failure prints the reason
 * and exits 2 (a closed pipe ends quietly). Call before exit 0. */
void cli_close_stdout(void);
/* Writes n bytes to f; on error reports it (EPIPE quietly) and exits 2. */
void cli_write(FILE *f, const void *p, size_t n);
/* Flushes f, same error policy as cli_write. */
void cli_flush(FILE *f);

/* Output files (outfile.h), checked before any work is done: an empty
 * name or a directory is a usage error (exit 1), a missing or read-only
 * directory or file an I/O error (exit 2); "prog: PATH: reason" (an
 * empty name: "prog: OPT: empty file name"). */
void cli_check_output(const char *opt, const char *path);
/* Usage error (exit 1) when the output given with option opt is the same
 * regular file as one of the n names in (ser_same_file; "-" is standard
 * input): "prog: PATH: the output of OPT is also an input[, NAME] (...)". */
void cli_check_not_input(const char *opt, const char *path, const char *const *in, int n);
/* The same for standard output against the n inputs (none: standard
 * input), as cat does for a shell redirection like "prog a.feat >> a.feat":
 * "prog: NAME: input file is output file". */
void cli_check_stdout_not_input(const char *const *in, int n);
/* Decoder noise: libraries under libsndfile (libmpg123) print to fd 2
 * themselves. Between cli_noise_begin and cli_noise_end, fd 2 is a
 * temporary file and what arrives there is written to the real standard
 * error as "prog: NAME: decoder: LINE" by cli_noise_relay (called by
 * cli_warn first, and by the programs after each block read), so no line
 * reaches the user unprefixed. The program's own messages go straight
 * to the real standard error meanwhile. */
void cli_noise_begin(const char *name);
void cli_noise_relay(void);
void cli_noise_end(void);

/* Installs SIGINT/SIGTERM handlers that set cli_stop (and nothing else). */
void cli_catch_stop(void);
extern volatile int cli_stop;        /* the signal number, set by SIGINT/SIGTERM when caught */
/* "SIGINT" or "SIGTERM", for messages. */
const char *cli_stop_name(void);
/* After a caught stop signal: flushes stdout, restores the default action
 * and raises the signal again, so the caller (a shell loop, make, &&)
 * sees the program killed by it. Returns only when no signal was caught. */
void cli_reraise(void);

/* The model to use: opt (-m) if given, else $SER_MODEL, else
 * SER_DATADIR/default.ser, else <exe dir>/../weights/default.ser (a
 * source tree after make); buf (n bytes) holds the path found. NULL when
 * none is readable. An opt without a '/' that names no file is a model's
 * name: NAME or NAME.ser in SER_DATADIR, then in <exe dir>/../weights/
 * ("-m seed"); found nowhere, opt itself (the loader reports it). */
const char *cli_find_model(const char *opt, char *buf, size_t n);

/* Progress over many inputs on stderr, only when it is a terminal, not
 * quiet and total > 1: "prog: DONE/TOTAL files, R files/s, S s left" on
 * one line redrawn at most 4 times a second (and at the last file);
 * cli_warn clears it first; cli_progress_end clears it. */
void cli_progress_start(long total, int quiet);
void cli_progress(long done);
void cli_progress_end(void);

#endif
