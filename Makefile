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
PICOBJ    = $(patsubst %.c,$(O)/pic/%.o,$(LIBSRC))
# The shared library, for other people's programs (ours link libser.a):
# libser.so.VERSION, soname libser.so.MAJOR.
SOMAJOR   = $(firstword $(subst ., ,$(VERSION)))
SONAME    = libser.so.$(SOMAJOR)
SOLIB     = $(O)/lib/libser.so.$(VERSION)
CLIOBJ    = $(patsubst %.c,$(O)/obj/%.o,$(CLISRC))
SCRIPTS   = $(filter-out %~,$(wildcard scripts/ser-*))

all: $(O)/lib/libser.a $(SOLIB) $(PROGS) $(O)/lib/libser.pc

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

$(O)/pic/%.o: %.c $(LIBHDR) config.mk $(O)/paths.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(SOLIB): $(PICOBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,$(SONAME) $(CFLAGS) $(SANFLAGS) -o $@ $(PICOBJ) $(LDLIBS)
	ln -sf libser.so.$(VERSION) $(O)/lib/$(SONAME)
	ln -sf $(SONAME) $(O)/lib/libser.so

$(O)/bin/%: $(O)/obj/cmd/%.o $(CLIOBJ) $(O)/lib/libser.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(CLIOBJ) $(O)/lib/libser.a $(LDLIBS)

$(O)/test/%: $(O)/obj/test/unit/%.o $(O)/lib/libser.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(O)/lib/libser.a $(LDLIBS)

# Relocatable: every path from ${prefix} (pkg-config --define-prefix finds
# a staged or moved tree); -lser is the shared library, --static adds the
# dependencies of libser.a.
$(O)/lib/libser.pc: config.mk Makefile $(O)/paths.stamp
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(patsubst $(PREFIX)%,$${prefix}%,$(LIBDIR))' \
	  'includedir=$(patsubst $(PREFIX)%,$${prefix}%,$(INCDIR))' '' \
	  'Name: libser' 'Description: speech emotion recognition: DSP and network maths' \
	  'Version: $(VERSION)' 'Requires.private: $(DEPS)' \
	  'Libs: -L$${libdir} -lser' 'Libs.private: -lpthread -lm' 'Cflags: -I$${includedir}' > $@

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

INSTALLED_SCRIPTS = $(notdir $(SCRIPTS)) ser-plot-log

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/ser \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)
	for s in $(SCRIPTS); do install -m 755 $$s $(DESTDIR)$(BINDIR); done
	install -m 755 scripts/plot-log $(DESTDIR)$(BINDIR)/ser-plot-log
	install -m 644 $(O)/lib/libser.a $(DESTDIR)$(LIBDIR)
	install -m 755 $(SOLIB) $(DESTDIR)$(LIBDIR)
	ln -sf libser.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libser.so
	install -m 644 $(O)/lib/libser.pc $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 $(LIBHDR) $(DESTDIR)$(INCDIR)/ser
	for m in man/*.1; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1; done
	for m in man/*.5; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man5; done
	for m in man/*.7; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7; done
	for w in weights/*.ser; do [ -f "$$w" ] && install -m 644 $$w $(DESTDIR)$(DATADIR) || true; done

# Removes what install put there (and the directories it made, when empty).
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGS)) $(INSTALLED_SCRIPTS))
	rm -f $(DESTDIR)$(LIBDIR)/libser.a $(DESTDIR)$(LIBDIR)/libser.so.$(VERSION) \
	  $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libser.so $(DESTDIR)$(LIBDIR)/pkgconfig/libser.pc
	rm -f $(addprefix $(DESTDIR)$(INCDIR)/ser/,$(notdir $(LIBHDR)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/,$(notdir $(wildcard weights/*.ser)))
	-rmdir $(DESTDIR)$(INCDIR)/ser $(DESTDIR)$(DATADIR) 2>/dev/null

clean:
	rm -rf bin obj pic build lib/libser.a lib/libser.so* lib/libser.pc test/ser-test-*

.PHONY: all tests check check-fast bench fuzz install uninstall clean FORCE
.SUFFIXES:
.SECONDARY:
