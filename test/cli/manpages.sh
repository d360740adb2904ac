# Every program's man page has the sections users look for, and its EXIT
# STATUS section states 0, 1 and 2, which the program is then held to: a bad
# option exits 1 with a message on stderr and nothing on stdout, a missing
# input exits 2, --help exits 0 with the usage on stdout.
. "$SER_ROOT/test/cli/lib.sh"
for p in ser-capture ser-mfcc ser-classify ser-train ser-eval ser-play ser-plot ser-feat; do
	m=$SER_ROOT/man/$p.1
	for sec in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES; do
		check "$p.1 has a $sec section" grep -q "^\.SH \"*$sec\"*\$" "$m"
	done
	sed -n '/^\.SH "*EXIT STATUS"*$/,/^\.SH/p' "$m" > "$T/exit"
	check "$p.1 EXIT STATUS names 0, 1 and 2" sh -c "grep -q '0' '$T/exit' && grep -q '1' '$T/exit' && grep -q '2' '$T/exit'"
	status 0 "$p --help exits 0" "$p" --help
	check "$p --help writes the usage to stdout" grep -q "^Usage: $p" "$T/out"
	# every long option of --help is in the man page
	"$p" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u > "$T/opts"
	missing=$(while read -r o; do grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$m" || printf '%s ' "$o"; done < "$T/opts")
	check "$p: every long option of --help is in $p.1 (${missing:-all})" test -z "$missing"
	status 1 "$p --no-such-option exits 1" "$p" --no-such-option
	check "$p: usage error on stderr, stdout empty" sh -c "[ -s '$T/err' ] && [ ! -s '$T/out' ]"
done
# a missing input is a data error (ser-train needs -o)
status 2 "ser-mfcc: missing file exits 2" ser-mfcc "$T/none.wav"
status 2 "ser-capture: missing file exits 2" ser-capture "$T/none.wav"
status 2 "ser-classify: missing file exits 2" ser-classify -m "$SER_ROOT/weights/default.ser" "$T/none.wav"
status 2 "ser-eval: missing file exits 2" ser-eval "$T/none.tsv"
status 2 "ser-train: missing file exits 2" ser-train -o "$T/m.ser" "$T/none.feat"
# Roff: a request line with an unbalanced double quote runs the lines after
# it together (ser-classify(1) once printed three commands as one hint).
for m in "$SER_ROOT"/man/*.[1-8]; do
	bad=$(awk '/^\.\\"/ { next } /^\./ { l = $0; gsub(/\\"/, "", l); if (gsub(/"/, "", l) % 2) print NR }' "$m")
	check "$(basename "$m"): no request line with an unbalanced quote${bad:+ (line $bad)}" test -z "$bad"
done
if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -P-c -rLL=200n "$SER_ROOT/man/ser-classify.1" 2>/dev/null | sed 's/.\x08//g' > "$T/classify.txt"
	check "ser-classify.1: the hint example is one command" grep -q 'e\.g\. .use ser-mfcc --preset librosa --pool mean.\.' "$T/classify.txt"
	check "ser-classify.1: DESCRIPTION runs no commands together" sh -c "! grep -q 'smooth 3 ser-classify' '$T/classify.txt'"
fi
# Every page clean under mandoc -Tlint (errors, warnings and style) and
# groff -ww; no rendered line as wide as a table once was (200 columns; 113
# is ser-eval's own report line, shown as printed);
# one date on every page.
for m in "$SER_ROOT"/man/*.[1-8]; do
	b=$(basename "$m")
	if command -v mandoc >/dev/null 2>&1; then
		mandoc -Tlint "$m" > "$T/lint" 2>&1
		check "$b: mandoc -Tlint is silent$( [ -s "$T/lint" ] && printf ' (%s)' "$(head -c 200 "$T/lint")")" test ! -s "$T/lint"
	else
		skip "$b: mandoc not installed (scripts/install-deps)"
	fi
	if command -v groff >/dev/null 2>&1; then
		groff -ww -man -z "$m" > "$T/lint" 2>&1
		check "$b: groff -ww -man -z is silent$( [ -s "$T/lint" ] && printf ' (%s)' "$(head -c 200 "$T/lint")")" test ! -s "$T/lint"
		w=$(groff -man -Tutf8 -P-c "$m" 2>/dev/null | sed 's/.\x08//g' | awk '{ if (length > w) w = length } END { print w + 0 }')
		check "$b: no rendered line over 120 columns (widest $w)" test "$w" -le 120
	fi
done
dates=$(sed -n '1s/^\.TH [^ ]* [0-9] \([^ ]*\) .*/\1/p' "$SER_ROOT"/man/*.[1-8] | sort -u | wc -l)
check "every page's .TH has the same date" test "$dates" -eq 1
