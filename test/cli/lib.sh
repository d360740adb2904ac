# Shell test helpers, sourced by test/cli/*.sh.
# Environment from test/run: SER_BIN (programs), SER_ROOT (source tree),
# SER_TMP (scratch directory, removed afterwards), SER_DATA, SER_REF.
set -u
PATH="$SER_BIN:$PATH"
export PATH
# every test works in its own folder; without one, nothing runs (an empty
# $T would put the tests' files in /)
T=$(mktemp -d "$SER_TMP/t.XXXXXX") && [ -d "$T" ] || {
	printf 'not ok - no temporary folder under SER_TMP (%s)\n' "$SER_TMP"
	exit 1
}

ok() { printf 'ok - %s\n' "$*"; }
notok() { printf 'not ok - %s\n' "$*"; }
skip() { printf 'skip - %s\n' "$*"; }
# check NAME COMMAND...: passes when COMMAND succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else notok "$n"; fi; }
# status WANT NAME COMMAND...: runs COMMAND (stdout to $T/out, stderr to $T/err),
# passes when its exit status is WANT.
status() {
	local want=$1 n=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; local got=$?
	if [ "$got" -eq "$want" ]; then ok "$n"; else notok "$n (status $got, want $want; stderr: $(head -c 300 "$T/err"))"; fi
}
# need_prog NAME: the rest of the file needs program NAME; not ok and
# exit 1 without it (it should have been built).
need_prog() { command -v "$1" >/dev/null 2>&1 || { notok "$1 not built in $SER_BIN"; exit 1; }; }
# need_sox WHAT: the rest of the file needs sox (for fixtures); skips it
# ("WHAT: sox not installed", exit 0) without it.
need_sox() { command -v sox >/dev/null 2>&1 || { skip "$1: sox not installed"; exit 0; }; }
# two_class_wavs DIR ACTORS: the synthetic corpus of classify.sh and live.sh,
# RAVDESS-named, 1 s at 16 kHz: for each actor in ACTORS ("01 02 03") and
# statements 01, 02, neutral (01) a sine and angry (05) a square wave with
# pink noise, each actor and statement at its own pitch.
two_class_wavs() {
	local a s f
	for a in $2; do for s in 01 02; do
		f=$((150 + ${a#0} * 20 + ${s#0} * 7))
		sox -n -r 16000 -b 16 -c 1 "$1/03-01-01-01-$s-01-$a.wav" synth 1.0 sine $f vol 0.3
		sox -n -r 16000 -b 16 -c 1 "$1/03-01-05-01-$s-01-$a.wav" synth 1.0 square $((f * 3)) vol 0.3 synth 1.0 pinknoise mix
	done; done
}
# Requires the corpus; skips with a message otherwise.
have_data() { [ -d "$SER_DATA/ravdess" ]; }
have_ref() { [ -f "$SER_REF/README.md" ]; }
# size FILE: its length in bytes
size() { wc -c <"$1" | tr -d ' '; }
# emit TRUTHCODE PRED COUNT: COUNT ser-classify lines of RAVDESS-named keys whose
# truth is emotion code TRUTHCODE, labelled PRED (a counter i, set i=0 first,
# numbers the actors and the confidences)
emit() { # emit TRUTHCODE PRED COUNT
	n=$3
	while [ "$n" -gt 0 ]; do
		i=$((i + 1))
		printf 'corpus/Actor_%02d/03-01-%s-01-01-01-%02d.wav\t%s\t0.%d\n' "$i" "$1" "$i" "$2" "$i"
		n=$((n - 1))
	done
}
