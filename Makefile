# ser: speech emotion recognition as Unix filters.
#   make            lib/libser.a and bin/ser-*
#   make check      every test, built with ASan+UBSan in build/check; ends "N passed, N failed"
#   make check-fast the same suite on an unsanitised build (build/fast)
#   make bench      benchmark figures (not tests)
#   make install    PREFIX=... DESTDIR=...
include config.mk

O        ?= .
LIBSRC    = $(sort $(wildcard lib/*.c))
LIBHDR    = $(sort $(wildcard lib/*.h))
CLISRC    = cmd/cli.c
PROGSRC   = $(sort $(wildcard cmd/ser-*.c))
PROGS     = $(patsubst cmd/%.c,$(O)/bin/%,$(PROGSRC))
TESTSRC   = $(sort $(wildcard test/unit/test_*.c))
TESTS     = $(patsubst test/unit/%.c,$(O)/test/%,$(TESTSRC))
LIBOBJ    = $(patsubst %.c,$(O)/obj/%.o,$(LIBSRC))
CLIOBJ    = $(patsubst %.c,$(O)/obj/%.o,$(CLISRC))
SCRIPTS   = $(filter-out %~,$(wildcard scripts/ser-*))

all: $(O)/lib/libser.a $(PROGS) $(O)/lib/libser.pc

# Installation paths are compiled in (the default model's place): a change of
# PREFIX or DATADIR on the command line rebuilds what depends on them.
$(O)/paths.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PREFIX) $(DATADIR) $(LIBDIR) $(INCDIR)' | cmp -s - $@ || echo '$(PREFIX) $(DATADIR) $(LIBDIR) $(INCDIR)' > $@

$(O)/obj/%.o: %.c $(LIBHDR) cmd/cli.h config.mk $(O)/paths.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/lib/libser.a: $(LIBOBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

$(O)/bin/%: $(O)/obj/cmd/%.o $(CLIOBJ) $(O)/lib/libser.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(CLIOBJ) $(O)/lib/libser.a $(LDLIBS)

$(O)/test/%: $(O)/obj/test/unit/%.o $(O)/lib/libser.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(O)/lib/libser.a $(LDLIBS)

$(O)/lib/libser.pc: config.mk $(O)/paths.stamp
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	  'Name: libser' 'Description: speech emotion recognition: DSP and network maths' \
	  'Version: $(VERSION)' 'Requires.private: $(DEPS)' \
	  'Libs: -L$${libdir} -lser' 'Libs.private: -lpthread -lm' 'Cflags: -I$${includedir}/ser' > $@

tests: all $(TESTS)

check:
	$(MAKE) O=build/check SANFLAGS='$(CHECK_SAN)' OPT='-O1 -g' tests
	$(MAKE) O=build/fast all
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  SER_VALGRIND_BIN=$(CURDIR)/build/fast/bin test/run build/check

check-fast:
	$(MAKE) O=build/fast tests
	test/run build/fast

# Fuzz targets (libFuzzer, clang): fuzz/fuzz_*.c, each linked with the library
# sources built with the same instrumentation. scripts/fuzz runs them.
FUZZCC    = clang
FUZZFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
FUZZSRC   = $(sort $(wildcard fuzz/fuzz_*.c))
FUZZBIN   = $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZSRC))
fuzz: $(FUZZBIN)
build/fuzz/%: fuzz/%.c $(LIBSRC) $(LIBHDR)
	@mkdir -p $(dir $@)
	$(FUZZCC) $(CSTD) $(FUZZFLAGS) -Ilib $(DEP_CFLAGS) -o $@ $< $(LIBSRC) $(LDLIBS)

bench: all
	scripts/bench

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/ser \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)
	for s in $(SCRIPTS); do install -m 755 $$s $(DESTDIR)$(BINDIR); done
	install -m 644 lib/libser.a $(DESTDIR)$(LIBDIR)
	install -m 644 lib/libser.pc $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 $(LIBHDR) $(DESTDIR)$(INCDIR)/ser
	for m in man/*.1; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1; done
	for m in man/*.5; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man5; done
	for m in man/*.7; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7; done
	for w in weights/*.ser; do [ -f "$$w" ] && install -m 644 $$w $(DESTDIR)$(DATADIR) || true; done

clean:
	rm -rf bin obj build lib/libser.a lib/libser.pc test/ser-test-*

.PHONY: all tests check check-fast bench fuzz install clean FORCE
.SUFFIXES:
.SECONDARY:
