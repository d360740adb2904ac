/* Error reporting for libser: status codes with a one-line message. */
#include "ser.h"

#include <stdarg.h>
#include <stdio.h>

int ser_seterr(ser_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return code;
}

int ser_setfail(ser_error *failed, ser_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	failed->code = code;
	va_start(ap, fmt);
	vsnprintf(failed->msg, sizeof failed->msg, fmt, ap);
	va_end(ap);
	return ser_seterr(err, code, "%s", failed->msg);
}

void ser_clearerr(ser_error *err)
{
	if (err) {
		err->code = SER_OK;
		err->msg[0] = '\0';
	}
}

const char *ser_strerror(int code)
{
	switch (code) {
	case SER_OK: return "success";
	case SER_ENOMEM: return "out of memory";
	case SER_EINVAL: return "invalid argument";
	case SER_EIO: return "input/output error";
	case SER_EFORMAT: return "bad format";
	case SER_ETRUNC: return "truncated input";
	case SER_ELIMIT: return "size limit exceeded";
	case SER_EMISMATCH: return "settings mismatch";
	case SER_EDEVICE: return "audio device error";
	case SER_EINTR: return "interrupted";
	default: return "unknown error";
	}
}

#ifndef SER_VERSION
#define SER_VERSION "unknown"
#endif
const char *ser_version(void)
{
	return SER_VERSION;
}
