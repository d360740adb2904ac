#!/bin/sh
# ser-mfcc through real pipes: options, exit statuses, stdin raw == WAV ==
# file input, concatenation, streaming, SIGPIPE, full disk.
. "$SER_ROOT/test/cli/lib.sh"

need_prog ser-mfcc
need_sox ser-mfcc
# frames in a text archive: lines that start with a number
frames() { awk '$1 ~ /^-?[0-9.]/ { n++ } END { print n + 0 }' "$1"; }

# ---- help and man page ----
status 0 "--help exits 0" ser-mfcc --help
check "--help prints usage on stdout, nothing on stderr" sh -c '[ -s "$1/out" ] && [ ! -s "$1/err" ]' sh "$T"
sed 's/\\-/-/g' "$SER_ROOT/man/ser-mfcc.1" >"$T/man"
missing=
for o in $(grep -o -- '--[a-z][a-z0-9-]*' "$T/out" | sort -u); do
	grep -q -- "$o" "$T/man" || missing="$missing $o"
done
if [ -z "$missing" ]; then ok "every long option of --help is in ser-mfcc.1"; else notok "not in ser-mfcc.1:$missing"; fi
n=$(grep -c -- '--' "$T/out")
check "--help lists the settings too ($n lines with options)" test "$n" -ge 40

# ---- usage errors: status 1, a reason on stderr, nothing on stdout ----
usage1() {
	local name=$1; shift
	status 1 "$name" sh -c '"$@" </dev/null' sh "$@"
	if [ -s "$T/err" ] && [ ! -s "$T/out" ]; then ok "$name: reason on stderr: $(head -1 "$T/err")"; else notok "$name: no reason or stray output"; fi
}
usage1 "unknown option" ser-mfcc --no-such-option
usage1 "frame-length 0" ser-mfcc --frame-length 0
usage1 "high-freq above Nyquist" ser-mfcc --high-freq 9000
usage1 "high-freq above Nyquist after a rate change" ser-mfcc -r 8000 --high-freq 7600
usage1 "unknown preset" ser-mfcc -p sptk
usage1 "non-numeric n-mels" ser-mfcc --n-mels 4x
usage1 "n-ceps above n-mels" ser-mfcc --n-ceps 41
usage1 "bad window" ser-mfcc --window kaiser
usage1 "bad encoding" ser-mfcc -e u8
usage1 "missing value" ser-mfcc --n-mels

# ---- settings ----
status 0 "--print-settings" ser-mfcc -p kaldi --n-mels 40 --print-settings
check "kaldi settings with an override" grep -q '^rate=16000 scale=32768 .* n-mels=40 .* lifter=22 energy=raw ' "$T/out"
status 0 "--print-settings, override before preset" ser-mfcc --n-mels 30 --frame-length 20ms -p kaldi --print-settings
check "the preset is applied first whatever the option order" grep -q ' frame-length=320 .* n-mels=30 ' "$T/out"
status 0 "librosa settings" ser-mfcc -p librosa --print-settings
check "librosa settings state its convention" \
	grep -q '^rate=22050 .* frame-length=2048 frame-shift=512 edge=zero fft-size=2048 .* n-mels=128 .* high-freq=11025 mel-scale=slaney mel-shape=hz mel-norm=slaney log=db .* top-db=80 ' "$T/out"

# ---- fixtures ----
sox -n -r 16000 -c 1 -b 16 -e signed "$T/a.wav" synth 1.0 sine 300-3000 vol 0.4
sox -n -r 16000 -c 1 -b 16 -e signed "$T/b.wav" synth 0.7 pinknoise vol 0.2
sox "$T/a.wav" -t raw -e signed -b 16 "$T/a.raw"
sox "$T/a.wav" -t raw -e float -b 32 "$T/a.f32"
sox -n -r 8000 -c 2 -b 16 -e signed "$T/c8.wav" synth 1.0 sine 440 sine 660
sox "$T/c8.wav" -t raw -e signed -b 16 -c 1 "$T/c8.raw" remix 1-2 2>/dev/null ||
	sox "$T/c8.wav" -t raw -e signed -b 16 -c 1 "$T/c8.raw"

# ---- options that would be ignored are usage errors ----
for o in "-k x" "-e f32" "--input-rate 8000"; do
	status 1 "$o with FILEs only: exit 1 (it would be ignored)" ser-mfcc $o "$T/a.wav"
	check "$o with FILEs only: says so" grep -q "applies to standard input" "$T/err"
	in=$T/a.raw; [ "$o" = "-e f32" ] && in=$T/a.f32
	status 0 "$o with - among the FILEs: applies" sh -c 'ser-mfcc $1 "$2" - < "$3" > /dev/null' sh "$o" "$T/a.wav" "$in"
done
status 1 "--print-settings with a FILE: exit 1" ser-mfcc --print-settings "$T/a.wav"
status 1 "-t and --raw: exit 1" ser-mfcc --text --raw "$T/a.wav"

