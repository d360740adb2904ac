# The programs under valgrind (memcheck, leaks), on an unsanitised build
# ($SER_VALGRIND_BIN, made by `make check` in build/fast): a real file through
# each program. Skipped when valgrind or that build is absent.
. "$SER_ROOT/test/cli/lib.sh"
VB=${SER_VALGRIND_BIN:-}
if ! command -v valgrind >/dev/null 2>&1 || [ -z "$VB" ] || [ ! -x "$VB/ser-mfcc" ]; then
	skip "valgrind: valgrind or the unsanitised build (SER_VALGRIND_BIN) is absent"
	exit 0
fi
vg() { # NAME COMMAND...: passes when valgrind finds no error and no definite leak
	n=$1; shift
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--log-file="$T/vg.log" "$@" >"$T/vg.out" 2>"$T/vg.err" </dev/null
	rc=$?
	if [ $rc -ne 99 ] && [ ! -s "$T/vg.log" ]; then ok "valgrind: $n (status $rc)"
	else notok "valgrind: $n (status $rc): $(head -c 400 "$T/vg.log")"; fi
}
sox -n -r 22050 -c 2 "$T/a.wav" synth 1.2 sine 300 sine 900 2>/dev/null
vg "ser-capture file to raw" "$VB/ser-capture" -r 16000 "$T/a.wav"
vg "ser-mfcc ser preset" "$VB/ser-mfcc" "$T/a.wav"
"$VB/ser-mfcc" "$T/a.wav" > "$T/a.feat"
vg "ser-mfcc librosa pooled text" "$VB/ser-mfcc" --preset librosa --pool mean --text "$T/a.wav"
vg "ser-mfcc kaldi ark" "$VB/ser-mfcc" --preset kaldi --ark "$T/a.wav"
vg "ser-classify audio file" "$VB/ser-classify" -m "$SER_ROOT/weights/default.ser" --probs "$T/a.wav"
vg "ser-classify features, windows" "$VB/ser-classify" -m "$SER_ROOT/weights/default.ser" -w 0.5 -H 0.25 "$T/a.feat"
vg "ser-classify --segments --merge --format textgrid" "$VB/ser-classify" -m "$SER_ROOT/weights/default.ser" --segments --merge --format textgrid "$T/a.wav"
vg "ser-classify --segments --format vtt" "$VB/ser-classify" -m "$SER_ROOT/weights/default.ser" --segments --format vtt --probs "$T/a.wav"
"$VB/ser-classify" -m "$SER_ROOT/weights/default.ser" --probs -w 0.5 -H 0.25 "$T/a.wav" > "$T/w.tsv"
vg "ser-plot timeline --audio" "$VB/ser-plot" timeline --audio "$T/a.wav" "$T/w.tsv"
printf 'epoch\ttrain_loss\tval_acc\n1\t2.0\t0.3\n2\t1.5\t0.4\n' > "$T/log.tsv"
vg "ser-plot curves" "$VB/ser-plot" curves "$T/log.tsv"
if [ -f "$SER_ROOT/test/alsa/asoundrc.in" ]; then
	sed -e "s|@INFILE@|/dev/null|" -e "s|@FIFO@|/dev/null|" -e "s|@OUTFILE@|$T/played.raw|" \
		"$SER_ROOT/test/alsa/asoundrc.in" > "$T/asound.conf"
	ALSA_CONFIG_PATH=$T/asound.conf vg "ser-play --plain to the file plugin" \
		"$VB/ser-play" -m "$SER_ROOT/weights/default.ser" -D fileout -w 0.5 "$T/a.wav"
fi
printf '03-01-05-01-01-01-20.flac\tangry\t0.9\n03-01-04-01-01-01-20.flac\tangry\t0.6\n' > "$T/l.tsv"
vg "ser-eval" "$VB/ser-eval" "$T/l.tsv"
printf '03-01-05-01-01-01-20 s1\n' > "$T/u2s"
vg "ser-eval --bootstrap --by speaker --utt2spk" "$VB/ser-eval" --bootstrap 200 --by speaker --utt2spk "$T/u2s" "$T/l.tsv"
"$VB/ser-mfcc" -k utt1 --ark -o "$T/a.ark" --scp "$T/a.scp" - < "$T/a.wav"
vg "ser-mfcc --ark -o --scp" "$VB/ser-mfcc" --ark -o "$T/b.ark" --scp "$T/b.scp" "$T/a.wav"
vg "ser-classify --settings on an scp" "$VB/ser-classify" -m "$SER_ROOT/weights/default.ser" --settings ser "$T/a.scp"
"$VB/ser-feat" copy --to text "$T/a.feat" > "$T/a.txt"
vg "ser-feat copy --to npz from a text ark" "$VB/ser-feat" copy --to npz --settings "$T/a.feat" "$T/a.txt"
vg "ser-feat info and keys" "$VB/ser-feat" info --settings ser "$T/a.feat" "$T/a.ark" "$T/a.scp"
printf '%s s1\n' "$T/a.wav" > "$T/mfcc.u2s"
vg "ser-mfcc --cmvn speaker --npz" "$VB/ser-mfcc" --cmvn speaker --cmvn-vars 1 --utt2spk "$T/mfcc.u2s" --npz "$T/a.wav"
for i in 1 2 3 4; do
	"$VB/ser-mfcc" --key "03-01-0$((4 + i % 2))-01-01-01-0$i.wav" < "$T/a.wav"
done > "$T/tr.feat"
vg "ser-train tiny run" "$VB/ser-train" -q -o "$T/m.ser" --classes sad,angry --arch 'conv:4:3 relu stats dense' --epochs 2 -j 2 "$T/tr.feat"
