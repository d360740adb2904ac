# The toolkit's command-line conventions (ser(7) CONVENTIONS): --version
# everywhere, long options never abbreviated, one meaning per short option,
# - as standard output, binary data never to or from a terminal, one prefix
# per message.
. "$SER_ROOT/test/cli/lib.sh"
progs="ser-capture ser-mfcc ser-classify ser-train ser-eval ser-play ser-plot"
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
# ser-mfcc: -c N for raw stereo (sox -c), Kaldi's names with the kaldi preset
if command -v sox >/dev/null 2>&1; then
	sox -n -r 16000 -c 1 -b 16 "$T/m.wav" synth 0.5 sine 300 vol 0.3 2>/dev/null
	sox "$T/m.wav" -t raw -e signed -b 16 -c 1 "$T/m.raw"
	sox "$T/m.wav" -t raw -e signed -b 16 -c 2 "$T/s.raw"
	ser-mfcc -k k < "$T/m.raw" > "$T/m.feat"
	status 0 "ser-mfcc -c 2: raw stereo" sh -c "ser-mfcc -c 2 -k k < '$T/s.raw'"
	check "ser-mfcc -c 2: the same features as the mono stream" cmp -s "$T/out" "$T/m.feat"
	ser-mfcc -k k < "$T/s.raw" > "$T/s1.feat"
	check "ser-mfcc: stereo read as mono differs (what -c is for)" sh -c "! cmp -s '$T/s1.feat' '$T/m.feat'"
	status 1 "ser-mfcc -c 2 with FILEs only (applies to stdin)" ser-mfcc -c 2 "$T/m.wav"
	status 1 "ser-mfcc -c 0" sh -c "ser-mfcc -c 0 < '$T/m.raw'"
else
	skip "ser-mfcc -c: sox not installed"
fi
ser-mfcc -p kaldi --frame-length 25ms --frame-shift 10ms --n-mels 30 --n-ceps 20 --lifter 0 --preemph 0.9 \
	--window hamming --remove-dc 0 --energy none --print-settings > "$T/ser.set"
status 0 "ser-mfcc -p kaldi: Kaldi's names" ser-mfcc -p kaldi --frame-length=25 --frame-shift=10 --num-mel-bins=30 \
	--num-ceps=20 --cepstral-lifter=0 --preemphasis-coefficient=0.9 --window-type=hamming \
	--remove-dc-offset=false --use-energy=false --print-settings
check "ser-mfcc -p kaldi: Kaldi's names and units give ser's settings" cmp -s "$T/out" "$T/ser.set"
ser-mfcc -p kaldi --frame-length=25 --print-settings > "$T/k25.set"
check "ser-mfcc -p kaldi --frame-length=25 is 25 ms (400 samples), not 25 samples" grep -q ' frame-length=400 ' "$T/k25.set"
ser-mfcc -p kaldi --raw-energy=false --print-settings > "$T/kw.set"
check "ser-mfcc -p kaldi --raw-energy=false: windowed energy" grep -q ' energy=windowed ' "$T/kw.set"
ser-mfcc --frame-length=25 --print-settings > "$T/s25.set"
check "ser-mfcc (ser preset) --frame-length=25 stays 25 samples" grep -q ' frame-length=25 ' "$T/s25.set"
status 1 "ser-mfcc: a Kaldi name without the kaldi preset" ser-mfcc --num-mel-bins 30 --print-settings
check "ser-mfcc: ... names ser's setting" grep -q "accepted with --preset kaldi (ser's setting: --n-mels)" "$T/err"
status 1 "ser-mfcc -p kaldi --use-energy=maybe" ser-mfcc -p kaldi --use-energy=maybe --print-settings
status 1 "ser-mfcc --pre kaldi (abbreviated)" ser-mfcc --pre kaldi --print-settings
check "ser-mfcc --pre: the message names both options it could be" grep -q "not abbreviated: --preset, --preemph" "$T/err"
status 1 "ser-mfcc -t (--text has no short option)" ser-mfcc -t --print-settings
# terminals: binary features are not written to one, audio not typed on one
if command -v script >/dev/null 2>&1 && command -v sox >/dev/null 2>&1; then
	script -qec "ser-mfcc '$T/m.wav'; echo rc=\$?" /dev/null > "$T/tty" 2>&1
	check "ser-mfcc: a binary stream to a terminal is refused, exit 1" sh -c "grep -q 'refusing to write a binary feature stream to a terminal' '$T/tty' && grep -q 'rc=1' '$T/tty'"
	script -qec "ser-mfcc --text '$T/m.wav' | head -c 1 >/dev/null; echo rc=\$?" /dev/null > "$T/tty" 2>&1
	check "ser-mfcc --text to a terminal is fine" sh -c "! grep -q refusing '$T/tty'"
	script -qec "ser-mfcc > '$T/x.feat'; echo rc=\$?" /dev/null > "$T/tty" 2>&1 < /dev/null
	check "ser-mfcc: audio from a terminal is refused, exit 1" sh -c "grep -q 'refusing to read audio from a terminal' '$T/tty' && grep -q 'rc=1' '$T/tty'"
