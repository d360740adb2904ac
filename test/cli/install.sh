# make install into a temporary prefix: the shared library with its soname,
# a relocatable libser.pc, headers as <ser/...>, and README's example program
# built against the installed tree and run; make uninstall removes it all.
. "$SER_ROOT/test/cli/lib.sh"
# the unsanitised build when make check made one (a program linked with the
# installed library must not need the sanitizer runtime)
O=$(dirname "${SER_VALGRIND_BIN:-$SER_BIN}")
command -v pkg-config >/dev/null 2>&1 || { skip "install: pkg-config missing"; exit 0; }
D=$T/stage P=/opt/ser-test
status 0 "make install DESTDIR PREFIX" make -s -C "$SER_ROOT" O="$O" PREFIX="$P" DESTDIR="$D" install
R=$D$P
check "install: libser.so.0.1.0 with soname libser.so.0" sh -c "objdump -p '$R/lib/libser.so.0.1.0' | grep -q 'SONAME *libser.so.0\$'"
check "install: libser.so -> libser.so.0 -> libser.so.0.1.0" sh -c "[ \"\$(readlink '$R/lib/libser.so')\" = libser.so.0 ] && [ \"\$(readlink '$R/lib/libser.so.0')\" = libser.so.0.1.0 ]"
check "install: libser.a too" test -f "$R/lib/libser.a"
check "install: headers under include/ser" sh -c "[ -f '$R/include/ser/ser.h' ] && [ -f '$R/include/ser/mfcc.h' ] && [ ! -e '$R/include/mfcc.h' ]"
check "install: libser.pc is relative to \${prefix}" sh -c "grep -qx 'libdir=\${prefix}/lib' '$R/lib/pkgconfig/libser.pc' && grep -qx 'Cflags: -I\${includedir}' '$R/lib/pkgconfig/libser.pc'"
check "install: ser-live and ser-plot-log" sh -c "[ -x '$R/bin/ser-live' ] && [ -x '$R/bin/ser-plot-log' ]"
check "install: ser-plot-log --version" sh -c "'$R/bin/ser-plot-log' --version | grep -qx 'ser-plot-log (ser) [0-9.]*'"
# README's example, as written there
sed -n '/^```c$/,/^```$/p' "$SER_ROOT/README.md" | sed '1d;$d' > "$T/mfcc-demo.c"
check "install: README has the example program" grep -q 'ser/mfcc.h' "$T/mfcc-demo.c"
pc="pkg-config --define-prefix"
export PKG_CONFIG_PATH="$R/lib/pkgconfig"
flags=$($pc --cflags --libs libser)
check "install: pkg-config --define-prefix finds the staged tree ($flags)" sh -c "echo '$flags' | grep -q -- '-I$R/include' && echo '$flags' | grep -q -- '-L$R/lib'"
status 0 "install: cc mfcc-demo.c \$(pkg-config --cflags --libs libser)" sh -c "cd '$T' && cc -o mfcc-demo mfcc-demo.c $flags -lm"
status 0 "install: the example runs against the installed libser.so" env LD_LIBRARY_PATH="$R/lib" "$T/mfcc-demo"
check "install: it prints the version and 98 frames of 40" grep -q '^libser 0.1.0: 98 frames of 40' "$T/out"
check "install: it uses the shared library" sh -c "LD_LIBRARY_PATH='$R/lib' ldd '$T/mfcc-demo' | grep -q '$R/lib/libser.so.0'"
# --static: every dependency of libser.a resolves (install-deps installs them)
sflags=$($pc --static --cflags --libs libser | sed 's/ -lser / /')
status 0 "install: libser.a with pkg-config --static's dependencies" sh -c "cd '$T' && cc -o mfcc-static mfcc-demo.c '$R/lib/libser.a' $sflags -lm"
status 0 "install: the static example runs without the shared library" "$T/mfcc-static"
check "install: the static example needs no libser.so" sh -c "! ldd '$T/mfcc-static' | grep -q libser"
status 0 "make uninstall" make -s -C "$SER_ROOT" O="$O" PREFIX="$P" DESTDIR="$D" uninstall
left=$(find "$D" -type f -o -type l | head -5)
check "make uninstall leaves no file (${left:-none})" test -z "$left"
