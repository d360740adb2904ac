#!/bin/sh
# ser-capture: files to PCM, options, exit statuses, and ALSA capture
# through the `file` plugin (test/alsa/asoundrc.in), no sound card needed.
. "$SER_ROOT/test/cli/lib.sh"

need_prog ser-capture
need_sox ser-capture

# fixtures quietly (no dither-clipping warnings)
sox() { command sox -V1 "$@"; }
# bytes in a file
# |a - b| <= tol
near() { d=$(($1 - $2)); [ "$d" -le "$3" ] && [ "$d" -ge "-$3" ]; }

# ---- files ----
sox -n -r 16000 -c 1 -b 16 -e signed "$T/m16.wav" synth 1.3 sine 440 vol 0.5
sox "$T/m16.wav" -t raw -e signed -b 16 "$T/m16.raw"
status 0 "16 kHz mono WAV to raw s16" ser-capture "$T/m16.wav"
check "raw s16 output equals sox -t raw -e signed -b 16 for a file at the target rate" \
	cmp -s "$T/out" "$T/m16.raw"
status 0 "same through stdin (-)" sh -c 'ser-capture - < "$1"' sh "$T/m16.wav"
check "stdin gives the same bytes" cmp -s "$T/out" "$T/m16.raw"
for fmt in flac aiff ogg; do
	sox "$T/m16.wav" "$T/m16.$fmt"
	ser-capture "$T/m16.$fmt" >"$T/file.raw" 2>/dev/null
	status 0 "$fmt through a pipe on stdin" sh -c 'cat "$1" | ser-capture -' sh "$T/m16.$fmt"
	check "$fmt through a pipe gives the same samples as the file ($(size "$T/out") bytes)" \
		cmp -s "$T/out" "$T/file.raw"
done
sox "$T/m16.wav" -t raw -e float -b 32 "$T/m16.f32"
status 0 "-e f32" ser-capture -e f32 "$T/m16.wav"
check "f32 output equals sox -e float -b 32" cmp -s "$T/out" "$T/m16.f32"