fi
# ser-classify: -m NAME finds an installed model (here: weights/ beside bin/)
if [ -f "$SER_ROOT/weights/seed.ser" ] && [ -f "$SER_ROOT/weights/default.ser" ]; then
	mkdir -p "$T/tree/bin" && ln -s "$SER_ROOT/weights" "$T/tree/weights" && cp "$SER_BIN/ser-classify" "$T/tree/bin/"
	(cd "$T" && "$T/tree/bin/ser-classify" -m seed --classes) > "$T/seed1" 2>"$T/err"
	check "ser-classify -m seed: the installed model by name" sh -c "[ -s '$T/seed1' ] && [ ! -s '$T/err' ]"
	(cd "$T" && "$T/tree/bin/ser-classify" -m seed.ser --info) > "$T/seed2" 2>&1
	check "ser-classify -m seed.ser: weights/seed.ser" grep -q "^model: .*weights/seed.ser" "$T/seed2"
	(cd "$T" && "$T/tree/bin/ser-classify" -m nosuch --classes) > "$T/out" 2>"$T/err"
	check "ser-classify -m nosuch: one message, the name once" grep -qx "ser-classify: nosuch: No such file or directory" "$T/err"
	status 2 "ser-classify -m missing.ser: exit 2" ser-classify -m "$T/missing.ser" --classes
	check "ser-classify: the model's name is not doubled in the message" sh -c "[ \$(grep -o 'missing.ser' '$T/err' | wc -l) -eq 1 ]"
else
	skip "ser-classify -m NAME: weights/seed.ser or default.ser missing"
fi
status 1 "ser-classify -p (probs is -P)" ser-classify -p --classes
if command -v script >/dev/null 2>&1; then
	script -qec "ser-classify; echo rc=\$?" /dev/null > "$T/tty" 2>&1 < /dev/null
	check "ser-classify: no FILE and a terminal: refused at once, exit 1" sh -c "grep -q 'refusing to read audio or features from a terminal' '$T/tty' && grep -q 'rc=1' '$T/tty'"
