#!/bin/sh
# Hostile input through the programs: zero-length and one-sample inputs,
# damaged WAV headers, NaN/Inf samples, truncated and bit-flipped model
# files, damaged feature streams, huge and non-UTF-8 names, directories
# and missing files as inputs, stdout closed or full, SIGPIPE, absurd
# option values. Every case must end with the documented status (0, 1
# usage, 2 data) and a "prog: ..." reason, never a crash: a signal or a
# sanitizer report (test/run collects those) fails the case.
. "$SER_ROOT/test/cli/lib.sh"

have() { command -v "$1" >/dev/null 2>&1; }
# refuse STATUS PROG NAME COMMAND...: exit STATUS and stderr starting "PROG: ".
refuse() {
	local want=$1 prog=$2 n=$3; shift 3
	status "$want" "$n" "$@"
	if head -1 "$T/err" | grep -q "^$prog: "; then ok "$n: says why: $(head -1 "$T/err" | cut -c1-120)"
	else notok "$n: no '$prog: ' reason on stderr: $(head -c 200 "$T/err")"; fi
}
# sane NAME COMMAND...: status 0 or 2 (2 with a reason), never a signal or 1.
sane() {
	local n=$1; shift
	"$@" >"$T/out" 2>"$T/err"; local got=$?
	if [ "$got" -eq 0 ] || { [ "$got" -eq 2 ] && [ -s "$T/err" ]; }; then ok "$n (status $got)"
	else notok "$n (status $got; stderr: $(head -c 200 "$T/err"))"; fi
}
le32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
le16() { printf "$(printf '\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)))"; }
# wavhdr TAG CHANNELS RATE BITS: RIFF/WAVE and a 16-byte fmt chunk
wavhdr() {
	printf 'RIFF'; le32 4294967295; printf 'WAVEfmt '; le32 16
	le16 "$1"; le16 "$2"; le32 "$3"; le32 $(($3 * $2 * $4 / 8)); le16 $(($2 * $4 / 8)); le16 "$4"
}
H=$T/h; mkdir -p "$H"