# rates 8k..192k, 1..8 channels in: 0.5 s gives 8000 samples at 16 kHz
for rc in 8000:1 11025:2 22050:3 32000:4 44100:2 48000:6 96000:8 192000:2; do
	r=${rc%:*} c=${rc#*:}
	sox -n -r "$r" -c "$c" -b 16 -e signed "$T/x.wav" synth 0.5 sine 300 sine 500 sine 700 \
		sine 900 sine 1100 sine 1300 sine 1500 sine 1700 remix 1-"$c" 2>/dev/null ||
		sox -n -r "$r" -c "$c" -b 16 -e signed "$T/x.wav" synth 0.5 sine 300
	ser-capture "$T/x.wav" >"$T/x.raw" 2>"$T/err"
	n=$(($(size "$T/x.raw") / 2))
	if near "$n" 8000 3; then ok "$r Hz, $c channels -> 16000 Hz mono: $n samples (want 8000)"
	else notok "$r Hz, $c channels -> 16000 Hz mono: $n samples (want 8000; $(head -c 200 "$T/err"))"; fi
done
# downmix: left +x, right -x cancels to silence
sox -n -r 16000 -c 2 -b 16 -e signed "$T/anti.wav" synth 0.2 sine 440 remix 1 1v-1
ser-capture "$T/anti.wav" >"$T/anti.raw"
peak=$(sox -t raw -r 16000 -e signed -b 16 -c 1 "$T/anti.raw" -n stat 2>&1 | awk '/Maximum amplitude/ {print $3}')
check "stereo with opposite channels downmixes to silence (max $peak)" \
	awk -v p="$peak" 'BEGIN { exit !(p != "" && p + 0 <= 0.0001) }'
# resampled output keeps its frequency: 1 kHz at 44.1 kHz -> 16 kHz, rough frequency from sox stat
sox -n -r 44100 -c 1 -b 16 -e signed "$T/k44.wav" synth 1 sine 1000 vol 0.5
ser-capture --vhq "$T/k44.wav" >"$T/k16.raw"
freq=$(sox -t raw -r 16000 -e signed -b 16 -c 1 "$T/k16.raw" -n stat 2>&1 | awk '/Rough   frequency/ {print $3}')
check "44.1 kHz 1 kHz sine resampled (--vhq) is still ~1 kHz (sox says $freq)" \
	awk -v f="$freq" 'BEGIN { exit !(f >= 990 && f <= 1010) }'

# WAV output
status 0 "-t wav to a regular file" sh -c 'ser-capture -t wav "$1" > "$2"' sh "$T/m16.wav" "$T/o.wav"
check "WAV file: sox reads 20800 samples at 16000 Hz" \
	test "$(soxi -s "$T/o.wav" 2>/dev/null)" = 20800 -a "$(soxi -r "$T/o.wav" 2>/dev/null)" = 16000
sox "$T/o.wav" -t raw "$T/o.raw" 2>/dev/null
check "WAV file: data equals the raw output" cmp -s "$T/o.raw" "$T/m16.raw"
ser-capture -t wav "$T/m16.wav" | sox -t wav - -t raw "$T/p.raw" 2>/dev/null
check "WAV to a pipe (unknown length): sox reads the same samples" cmp -s "$T/p.raw" "$T/m16.raw"
ser-capture -t wav -e f32 "$T/m16.wav" | ser-capture - >"$T/p2.raw"
check "f32 WAV to a pipe read back by ser-capture - (libsndfile)" cmp -s "$T/p2.raw" "$T/m16.raw"
ser-capture -t wav -e f32 "$T/m16.wav" >"$T/of.wav"
check "f32 WAV file: sox reads 20800 float samples" \
	test "$(soxi -s "$T/of.wav" 2>/dev/null)" = 20800 -a "$(soxi -e "$T/of.wav" 2>/dev/null)" = "Floating Point PCM"

# bad files: reported, the others processed, status 2
: >"$T/empty.wav"
printf 'not audio, only text\n' >"$T/text.wav"
status 2 "bad files among good ones: status 2" \
	ser-capture "$T/m16.wav" "$T/nosuch.wav" "$T/empty.wav" "$T/text.wav" "$T" "$T/m16.wav"
check "the good files were both written" test "$(size "$T/out")" = $((2 * 41600))
check "each bad file named on stderr" sh -c 'grep -q nosuch.wav "$1" && grep -q empty.wav "$1" &&
	grep -q text.wav "$1" && test "$(wc -l < "$1")" -eq 4' sh "$T/err"
check "messages are 'ser-capture: FILE: reason'" grep -q '^ser-capture: .*nosuch.wav: No such file' "$T/err"

# options
status 1 "-r 10 is a usage error" ser-capture -r 10 "$T/m16.wav"
status 1 "-r abc is a usage error" ser-capture -r abc "$T/m16.wav"
status 1 "-e s24 is a usage error" ser-capture -e s24 "$T/m16.wav"
status 1 "-D with files is a usage error (nothing is recorded)" ser-capture -D hw:0 "$T/m16.wav"
check "-D with files: says why" grep -q "^ser-capture: --device records from a device" "$T/err"
status 1 "-t mp3 is a usage error" ser-capture -t mp3 "$T/m16.wav"
status 1 "-d 0 is a usage error" ser-capture -d 0 "$T/m16.wav"
status 1 "-d -1 is a usage error" ser-capture -d -1 "$T/m16.wav"
status 1 "unknown option is a usage error" ser-capture --bogus "$T/m16.wav"
check "usage error output is on stderr only" test ! -s "$T/out"
status 0 "-d 0.25 limits the output" ser-capture -d 0.25 "$T/m16.wav"
check "-d 0.25 at 16 kHz: 4000 samples" test "$(size "$T/out")" = 8000
status 0 "-d spans files" ser-capture -d 2 "$T/m16.wav" "$T/m16.wav"
check "-d 2 over two 1.3 s files: 32000 samples" test "$(size "$T/out")" = 64000
status 0 "-r 8000" ser-capture -r 8000 "$T/m16.wav"
n=$(($(size "$T/out") / 2))
check "-r 8000: $n samples (want 10400)" near "$n" 10400 2

# SIGPIPE, full disk
sox -n -r 44100 -c 2 -b 16 -e signed "$T/big.wav" synth 30 sine 440
{ ser-capture "$T/big.wav" 2>"$T/pipe.err"; echo $? >"$T/pipe.rc"; } | head -c 100 >/dev/null
check "reader closing early: no message (status $(cat "$T/pipe.rc"))" test ! -s "$T/pipe.err"
check "reader closing early: killed by SIGPIPE or 0" sh -c 'r=$(cat "$1"); [ "$r" = 141 ] || [ "$r" = 0 ]' sh "$T/pipe.rc"
if [ -w /dev/full ]; then
	status 2 "> /dev/full: status 2" sh -c 'ser-capture "$1" > /dev/full' sh "$T/m16.wav"
	check "> /dev/full: message" grep -q 'ser-capture: .*No space left' "$T/err"
else
	skip "/dev/full not available"
fi

# --help and the man page
status 0 "--help exits 0" ser-capture --help
check "--help goes to stdout" test -s "$T/out"
sed 's/\\-/-/g' "$SER_ROOT/man/ser-capture.1" >"$T/man.txt"
missing=
for o in $(grep -o -- '--[a-z][a-z-]*' "$T/out" | sort -u); do
	grep -q -- "$o" "$T/man.txt" || missing="$missing $o"
done
check "every --help option is in ser-capture.1${missing:+ (missing:$missing)}" test -z "$missing"
for s in SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES; do
	check "ser-capture.1 has $s" grep -q "^\.SH \"*$s" "$SER_ROOT/man/ser-capture.1"
done

# ---- ALSA capture through the file plugin ----
# 0.77 s of noise at 16 kHz: 12320 samples, not a whole number of periods.
sox -V1 -n -r 16000 -c 1 -b 16 -e signed -t raw "$T/mic.raw" synth 0.77 whitenoise vol 0.3
mkfifo "$T/mic.fifo"
sed -e "s|@INFILE@|$T/mic.raw|" -e "s|@FIFO@|$T/mic.fifo|" "$SER_ROOT/test/alsa/asoundrc.in" >"$T/asound.conf"
ALSA_CONFIG_PATH=$T/asound.conf
export ALSA_CONFIG_PATH

status 0 "capture from the file device ends at its end with status 0" ser-capture -D filemic
check "captured PCM equals the device's input file ($(size "$T/out") of $(size "$T/mic.raw") bytes)" \
	cmp -s "$T/out" "$T/mic.raw"
check "no ALSA or other messages on stderr" test ! -s "$T/err"
status 0 "capture -d 0.5" ser-capture -D filemic -d 0.5
head -c 16000 "$T/mic.raw" >"$T/mic.half"
check "capture -d 0.5: the first 8000 samples" cmp -s "$T/out" "$T/mic.half"
sox -t raw -r 16000 -e signed -b 16 -c 1 "$T/mic.raw" -t raw -e float -b 32 "$T/mic.f32"
status 0 "capture -e f32" ser-capture -D filemic -e f32
check "capture -e f32 equals sox's float conversion" cmp -s "$T/out" "$T/mic.f32"
status 0 "capture -t wav to a file" sh -c 'ser-capture -D filemic -t wav > "$1"' sh "$T/mic.wav"
check "capture WAV: sox reads 12320 samples" test "$(soxi -s "$T/mic.wav" 2>/dev/null)" = 12320
status 2 "a device that does not exist: status 2" ser-capture -D no_such_device_x
check "  with a message naming it" grep -q '^ser-capture: no_such_device_x: ' "$T/err"
check "  and no ALSA library noise" sh -c '! grep -q "ALSA lib" "$1"' sh "$T/err"

# SIGTERM mid-capture: a fifo device paced by a slow writer (3200 bytes every 0.05 s)
( i=0; while [ $i -lt 400 ]; do head -c 3200 "$T/mic.raw" || exit 0; sleep 0.05; i=$((i + 1)); done ) \
	>"$T/mic.fifo" 2>/dev/null &
feeder=$!
: >"$T/sig.raw"   # exists before the loop below reads its size, however slow the start
ser-capture -D fifomic >"$T/sig.raw" 2>"$T/sig.err" &
pid=$!
i=0
while [ "$(cat "$T/sig.raw" 2>/dev/null | wc -c)" -lt 6400 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
n=$(size "$T/sig.raw")
check "SIGTERM mid-capture: exit status 0 (got $rc; $(head -c 200 "$T/sig.err"))" test "$rc" -eq 0
check "SIGTERM mid-capture: some output ($n bytes), a whole number of samples" \
	test "$n" -gt 0 -a $((n % 2)) -eq 0