fi
# ser-train: -o - is standard output; a speaker no input has is a usage error;
# the final message says it once, with the right plural
if command -v sox >/dev/null 2>&1; then
	for a in 01 02; do
		sox -n -r 16000 -b 16 -c 1 "$T/03-01-01-01-01-01-$a.wav" synth 0.5 sine 300 vol 0.3
		sox -n -r 16000 -b 16 -c 1 "$T/03-01-05-01-01-01-$a.wav" synth 0.5 square 900 vol 0.3
	done
	ser-mfcc "$T"/03-*.wav > "$T/tr.feat"
	trn() { ser-train --arch "conv:4:3 relu stats dense" --classes neutral,angry --epochs 1 --crop 20 -j 1 "$@"; }
	(cd "$T" && trn -q -o m1.ser tr.feat) 2>/dev/null
	status 0 "ser-train -o -: exit 0" sh -c "cd '$T' && ser-train --arch 'conv:4:3 relu stats dense' --classes neutral,angry --epochs 1 --crop 20 -j 1 -q -o - tr.feat"
	check "ser-train -o -: the model on stdout, no file named -" sh -c "[ -s '$T/out' ] && [ ! -e '$T/-' ]"
	cp "$T/out" "$T/stdout.ser"
	check "ser-train -o -: a valid model, the record as with -o FILE" sh -c "ser-classify -m '$T/stdout.ser' --info > '$T/i1' && ser-classify -m '$T/m1.ser' --info > '$T/i2' && [ \$(diff '$T/i1' '$T/i2' | grep -c '^[<>]') -le 4 ]"
	status 0 "ser-train: the final message" trn -o "$T/m2.ser" "$T/tr.feat"
	check "ser-train: '1 epoch', no doubled 'interrupted'" sh -c "grep -q 'completed after 1 epoch;' '$T/err' && ! grep -q '1 epochs' '$T/err'"
	status 1 "ser-train --exclude-speakers ravdess-1 (a typo of ravdess-01): exit 1" trn -q -o "$T/m3.ser" --exclude-speakers ravdess-1 "$T/tr.feat"
	check "ser-train: the unknown speaker named, with a real name as example" grep -q -- "--exclude-speakers: speaker ravdess-1: no input has it (speakers are named like ravdess-0[12])" "$T/err"
	check "ser-train: nothing trained, no model" test ! -e "$T/m3.ser"
	status 1 "ser-train --val-speakers ravdess-09: exit 1" trn -q -o "$T/m3.ser" --val-speakers ravdess-09 "$T/tr.feat"
	check "ser-train: --val-speakers named in the message" grep -q -- "--val-speakers: speaker ravdess-09" "$T/err"
	status 1 "ser-train --checkpoint - is refused" trn -q -o "$T/m3.ser" --checkpoint - "$T/tr.feat"
	if command -v script >/dev/null 2>&1; then
		script -qec "ser-train -q -o - '$T/tr.feat'; echo rc=\$?" /dev/null > "$T/tty" 2>&1
		check "ser-train -o - to a terminal is refused" sh -c "grep -q 'refusing to write a model to a terminal' '$T/tty' && grep -q 'rc=1' '$T/tty'"
	fi
fi
# ser-play without a playback device: one clear line, exit 2
if command -v sox >/dev/null 2>&1; then
	sox -n -r 16000 -b 16 -c 1 "$T/p.wav" synth 0.3 sine 300 2>/dev/null
	status 2 "ser-play with no such device: exit 2" ser-play --plain -m "$SER_ROOT/weights/default.ser" -D nosuchdevice "$T/p.wav"
	check "ser-play with no such device: one line, naming it, with a hint" sh -c "[ \$(wc -l < '$T/err') -eq 1 ] && grep -q '^ser-play: nosuchdevice: .*aplay -L' '$T/err'"
fi
# one meaning per short option: across every program's --help, a letter
# names one long option, and ser(7)'s table lists each pair
PATH="$SER_ROOT/scripts:$PATH"
for p in $progs ser-live; do
	"$p" --help 2>/dev/null | grep -o '^  -[A-Za-z], --[a-z0-9-]*' | sed "s/^  //; s/,//; s/\$/ $p/"
done | sort -u > "$T/shorts"
dup=$(awk '{ print $1, $2 }' "$T/shorts" | sort -u | awk '{ n[$1]++; l[$1] = l[$1] " " $2 } END { for (k in n) if (n[k] > 1) printf "%s:%s; ", k, l[k] }')
check "one meaning per short option across the toolkit${dup:+ ($dup)}" test -z "$dup"
sed -n '/^\.TS/,/^\.TE/p' "$SER_ROOT/man/ser.7" | sed 's/\\-/-/g' > "$T/table"
miss=$(while read -r s l p; do
	grep -q "^$s	$l[	 ]" "$T/table" || { printf '%s %s; ' "$s" "$l"; continue; }
	[ "$s" = -h ] || grep "^$s	$l[	 ]" "$T/table" | grep -q "$p" || printf '%s %s in %s; ' "$s" "$l" "$p"
done < "$T/shorts")
check "ser(7)'s short option table lists every short option${miss:+ (missing: $miss)}" test -z "$miss"
# every script of the source tree answers --version too
for s in "$SER_ROOT"/scripts/*; do
	b=$(basename "$s")
	case $b in version|*~) continue ;; *.py) command -v python3 >/dev/null 2>&1 || continue; set -- python3 "$s" ;; *) set -- "$s" ;; esac
	"$@" --version > "$T/v" 2>&1
	check "scripts/$b --version: '$b (ser) VERSION'" grep -qx "$b (ser) [0-9][0-9.]*" "$T/v"
done