# ---------------- ser-mfcc ----------------
if have ser-mfcc; then
	: >"$H/empty"
	status 0 "mfcc: zero-length stdin" sh -c 'ser-mfcc < "$1"' sh "$H/empty"
	status 0 "mfcc: one s16 sample" sh -c 'printf "\001\002" | ser-mfcc --text'
	check "mfcc: one sample gives an utterance with no frames" sh -c 'grep -q "^- *\[" "$1" && ! grep -q "[0-9]" "$1"' sh "$T/out"
	status 0 "mfcc: one f32 sample" sh -c 'printf "\000\000\000\077" | ser-mfcc -e f32'
	refuse 2 ser-mfcc "mfcc: odd byte count (half a sample)" sh -c 'printf "\001\002\003" | ser-mfcc'
	{ wavhdr 1 1 16000 16; printf 'data'; le32 0; } >"$H/hdr-only.wav"
	refuse 2 ser-mfcc "mfcc: WAV header without samples: no audio, an error" sh -c 'ser-mfcc < "$1"' sh "$H/hdr-only.wav"
	head -c 30 "$H/hdr-only.wav" >"$H/cut.wav"
	refuse 2 ser-mfcc "mfcc: WAV cut inside fmt" sh -c 'ser-mfcc < "$1"' sh "$H/cut.wav"
	{ wavhdr 1 65 16000 16; printf 'data'; le32 0; } >"$H/ch65.wav"
	refuse 2 ser-mfcc "mfcc: WAV with 65 channels" sh -c 'ser-mfcc < "$1"' sh "$H/ch65.wav"
	{ wavhdr 1 1 0 16; printf 'data'; le32 0; } >"$H/rate0.wav"
	refuse 2 ser-mfcc "mfcc: WAV at 0 Hz" sh -c 'ser-mfcc < "$1"' sh "$H/rate0.wav"
	{ wavhdr 3 1 16000 16; printf 'data'; le32 0; } >"$H/f16.wav"
	refuse 2 ser-mfcc "mfcc: WAV float with 16 bits" sh -c 'ser-mfcc < "$1"' sh "$H/f16.wav"
	{ wavhdr 1 1 16000 16; printf 'data'; le32 1000; printf 'abcd'; } >"$H/short.wav"
	refuse 2 ser-mfcc "mfcc: WAV data chunk shorter than stated" sh -c 'ser-mfcc < "$1"' sh "$H/short.wav"
	{ wavhdr 1 1 16000 16; printf 'LIST'; le32 4294967295; } >"$H/list.wav"
	refuse 2 ser-mfcc "mfcc: WAV chunk claiming 4 GiB (refused, not read)" sh -c 'ser-mfcc < "$1"' sh "$H/list.wav"
	{ printf 'RIFF'; le32 4; printf 'WAVEfmt '; le32 4294967295; } >"$H/fmtbig.wav"
	refuse 2 ser-mfcc "mfcc: WAV fmt chunk of 4 GiB" sh -c 'ser-mfcc < "$1"' sh "$H/fmtbig.wav"
	# 1000 f32 samples of 0.1 with one special value at 500
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "\315\314\314\075" }' >"$H/tone.f32" 2>/dev/null
	for v in nan:'\000\000\300\177' inf:'\000\000\200\177' -inf:'\000\000\200\377' flt_max:'\377\377\177\177'; do
		{ head -c 2000 "$H/tone.f32"; printf "${v#*:}"; tail -c +2005 "$H/tone.f32"; } >"$H/${v%%:*}.f32"
		refuse 2 ser-mfcc "mfcc: f32 input with ${v%%:*}" sh -c 'ser-mfcc -e f32 --text < "$1"' sh "$H/${v%%:*}.f32"
		case $v in flt_max*) ;; *)
			check "mfcc: ${v%%:*}: the input and sample are named" grep -q '^ser-mfcc: -: sample 500 is' "$T/err" ;;
		esac
		check "mfcc: no NaN/Inf written for ${v%%:*} input" sh -c '! grep -qi "nan\|inf" "$1"' sh "$T/out"
	done
	refuse 2 ser-mfcc "mfcc: a directory as input" ser-mfcc "$H"
	refuse 2 ser-mfcc "mfcc: a missing file" ser-mfcc "$H/no-such.wav"
	if [ "$(id -u)" -ne 0 ]; then
		cp "$H/hdr-only.wav" "$H/unreadable.wav"; chmod 000 "$H/unreadable.wav"
		refuse 2 ser-mfcc "mfcc: an unreadable file" ser-mfcc "$H/unreadable.wav"
	else
		skip "mfcc: unreadable file (running as root reads anything)"
	fi
	refuse 2 ser-mfcc "mfcc: garbage named .wav" sh -c 'printf "RIFF\377\377\377\377WAVEjunk" > "$1/junk.wav"; ser-mfcc "$1/junk.wav"' sh "$H"
	refuse 1 ser-mfcc "mfcc: n-mels 99999999999999999999" ser-mfcc --n-mels 99999999999999999999
	refuse 1 ser-mfcc "mfcc: scale nan" ser-mfcc --scale nan
	refuse 1 ser-mfcc "mfcc: empty frame-length" ser-mfcc --frame-length ''
	refuse 1 ser-mfcc "mfcc: rate 1e9" ser-mfcc -r 1000000000
	k=$(awk 'BEGIN { while (n++ < 5000) printf "k" }')
	refuse 1 ser-mfcc "mfcc: a 5000-byte key (limit 4096)" sh -c 'printf "\001\002" | ser-mfcc -k "$1"' sh "$k"
	if have sox; then
		sox -n -r 16000 -b 16 -c 1 "$H/t.wav" synth 1 sine 440 vol 0.3 2>/dev/null
		# regression: sliding CMVN allocated cmvn-window x n-ceps doubles at once (8 GB)
		status 0 "mfcc: cmvn-window 1000000 with 1024 cepstra runs" ser-mfcc --cmvn sliding --cmvn-window 1000000 \
			--n-mels 1024 --n-ceps 1024 --fft-size 4096 --low-freq 0 --high-freq 8000 "$H/t.wav"
		nu=$(printf 'x\351\300y')  # Latin-1, invalid UTF-8 (0xff is not a Kaldi token)
		cp "$H/t.wav" "$H/$nu.wav"
		status 0 "mfcc: a non-UTF-8 file name" ser-mfcc --text "$H/$nu.wav"
		check "mfcc: the key keeps the name's bytes" env LC_ALL=C grep -qF "$nu" "$T/out"
		refuse 2 ser-mfcc "mfcc: stdout closed" sh -c 'ser-mfcc "$1" >&-' sh "$H/t.wav"
		refuse 2 ser-mfcc "mfcc: stdout full (/dev/full)" sh -c 'ser-mfcc "$1" > /dev/full' sh "$H/t.wav"
		sox -n -r 16000 -b 16 -c 1 "$H/long.wav" synth 20 sine 440 vol 0.3 2>/dev/null
		( ser-mfcc "$H/long.wav" 2>"$H/pipe.err"; echo $? >"$H/pipe.rc" ) | head -c 100 >/dev/null
		check "mfcc: SIGPIPE ends quietly (status $(cat "$H/pipe.rc"))" sh -c \
			'rc=$(cat "$1/pipe.rc"); { [ "$rc" -eq 0 ] || [ "$rc" -eq 141 ]; } && [ ! -s "$1/pipe.err" ]' sh "$H"
	else
		skip "mfcc: sox not installed (file, closed/full stdout and SIGPIPE cases)"
	fi
