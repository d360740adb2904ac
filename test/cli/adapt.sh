#!/bin/sh
# Per-speaker normalisation (ser-train --norm speaker) and adaptation while
# labelling (ser-classify --adapt, --speakers, --adapt-stats,
# --save-adapt-stats, --live --adapt) on synthetic RAVDESS-named fixtures.
. "$SER_ROOT/test/cli/lib.sh"
need_sox adapt
D=$T/wav; mkdir -p "$D"
# two "emotions" (01 neutral: sine, 05 angry: square + pink noise), four actors,
# each with its own level and tone (a recording chain of its own)
for a in 01 02 03 04; do for s in 01 02; do for r in 01 02; do
	f=$((150 + ${a#0} * 20 + ${s#0} * 7 + ${r#0} * 3)) v=0.$((${a#0} + 1))
	sox -n -r 16000 -b 16 -c 1 "$D/03-01-01-01-$s-$r-$a.wav" synth 1.0 sine $f vol $v
	sox -R -n -r 16000 -b 16 -c 1 "$D/03-01-05-01-$s-$r-$a.wav" synth 1.0 square $((f * 3)) vol $v synth 1.0 pinknoise mix
done; done; done
ser-mfcc "$D"/*.wav > "$T/f.feat" || notok "adapt: ser-mfcc fixtures"
ARCH="conv:16:5 relu stats dense"
train() { ser-train -q --arch "$ARCH" --classes neutral,angry --epochs 30 --lr 0.01 --batch 8 --crop 50 -j 2 "$@"; }

status 0 "adapt: train --norm speaker" train -o "$T/spk.ser" --norm speaker --val-speakers ravdess-04 \
	--patience 0 --log "$T/spk.tsv" "$T/f.feat"
check "adapt: the record says norm speaker" sh -c "ser-classify -m '$T/spk.ser' --info | grep -q ', norm speaker, '"
best=$(awk -F'\t' 'NR > 1 && $6 > b { b = $6 } END { print b + 0 }' "$T/spk.tsv")
check "adapt: validation (its speaker's own statistics) UAR >= 0.9 (got $best)" awk "BEGIN { exit !($best >= 0.9) }"
cp "$T/spk.ser" "$T/spk1.ser"
train -o "$T/spk.ser" --norm speaker --val-speakers ravdess-04 --patience 0 --log "$T/spk.tsv" "$T/f.feat" 2>/dev/null
check "adapt: --norm speaker training is reproducible" cmp -s "$T/spk.ser" "$T/spk1.ser"
train -o "$T/glob.ser" --norm global --val-speakers ravdess-04 --patience 0 "$T/f.feat" 2>/dev/null
check "adapt: --norm speaker trains another model than --norm global" sh -c "! cmp -s '$T/spk.ser' '$T/glob.ser'"
status 1 "adapt: --norm with an unknown name -> 1" ser-train -o "$T/z.ser" --norm speakers "$T/f.feat"

M=$T/spk.ser
ls "$D"/*.wav > "$T/list"
C() { ser-classify -m "$M" -P --no-vad "$@"; }
xargs ser-classify -m "$M" -P --no-vad < "$T/list" > "$T/none.tsv"
xargs ser-classify -m "$M" -P --no-vad --adapt < "$T/list" > "$T/run.tsv"
xargs ser-classify -m "$M" -P --no-vad --adapt=speaker < "$T/list" > "$T/spk.tsv"
check "adapt: one line per input with --adapt" test "$(wc -l < "$T/run.tsv")" -eq 32
check "adapt: --adapt=speaker, one line per input" test "$(wc -l < "$T/spk.tsv")" -eq 32
check "adapt: --adapt changes the probabilities" sh -c "! cmp -s '$T/none.tsv' '$T/run.tsv'"
check "adapt: --adapt=speaker differs from --adapt=run" sh -c "! cmp -s '$T/spk.tsv' '$T/run.tsv'"
right=$(awk -F'\t' '{ k = $1; sub(/.*\//, "", k); split(k, p, "-"); e = p[3]; if ((e == "01" && $2 == "neutral") || (e == "05" && $2 == "angry")) n++ } END { print n + 0 }' "$T/spk.tsv")
check "adapt: --adapt=speaker labels >= 30 of 32 ($right)" test "$right" -ge 30
sort -r "$T/list" | xargs ser-classify -m "$M" -P --no-vad --adapt | sort > "$T/run.rev"
check "adapt: --adapt does not depend on the order of the inputs" sh -c "sort '$T/run.tsv' | cmp -s - '$T/run.rev'"

# statistics made in two pieces, joined in the other order, used by xargs in pieces
head -12 "$T/list" | xargs ser-classify -m "$M" --no-vad --save-adapt-stats "$T/a.st" > "$T/sv.out"
tail -n +13 "$T/list" | xargs ser-classify -m "$M" --no-vad --save-adapt-stats "$T/b.st"
check "adapt: --save-adapt-stats prints no labels" test -f "$T/sv.out" -a ! -s "$T/sv.out"
check "adapt: the statistics file starts with its header" sh -c "head -1 '$T/a.st' | grep -q '^# ser adaptation statistics 1 dim '"
check "adapt: a row per input" test "$(grep -vc '^#' "$T/a.st")" -eq 12
cat "$T/b.st" "$T/a.st" > "$T/ab.st"
xargs -n 5 ser-classify -m "$M" -P --no-vad --adapt --adapt-stats "$T/ab.st" < "$T/list" > "$T/run.x"
check "adapt: joined statistics, inputs split by xargs -n 5: the same lines as one run" cmp -s "$T/run.tsv" "$T/run.x"
xargs -n 7 ser-classify -m "$M" -P --no-vad --adapt=speaker --adapt-stats "$T/ab.st" < "$T/list" > "$T/spk.x"
check "adapt: the same for --adapt=speaker" cmp -s "$T/spk.tsv" "$T/spk.x"

# speakers from a map, for names that follow no corpus convention
mkdir -p "$T/plain"; : > "$T/map"
i=0; while IFS= read -r f; do i=$((i + 1)); cp "$f" "$T/plain/take$i.wav"
	printf 'take%d.wav\tspk-%s\n' "$i" "$(basename "$f" .wav | cut -d- -f7)" >> "$T/map"; done < "$T/list"
ls "$T/plain"/*.wav | sort -V > "$T/plist"
xargs ser-classify -m "$M" -P --no-vad --adapt=speaker --speakers "$T/map" < "$T/plist" | cut -f2- > "$T/map.tsv"
cut -f2- "$T/spk.tsv" > "$T/spk.cut"
check "adapt: --speakers MAP gives what the file names gave" cmp -s "$T/map.tsv" "$T/spk.cut"
status 2 "adapt: --adapt=speaker on a name without speaker -> 2" ser-classify -m "$M" --no-vad --adapt=speaker "$T/plain/take1.wav" "$D/03-01-01-01-01-01-01.wav"
check "adapt: the message says how (--speakers)" grep -q "take1.wav: .*--speakers" "$T/err"
check "adapt: the other input is still labelled" test "$(wc -l < "$T/out")" -eq 1

# refusals
status 1 "adapt: --adapt with stdin -> 1" sh -c "ser-classify -m '$M' --adapt < '$D/03-01-01-01-01-01-01.wav'"
check "adapt: the message says the inputs are read twice" grep -q "twice" "$T/err"
mkfifo "$T/fifo"
status 1 "adapt: --adapt with a FIFO -> 1" ser-classify -m "$M" --adapt "$T/fifo"
status 1 "adapt: --adapt-stats without --adapt -> 1" ser-classify -m "$M" --adapt-stats "$T/ab.st" "$D/03-01-01-01-01-01-01.wav"
status 1 "adapt: --speakers without --adapt=speaker -> 1" ser-classify -m "$M" --adapt --speakers "$T/map" "$D/03-01-01-01-01-01-01.wav"
status 1 "adapt: --adapt=nobody -> 1" ser-classify -m "$M" --adapt=nobody "$D/03-01-01-01-01-01-01.wav"
status 1 "adapt: --adapt-tau without --live -> 1" ser-classify -m "$M" --adapt --adapt-tau 5 "$D/03-01-01-01-01-01-01.wav"
status 1 "adapt: --adapt-tau 60 (the default value) without --live -> 1" ser-classify -m "$M" --adapt --adapt-tau 60 "$D/03-01-01-01-01-01-01.wav"
status 1 "adapt: --live --adapt=speaker -> 1" ser-classify -m "$M" --live --adapt=speaker
status 1 "adapt: --save-adapt-stats with --adapt -> 1" ser-classify -m "$M" --adapt --save-adapt-stats "$T/x.st" "$D/03-01-01-01-01-01-01.wav"
ser-mfcc --preset librosa "$D"/*.wav > "$T/lib.feat"
train -o "$T/lib.ser" --norm speaker --epochs 2 "$T/lib.feat" 2>/dev/null
status 2 "adapt: statistics of another model's input -> 2" ser-classify -m "$T/lib.ser" --adapt --adapt-stats "$T/ab.st" "$D/03-01-01-01-01-01-01.wav"
check "adapt: the message says to make them with this model" grep -q "make them with this model" "$T/err"
printf '# ser adaptation statistics 1 dim 40 fingerprint 00 idct 1 trim 0\nx\t-\t1\t1\n' > "$T/bad.st"
status 2 "adapt: damaged statistics -> 2" ser-classify -m "$M" --adapt --adapt-stats "$T/bad.st" "$D/03-01-01-01-01-01-01.wav"
cat "$T/a.st" "$T/a.st" > "$T/aa.st"
status 2 "adapt: an utterance twice in the statistics -> 2" ser-classify -m "$M" --adapt --adapt-stats "$T/aa.st" "$D/03-01-01-01-01-01-01.wav"
check "adapt: ... says twice" grep -q "twice" "$T/err"
ser-mfcc --pool mean "$D"/*.wav > "$T/pool.feat"
ser-train -q --arch seed --classes neutral,angry --epochs 2 -o "$T/pool.ser" "$T/pool.feat" 2>/dev/null
status 1 "adapt: a model that normalises nothing -> 1" ser-classify -m "$T/pool.ser" --adapt "$D/03-01-01-01-01-01-01.wav"
status 1 "adapt: --save-adapt-stats into a folder -> 1" ser-classify -m "$M" --save-adapt-stats "$T" "$D/03-01-01-01-01-01-01.wav"
echo keep > "$T/keep.st"
status 2 "adapt: --save-adapt-stats with an unreadable input -> 2" ser-classify -m "$M" --no-vad --save-adapt-stats "$T/keep.st" "$T/nothere.wav" "$D/03-01-01-01-01-01-01.wav"
check "adapt: ... the statistics of the others are written" test "$(grep -vc '^#' "$T/keep.st")" -eq 1

# the default model (per-utterance mean, global spread) adapts its spread
status 0 "adapt: --adapt with a model of per-utterance normalisation" ser-classify -m "$T/glob.ser" --no-vad --adapt "$D/03-01-01-01-01-01-01.wav" "$D/03-01-05-01-01-01-01.wav"

# live: running statistics; with a short time constant they move the probabilities
sox $(head -8 "$T/list") "$T/live.wav"
ser-capture "$T/live.wav" | ser-mfcc | ser-classify -m "$M" --live --no-vad -P --window 0.5 --hop 0.5 > "$T/l0.tsv" 2>/dev/null
status 0 "adapt: --live --adapt --adapt-tau 1" sh -c "ser-capture '$T/live.wav' | ser-mfcc | ser-classify -m '$M' --live --no-vad -P --window 0.5 --hop 0.5 --adapt --adapt-tau 1"
cp "$T/out" "$T/l1.tsv"
check "adapt: live lines as without --adapt ($(wc -l < "$T/l1.tsv"))" test "$(wc -l < "$T/l1.tsv")" -eq "$(wc -l < "$T/l0.tsv")" -a -s "$T/l1.tsv"
check "adapt: live --adapt moves the probabilities" sh -c "! cmp -s '$T/l0.tsv' '$T/l1.tsv'"
check "adapt: --info names the per-speaker normalisation" sh -c "ser-classify -m '$M' --info | grep -q '^normalisation: per speaker'"
# to stdout: xargs runs one after another join their rows
xargs -n 5 ser-classify -m "$M" --no-vad --save-adapt-stats - < "$T/list" > "$T/x.st"
check "adapt: --save-adapt-stats - under xargs -n 5: all 32 rows" test "$(grep -vc '^#' "$T/x.st")" -eq 32
xargs ser-classify -m "$M" -P --no-vad --adapt --adapt-stats "$T/x.st" < "$T/list" > "$T/run.o"
check "adapt: ... and the same labels as one run" cmp -s "$T/run.tsv" "$T/run.o"
# fine-tuning a per-speaker model keeps its normalisation, with the new data's speakers
status 0 "adapt: --init from a --norm speaker model" ser-train -q --init "$M" --epochs 2 -j 2 -o "$T/ft.ser" "$T/f.feat"
check "adapt: the tuned model normalises per speaker" sh -c "ser-classify -m '$T/ft.ser' --info | grep -q '^normalisation: per speaker'"
# --norm speaker-mean: the speaker's mean, the training spread
status 0 "adapt: train --norm speaker-mean" train -o "$T/sm.ser" --norm speaker-mean --epochs 3 "$T/f.feat"
xargs ser-classify -m "$T/sm.ser" -P --no-vad < "$T/list" > "$T/sm0.tsv"
xargs ser-classify -m "$T/sm.ser" -P --no-vad --adapt=speaker < "$T/list" > "$T/sm1.tsv"
check "adapt: --adapt=speaker moves a speaker-mean model's probabilities" sh -c "! cmp -s '$T/sm0.tsv' '$T/sm1.tsv'"

# --norm level / speaker-level: each crop's level taken away, so a recording
# 20 dB quieter (float samples: the same noise floor) gets the same
# probabilities to rounding; a globally normalised model moves with the level
Q=$T/quiet; mkdir -p "$Q"
for f in "$D"/*.wav; do sox "$f" -e float -b 32 "$Q/${f##*/}" gain -20; done
ls "$Q"/*.wav > "$T/qlist"
# worst probability difference of two -P outputs, the same files in order
pdiff() { paste "$1" "$2" | awk -F'\t' '{ n = NF / 2; for (i = 3; i <= n; i++) { d = $i - $(i + n); if (d < 0) d = -d; if (d > w) w = d } } END { print w + 0 }'; }
train -o "$T/lv.ser" --norm level --epochs 10 "$T/f.feat" 2>/dev/null
check "adapt: the record says norm level" sh -c "ser-classify -m '$T/lv.ser' --info | grep -q ', norm level, '"
check "adapt: --info names the level normalisation" sh -c "ser-classify -m '$T/lv.ser' --info | grep -q '^normalisation: training mean and spread, each window.s level taken away'"
xargs ser-classify -m "$T/lv.ser" -P --no-vad < "$T/list" > "$T/lv0.tsv"
xargs ser-classify -m "$T/lv.ser" -P --no-vad < "$T/qlist" > "$T/lv1.tsv"
w=$(pdiff "$T/lv0.tsv" "$T/lv1.tsv")
check "adapt: --norm level: 20 dB quieter, probabilities within 0.001 (worst $w)" awk "BEGIN { exit !($w < 0.001) }"
cut -f2 "$T/lv0.tsv" > "$T/lv.l0"; cut -f2 "$T/lv1.tsv" > "$T/lv.l1"
check "adapt: --norm level: 20 dB quieter, the same labels" cmp -s "$T/lv.l0" "$T/lv.l1"
xargs ser-classify -m "$T/glob.ser" -P --no-vad < "$T/list" > "$T/g0.tsv"
xargs ser-classify -m "$T/glob.ser" -P --no-vad < "$T/qlist" > "$T/g1.tsv"
g=$(pdiff "$T/g0.tsv" "$T/g1.tsv")
check "adapt: --norm global moves more with the level ($g against $w)" awk "BEGIN { exit !($g > 0.02 && $g > 20 * $w) }"
status 0 "adapt: train --norm speaker-level" train -o "$T/sl.ser" --norm speaker-level --epochs 10 "$T/f.feat"
xargs ser-classify -m "$T/sl.ser" -P --no-vad < "$T/list" > "$T/sl0.tsv"
xargs ser-classify -m "$T/sl.ser" -P --no-vad < "$T/qlist" > "$T/sl1.tsv"
w=$(pdiff "$T/sl0.tsv" "$T/sl1.tsv")
check "adapt: --norm speaker-level: 20 dB quieter, probabilities within 0.001 (worst $w)" awk "BEGIN { exit !($w < 0.001) }"
xargs ser-classify -m "$T/sl.ser" -P --no-vad --adapt=speaker < "$T/list" > "$T/sl2.tsv"
check "adapt: --adapt=speaker moves a speaker-level model's probabilities" sh -c "! cmp -s '$T/sl0.tsv' '$T/sl2.tsv'"
ser-mfcc --pool mean "$D"/*.wav > "$T/pool.feat" 2>/dev/null
status 1 "adapt: --norm level on pooled vectors -> 1" ser-train -q -o "$T/z.ser" --norm level "$T/pool.feat"
status 1 "adapt: --norm speaker-level on pooled vectors -> 1" ser-train -q -o "$T/z.ser" --norm speaker-level "$T/pool.feat"