# ---- a key a Kaldi archive cannot hold: that file reported, the others written ----
cp "$T/a.wav" "$T/a b.wav"
for fmt in --text --ark; do
	status 2 "$fmt: a key with a space: exit 2" ser-mfcc $fmt "$T/a.wav" "$T/a b.wav" "$T/b.wav"
	check "$fmt: the message names that file, not stdout" grep -qxF "ser-mfcc: $T/a b.wav: key '$T/a b.wav' has white space or control bytes, which a Kaldi archive cannot hold" "$T/err"
	check "$fmt: the files before and after it are written" sh -c 'grep -aqF "$1/a.wav " "$2" && grep -aqF "$1/b.wav " "$2" && ! grep -aqF "a b.wav" "$2"' sh "$T" "$T/out"
done
ser-mfcc --text "$T/a.wav" "$T/b.wav" > "$T/ab.txt"
ser-mfcc --text "$T/a.wav" "$T/a b.wav" "$T/b.wav" > "$T/aib.txt" 2>/dev/null
check "-t: the others exactly as without the bad file" cmp -s "$T/ab.txt" "$T/aib.txt"
status 2 "--ark -k with a space on stdin: exit 2" sh -c 'ser-mfcc --ark -k "x y" < "$1"' sh "$T/a.wav"
check "--ark -k with a space: the message names stdin" grep -q "^ser-mfcc: -: key 'x y'" "$T/err"

# ---- one utterance, same features whatever the way in ----
status 0 "file input" ser-mfcc --text "$T/a.wav"
mv "$T/out" "$T/file.txt"
check "text output keyed by the path, 98 frames of 40 (16000 samples, 400/160 snip)" \
	sh -c '[ "$(head -1 "$1" | tr -s " ")" = "$2 [" ] && [ "$3" -eq 98 ] &&
	       [ $(sed -n 2p "$1" | wc -w) -eq 40 ]' sh "$T/file.txt" "$T/a.wav" "$(frames "$T/file.txt")"
status 0 "raw s16 on stdin" sh -c 'ser-mfcc --text -k "$1" < "$2"' sh "$T/a.wav" "$T/a.raw"
check "stdin raw s16 == file" cmp -s "$T/out" "$T/file.txt"
status 0 "WAV on stdin" sh -c 'cat "$2" | ser-mfcc --text -k "$1"' sh "$T/a.wav" "$T/a.wav"
check "stdin WAV (detected) == file" cmp -s "$T/out" "$T/file.txt"
status 0 "raw f32 on stdin" sh -c 'ser-mfcc --text -e f32 -k "$1" < "$2"' sh "$T/a.wav" "$T/a.f32"
check "stdin raw f32 == file" cmp -s "$T/out" "$T/file.txt"
status 0 "- as a file argument" sh -c 'ser-mfcc --text -k "$1" - < "$2"' sh "$T/a.wav" "$T/a.raw"
check "- argument == file" cmp -s "$T/out" "$T/file.txt"
# reads of any size: split inside a sample and inside a frame, with pauses
status 0 "raw s16 on stdin in pieces" sh -c '{ head -c 1001 "$2"; sleep 0.2; tail -c +1002 "$2" | head -c 9000;
	sleep 0.2; tail -c +10002 "$2"; } | ser-mfcc --text -k "$1"' sh "$T/a.wav" "$T/a.raw"
check "stdin in pieces == file (frames do not depend on read sizes)" cmp -s "$T/out" "$T/file.txt"
ser-mfcc "$T/a.wav" >"$T/file.feat" 2>/dev/null
ser-mfcc -k "$T/a.wav" <"$T/a.raw" >"$T/raw.feat" 2>/dev/null
check "binary stream: stdin raw == file" cmp -s "$T/raw.feat" "$T/file.feat"
status 0 "--raw output" ser-mfcc --raw "$T/a.wav"
check "--raw: 98 frames x 40 float32 = 15680 bytes (got $(size "$T/out"))" test "$(size "$T/out")" -eq 15680

# resampled input: 8 kHz stereo WAV file, the same through stdin, and raw with --input-rate
status 0 "8 kHz stereo file resampled to 16 kHz" ser-mfcc --text "$T/c8.wav"
sed "1s|^$T/c8.wav|x|" "$T/out" >"$T/c8file.txt"
check "8 kHz, 1 s -> 98 frames" test "$(frames "$T/out")" -eq 98
status 0 "8 kHz raw with --input-rate" sh -c 'ser-mfcc --text -k x --input-rate 8000 < "$1"' sh "$T/c8.raw"
check "8 kHz raw resampled on stdin: 98 frames" test "$(frames "$T/out")" -eq 98
status 0 "8 kHz WAV on stdin" sh -c 'ser-mfcc --text -k x < "$1"' sh "$T/c8.wav"
check "8 kHz WAV on stdin == 8 kHz file" cmp -s "$T/out" "$T/c8file.txt"