else
	skip "hostile: ser-mfcc not built"
fi

# ---------------- ser-classify / ser-train ----------------
# flip_byte FILE AT MASK: FILE with its byte at offset AT xor MASK (so it
# always changes, whatever the byte was: a model records temporary paths)
flip_byte() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	head -c "$2" "$1"
	printf "\\$(printf '%03o' $((b ^ $3)))"
	tail -c +$(($2 + 2)) "$1"
}
if have ser-classify && have ser-train && have ser-mfcc && have sox; then
	D=$H/wav; mkdir -p "$D"
	for a in 01 02; do
		sox -n -r 16000 -b 16 -c 1 "$D/03-01-01-01-01-01-$a.wav" synth 0.5 sine 300 vol 0.3
		sox -n -r 16000 -b 16 -c 1 "$D/03-01-05-01-01-01-$a.wav" synth 0.5 square 900 vol 0.3
	done
	ser-mfcc "$D"/*.wav >"$H/f.feat"
	ser-train -q --arch "conv:4:3 relu stats dense" --classes neutral,angry --epochs 2 --crop 20 -j 1 \
		-o "$H/m.ser" "$H/f.feat" 2>/dev/null
	if [ -s "$H/m.ser" ]; then
		status 0 "classify: the fixture model works" ser-classify -m "$H/m.ser" "$H/f.feat"
		n=$(wc -c <"$H/m.ser")
		: >"$H/m0.ser"
		refuse 2 ser-classify "classify: empty model file" ser-classify -m "$H/m0.ser" "$H/f.feat"
		for cut in 1 12 40 $((n / 2)) $((n - 1)); do
			head -c "$cut" "$H/m.ser" >"$H/mc.ser"
			refuse 2 ser-classify "classify: model cut to $cut of $n bytes" ser-classify -m "$H/mc.ser" "$H/f.feat"
		done
		for at in 10 30 50 $((n / 2)) $((n - 3)); do
			flip_byte "$H/m.ser" "$at" 85 >"$H/mf.ser"
			refuse 2 ser-classify "classify: model with byte $at changed" ser-classify -m "$H/mf.ser" "$H/f.feat"
		done
		refuse 2 ser-classify "classify: a directory as model" ser-classify -m "$H" "$H/f.feat"
		refuse 2 ser-classify "classify: a missing model" ser-classify -m "$H/none.ser" "$H/f.feat"
		refuse 2 ser-classify "classify: a WAV file as model" ser-classify -m "$D/03-01-01-01-01-01-01.wav" "$H/f.feat"
		fn=$(wc -c <"$H/f.feat")
		for cut in 0 1 8 $((fn / 2)) $((fn - 1)); do
			head -c "$cut" "$H/f.feat" >"$H/fc.feat"
			sane "classify: feature stream cut to $cut of $fn bytes" ser-classify -m "$H/m.ser" "$H/fc.feat"
		done
		for at in 4 20 200 $((fn / 2)) $((fn - 2)); do
			flip_byte "$H/f.feat" "$at" 170 >"$H/ff.feat"
			refuse 2 ser-classify "classify: feature stream with byte $at changed" ser-classify -m "$H/m.ser" "$H/ff.feat"
		done
		{ cat "$H/f.feat"; head -c 300 "$H/f.feat"; } >"$H/fcat.feat"
		refuse 2 ser-classify "classify: a stream followed by a cut second stream" ser-classify -m "$H/m.ser" "$H/fcat.feat"
		check "classify: ... still labels the utterances before the damage" test "$(wc -l <"$T/out")" -eq 4
		check "classify: a cut stream is an error, not a short success" sh -c \
			'head -c $(($2 - 1)) "$1/f.feat" | ser-classify -m "$1/m.ser" >/dev/null 2>&1; [ $? -eq 2 ]' sh "$H" "$fn"
		# float WAV with one NaN, and one FLT_MAX (finite, but NaN features)
		for v in nan:'\000\000\300\177' flt_max:'\377\377\177\177'; do
			{ printf 'RIFF'; le32 4036; printf 'WAVEfmt '; le32 16; le16 3; le16 1; le32 16000; le32 64000; le16 4; le16 32
			  printf 'data'; le32 4000; head -c 2000 "$H/tone.f32"; printf "${v#*:}"; tail -c +2005 "$H/tone.f32"; } >"$H/${v%%:*}.wav"
			refuse 2 ser-classify "classify: float WAV with ${v%%:*} refused, not labelled" ser-classify -m "$H/m.ser" "$H/${v%%:*}.wav"
			check "classify: no label line for the ${v%%:*} WAV" test ! -s "$T/out"
		done
		k4=$(awk 'BEGIN { while (n++ < 4096) printf "k" }')
		status 0 "classify: a key of 4096 bytes (the limit) end to end" sh -c \
			'ser-mfcc -k "$2" < "$1/wav/03-01-01-01-01-01-01.wav" | ser-classify -m "$1/m.ser"' sh "$H" "$k4"
		check "classify: ... the key comes out whole" test "$(cut -f1 "$T/out" | wc -c)" -eq 4097
		refuse 2 ser-classify "classify: stdout closed" sh -c 'ser-classify -m "$1/m.ser" "$1/f.feat" >&-' sh "$H"
		for i in 1 2 3 4 5 6 7 8; do cat "$H/f.feat"; done >"$H/f8.feat"
		( ser-classify -m "$H/m.ser" "$H/f8.feat" "$H/f8.feat" 2>"$H/cpipe.err"; echo $? >"$H/cpipe.rc" ) | head -c 1 >/dev/null
		check "classify: SIGPIPE ends quietly (status $(cat "$H/cpipe.rc"))" sh -c \
			'rc=$(cat "$1/cpipe.rc"); { [ "$rc" -eq 0 ] || [ "$rc" -eq 141 ]; } && [ ! -s "$1/cpipe.err" ]' sh "$H"
		refuse 2 ser-classify "classify: a directory as input" ser-classify -m "$H/m.ser" "$H"
		refuse 2 ser-classify "classify: stdout full" sh -c 'ser-classify -m "$1/m.ser" "$1/f.feat" > /dev/full' sh "$H"
		refuse 2 ser-train "train: a directory as features" ser-train -o "$H/x.ser" "$H"
		refuse 2 ser-train "train: a cut feature stream" sh -c 'head -c 100 "$1/f.feat" | ser-train -q -o "$1/x.ser"' sh "$H"
		check "train: no model written on failure" test ! -e "$H/x.ser"
		refuse 1 ser-train "train: epochs 1e99" ser-train -o "$H/x.ser" --epochs 1e99 "$H/f.feat"
	else
		notok "hostile: could not train the fixture model"
	fi
else
	skip "hostile: ser-classify, ser-train, ser-mfcc or sox missing"
fi

# ---------------- ser-eval ----------------
if have ser-eval; then
	refuse 2 ser-eval "eval: empty input" sh -c 'ser-eval < /dev/null'
	# an endless line is refused at the line limit (1 MiB), not held in memory
	refuse 2 ser-eval "eval: endless line from /dev/zero" sh -c 'head -c 50000000 /dev/zero | ser-eval'
	refuse 2 ser-eval "eval: NUL in a line" sh -c 'printf "03-01-05-01-01-01-07\000\tangry\t0.9\n" | ser-eval'
	refuse 2 ser-eval "eval: a directory as input" ser-eval "$H"
	refuse 2 ser-eval "eval: a directory as truth" sh -c 'printf "03-01-05-01-01-01-07\tangry\t0.9\n" | ser-eval --truth "$1"' sh "$H"
	status 0 "eval: non-UTF-8 key with a truth map" sh -c \
		'printf "\377k\tangry\n" > "$1/truth"; printf "\377k\tangry\t0.9\n" | ser-eval --truth "$1/truth"' sh "$H"
	refuse 2 ser-eval "eval: stdout full" sh -c 'printf "03-01-05-01-01-01-07\tangry\t0.9\n" | ser-eval > /dev/full'
	refuse 2 ser-eval "eval: stdout closed" sh -c 'printf "03-01-05-01-01-01-07\tangry\t0.9\n" | ser-eval >&-'
else
	skip "hostile: ser-eval not built"
fi

# ---------------- ser-capture ----------------
if have ser-capture; then
	refuse 2 ser-capture "capture: a directory as input" ser-capture "$H"
	refuse 2 ser-capture "capture: an empty file" ser-capture "$H/empty"
	refuse 2 ser-capture "capture: garbage file" sh -c 'printf "RIFF\377\377\377\377WAVEjunk" > "$1/junk2.wav"; ser-capture "$1/junk2.wav"' sh "$H"
	refuse 1 ser-capture "capture: rate 0" ser-capture -r 0 "$H/empty"
else
	skip "hostile: ser-capture not built"
fi
