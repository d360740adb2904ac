# ser build configuration: paths and flags. Override on the command line,
# e.g. make PREFIX=/usr CC=clang.
VERSION   = 0.1.0
PREFIX    = /usr/local
BINDIR    = $(PREFIX)/bin
LIBDIR    = $(PREFIX)/lib
INCDIR    = $(PREFIX)/include
MANDIR    = $(PREFIX)/share/man
DATADIR   = $(PREFIX)/share/ser
PKGCONFIG = pkg-config
DEPS      = sndfile fftw3f alsa soxr openblas

CC       ?= cc
AR       ?= ar
# No -ffast-math anywhere: feature outputs must match the references.
OPT      ?= -O2 -g
WARN      = -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
CSTD      = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
DEP_CFLAGS := $(shell $(PKGCONFIG) --cflags $(DEPS))
DEP_LIBS   := $(shell $(PKGCONFIG) --libs $(DEPS))
CFLAGS   ?= $(OPT)
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(SANFLAGS) -DSER_DATADIR='"$(DATADIR)"' -DSER_VERSION='"$(VERSION)"' \
             -Ilib -Icmd $(DEP_CFLAGS)
LDLIBS    = $(DEP_LIBS) -lpthread -lm
# Sanitizers used by `make check` (the test build lives in build/check).
CHECK_SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