# ---- many inputs ----
status 0 "two files" ser-mfcc --text "$T/a.wav" "$T/b.wav"
mv "$T/out" "$T/ab.txt"
ser-mfcc --text "$T/b.wav" >"$T/b.txt" 2>/dev/null
check "two files == the two outputs concatenated (text)" sh -c 'cat "$1" "$2" | cmp -s - "$3"' sh "$T/file.txt" "$T/b.txt" "$T/ab.txt"
status 2 "missing file among others: status 2" ser-mfcc --text "$T/a.wav" "$T/missing.wav" "$T/b.wav"
check "missing file reported as ser-mfcc: FILE: reason" grep -q "^ser-mfcc: $T/missing.wav: " "$T/err"
check "the other files are processed" cmp -s "$T/out" "$T/ab.txt"
printf 'this is not audio\n' >"$T/text.wav"
status 2 "non-audio file: status 2" ser-mfcc --text "$T/text.wav"
check "non-audio file reported" grep -q "^ser-mfcc: $T/text.wav: " "$T/err"
# binary streams concatenate too: a reader (ser-classify) sees the two
# utterances, each as it sees it alone
m=$SER_ROOT/weights/default.ser
ser-mfcc "$T/b.wav" >"$T/b.feat" 2>/dev/null
cat "$T/file.feat" "$T/b.feat" >"$T/cat.feat"
{ ser-classify -m "$m" --probs "$T/file.feat"; ser-classify -m "$m" --probs "$T/b.feat"; } >"$T/sep.lab" 2>/dev/null
status 0 "concatenated binary streams are readable" ser-classify -m "$m" --probs "$T/cat.feat"
check "cat a.feat b.feat reads as the two utterances" sh -c '[ "$(wc -l < "$1")" -eq 2 ] && cmp -s "$1" "$2"' sh "$T/out" "$T/sep.lab"

# ---- empty and odd stdin ----
status 0 "empty stdin: an utterance with 0 frames, status 0" sh -c 'ser-mfcc --text < /dev/null'
check "empty stdin: text archive with no frames" sh -c '[ "$2" -eq 0 ] && grep -q "^- *\[" "$1"' sh "$T/out" "$(frames "$T/out")"
check "empty stdin: nothing on stderr" test ! -s "$T/err"
status 0 "empty stdin, --raw: no bytes" sh -c 'ser-mfcc --raw < /dev/null'
check "empty stdin, --raw: 0 bytes" test "$(size "$T/out")" -eq 0
printf 'abc' >"$T/odd.raw"
status 2 "raw s16 stdin with an odd byte count: status 2" sh -c 'ser-mfcc --text < "$1"' sh "$T/odd.raw"

# ---- streaming: frames appear before the input ends ----
rm -f "$T/fifo" && mkfifo "$T/fifo"
ser-mfcc --raw <"$T/fifo" >"$T/live.out" 2>"$T/live.err" &
pid=$!
exec 3>"$T/fifo"
cat "$T/a.raw" >&3
i=0
while [ "$(size "$T/live.out")" -lt 15680 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
check "live stdin: all 98 frames are written while the writer still holds the pipe open" test "$(size "$T/live.out")" -eq 15680
exec 3>&-
wait $pid
check "live stdin: ends with status 0 at end of input" test $? -eq 0

# ---- SIGPIPE and output errors ----
sox -n -r 16000 -c 1 -b 16 -e signed "$T/big.wav" synth 60 whitenoise vol 0.3
sh -c 'ser-mfcc "$1" 2>"$2"; echo $? >"$3"' sh "$T/big.wav" "$T/pipe.err" "$T/pipe.st" | head -c 100 >/dev/null
st=$(cat "$T/pipe.st")
check "ser-mfcc big.wav | head -c 100: status 141 or 0 (got $st)" sh -c '[ "$1" = 141 ] || [ "$1" = 0 ]' sh "$st"
check "ser-mfcc big.wav | head -c 100: nothing on stderr" test ! -s "$T/pipe.err"
if [ -w /dev/full ]; then
	status 2 "> /dev/full: status 2" sh -c 'ser-mfcc "$1" > /dev/full' sh "$T/a.wav"
	check "> /dev/full: a message on stderr" grep -q "^ser-mfcc: " "$T/err"
else
	skip "/dev/full not available"
fi

# sox writing WAV to a pipe states a data size of 0x7ffff000: read to the end
sox -n -r 16000 -c 1 -b 16 "$T/soxpipe.wav" synth 0.7 sine 440 2>/dev/null
sox "$T/soxpipe.wav" -t wav - 2>/dev/null | ser-mfcc --key k --text > "$T/soxpipe.a" 2>"$T/soxpipe.err"
rc=$?
ser-mfcc --key k --text < "$T/soxpipe.wav" > "$T/soxpipe.b" 2>/dev/null
check "sox's streaming WAV on a pipe: exit 0 ($rc), no message" sh -c "[ $rc -eq 0 ] && [ ! -s '$T/soxpipe.err' ]"
check "sox's streaming WAV on a pipe: same features as the WAV file" cmp -s "$T/soxpipe.a" "$T/soxpipe.b"
