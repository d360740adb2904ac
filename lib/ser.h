/* ser: common definitions of libser.
 *
 * libser never prints and never exits. Every fallible call takes a
 * `ser_error *` (may be NULL) and returns a status: 0 on success, a
 * negative SER_E* code on failure, with a one-line reason in err->msg
 * that the programs print as "prog: NAME: reason". */
#ifndef SER_H
#define SER_H

#include <stddef.h>
#include <stdint.h>

#define SER_ERRMSG_MAX 256

/* Sample rates libser accepts anywhere (audio, feature streams). */
#define SER_RATE_MIN 1000       /* Hz */
#define SER_RATE_MAX 384000     /* Hz */

enum ser_status {
	SER_OK = 0,
	SER_ENOMEM = -1,    /* allocation failed */
	SER_EINVAL = -2,    /* bad argument or setting */
	SER_EIO = -3,       /* read/write/system error (errno text in msg) */
	SER_EFORMAT = -4,   /* input is not of the expected format, or damaged */
	SER_ETRUNC = -5,    /* input ended in the middle of a record */
	SER_ELIMIT = -6,    /* a size exceeds the documented limits */
	SER_EMISMATCH = -7, /* settings/classes differ from what was expected */
	SER_EDEVICE = -8,   /* audio device error */
	SER_EINTR = -9      /* interrupted by a signal the caller asked to honour */
};

typedef struct ser_error {
	int code;                   /* one of enum ser_status */
	char msg[SER_ERRMSG_MAX];   /* one line, no trailing newline */
} ser_error;

/* Sets err (if not NULL) to code and a printf-formatted message; returns code. */
int ser_seterr(ser_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets the sticky status *failed (a reader's: once failed, every later
 * call returns it) and err (if not NULL) to code and the message; returns
 * code. */
int ser_setfail(ser_error *failed, ser_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Generic text for a status code. */
const char *ser_strerror(int code);
/* The library's version, "MAJOR.MINOR.PATCH" (VERSION in config.mk). */
const char *ser_version(void);
/* Clears err to SER_OK and an empty message. */
void ser_clearerr(ser_error *err);

#endif
