# The toolkit's command-line conventions (ser(7) CONVENTIONS): --version
# everywhere, long options never abbreviated, one meaning per short option,
# - as standard output, binary data never to or from a terminal, one prefix
# per message.
. "$SER_ROOT/test/cli/lib.sh"
progs="ser-eval ser-capture"
for p in $progs; do
	status 0 "$p --version exits 0" "$p" --version
	check "$p --version: name and version on stdout" grep -qx "$p (ser) [0-9][0-9.]*" "$T/out"
	check "$p --version: nothing on stderr" test ! -s "$T/err"
	status 1 "$p --hel (an abbreviation) exits 1" "$p" --hel
	check "$p: an abbreviation is refused naming the option" grep -q "unknown option '--hel' (long options are not abbreviated: --help?)" "$T/err"
	status 1 "$p --help=x exits 1" "$p" --help=x
	check "$p: --help=x: takes no argument" grep -q "option '--help' takes no argument" "$T/err"
	check "$p: one line of reason, one prefix" sh -c "[ \$(grep -c '^$p: ' '$T/err') -eq 1 ] && ! grep -q '^$p: $p' '$T/err'"
done
# ser-eval: -J json, -T truth, -C classes, -B by; --svg - is stdout
printf '03-01-05-01-01-01-07\tangry\t0.9\n03-01-04-01-01-01-07\tsad\t0.8\n' > "$T/l.tsv"
status 0 "ser-eval -J" ser-eval -J "$T/l.tsv"
check "ser-eval -J: JSON" grep -q '"accuracy"' "$T/out"
status 0 "ser-eval --svg - writes the SVG to stdout" ser-eval --svg - "$T/l.tsv"
check "ser-eval --svg -: an SVG on stdout, no report" sh -c "head -c 5 '$T/out' | grep -q '<svg\|<?xm' && ! grep -q '^accuracy' '$T/out'"
check "ser-eval --svg -: no file named -" test ! -e ./-
status 1 "ser-eval --svg - with stdout the input" sh -c "ser-eval --svg - '$T/l.tsv' >> '$T/l.tsv'"
status 1 "ser-eval -j (threads elsewhere) is not an option here" ser-eval -j "$T/l.tsv"
# binary output to a terminal is refused (script(1) gives the program a terminal)
if command -v script >/dev/null 2>&1; then
	script -qec "ser-capture -d 0.01 '$SER_ROOT/test/cli/lib.sh'; echo rc=\$?" /dev/null > "$T/tty" 2>&1
	check "ser-capture: PCM to a terminal refused, exit 1" sh -c "grep -q 'refusing to write PCM to a terminal' '$T/tty' && grep -q 'rc=1' '$T/tty'"
else
	skip "binary output to a terminal: script(1) not installed"
fi
