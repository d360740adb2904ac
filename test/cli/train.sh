#!/bin/sh
# ser-train through real pipes on synthetic RAVDESS-named fixtures (sox).
. "$SER_ROOT/test/cli/lib.sh"
command -v sox >/dev/null 2>&1 || { skip "train: sox not installed"; exit 0; }
D=$T/wav; mkdir -p "$D"
# two "emotions" (01 neutral: sine, 05 angry: square + pink noise), four actors
for a in 01 02 03 04; do for s in 01 02; do for r in 01 02; do
	f=$((150 + ${a#0} * 20 + ${s#0} * 7 + ${r#0} * 3))
	sox -n -r 16000 -b 16 -c 1 "$D/03-01-01-01-$s-$r-$a.wav" synth 1.0 sine $f vol 0.3
	sox -n -r 16000 -b 16 -c 1 "$D/03-01-05-01-$s-$r-$a.wav" synth 1.0 square $((f * 3)) vol 0.3 synth 1.0 pinknoise mix
done; done; done
ser-mfcc "$D"/*.wav > "$T/f.feat" || notok "train: ser-mfcc fixtures"
ARCH="conv:16:5 relu stats dense"
train() { ser-train -q --arch "$ARCH" --classes neutral,angry --epochs 40 --lr 0.01 --batch 8 --crop 50 -j 2 "$@"; }

status 0 "train: short run exits 0" train -o "$T/m.ser" --val-speakers ravdess-04 --patience 0 --log "$T/log.tsv" "$T/f.feat"
check "train: log header" sh -c "head -1 '$T/log.tsv' | grep -qx 'epoch	train_loss	train_acc	val_loss	val_acc	val_uar	lr	seconds'"
check "train: log has 40 epoch lines" test "$(wc -l < "$T/log.tsv")" -eq 41
best=$(awk -F'\t' 'NR > 1 && $6 > b { b = $6 } END { print b + 0 }' "$T/log.tsv")
check "train: held-out speaker val UAR >= 0.9 (got $best)" awk "BEGIN { exit !($best >= 0.9) }"
# (--no-vad: the fixtures are steady tones, which the voice-activity rule calls silence)
ser-classify -m "$T/m.ser" --no-vad "$D"/*-04.wav > "$T/lab" 2>/dev/null
right=$(awk -F'\t' '{ k = $1; sub(/.*\//, "", k); split(k, p, "-"); e = p[3]; if ((e == "01" && $2 == "neutral") || (e == "05" && $2 == "angry")) n++ } END { print n + 0 }' "$T/lab")
check "train: saved model labels >= 7 of 8 held-out files ($right)" test "$right" -ge 7
check "train: record names the validation speaker" sh -c "ser-classify -m '$T/m.ser' --info | grep -q '^validation speakers: ravdess-04'"

# utterance windows: the crop (50 frames) every crop/4, unless --whole-utterance / --whole
check "train: --info shows the utterance windows" sh -c "ser-classify -m '$T/m.ser' --info | grep -qx 'utterance: mean over windows of 50 frames (0.5 s) every 12 frames (0.12 s)'"
f1="$D/03-01-05-01-01-01-04.wav"
ser-classify -m "$T/m.ser" -p --no-vad "$f1" > "$T/utt.tsv" 2>/dev/null
ser-classify -m "$T/m.ser" -p --no-vad --window 0.5 --hop 0.12 "$f1" > "$T/win.tsv" 2>/dev/null
ser-classify -m "$T/m.ser" -p --no-vad --whole "$f1" > "$T/whole.tsv" 2>/dev/null
worst=$(awk -F'\t' 'FNR == NR { for (j = 4; j <= NF; j++) u[j - 4] = $j; nc = NF - 3; next }
	{ n++; for (j = 6; j <= NF; j++) s[j - 6] += $j }
	END { w = 0; for (j = 0; j < nc; j++) { d = s[j] / n - u[j]; if (d < 0) d = -d; if (d > w) w = d } print (n > 1 ? w : 9) }' "$T/utt.tsv" "$T/win.tsv")
check "train: utterance probabilities = mean over --window 0.5 --hop 0.12 lines (worst $worst)" awk "BEGIN { exit !($worst <= 0.0002) }"
check "train: --whole gives other probabilities" sh -c "! cmp -s '$T/utt.tsv' '$T/whole.tsv'"
train -o "$T/wh.ser" --epochs 2 --whole-utterance "$T/f.feat" 2>/dev/null
check "train: --whole-utterance stores 'utterance: whole'" sh -c "ser-classify -m '$T/wh.ser' --info | grep -qx 'utterance: whole'"

# voice-activity trimming: stored in the model (ser-classify --info shows it), applied by
# ser-classify; refused for pooled features (usage) and CMVN features (no energy)
status 0 "train: --trim-db 30" train -o "$T/trim.ser" --epochs 2 --trim-db 30 "$T/f.feat"
check "train: --info shows 'trim: 30 dB'" sh -c "ser-classify -m '$T/trim.ser' --info | grep -qx 'trim: 30 dB'"
check "train: record has the trim" sh -c "ser-classify -m '$T/trim.ser' --info | grep -q '^input: frames, trim 30 dB, '"
check "train: --trim-db 0 gives 'trim: none'" sh -c "ser-classify -m '$T/m.ser' --info | grep -qx 'trim: none'"
sox "$D/03-01-05-01-01-01-04.wav" "$T/pad.wav" pad 0.7 0.5
status 0 "train: trimming model labels a file padded with silence" ser-classify -m "$T/trim.ser" "$T/pad.wav"
check "train: one label line for it" test "$(grep -c 'pad.wav	' "$T/out")" -eq 1
status 0 "train: trimming model, windows over the padded file" ser-classify -m "$T/trim.ser" --window 0.5 --hop 0.25 "$T/pad.wav"
ser-mfcc --cmvn utterance "$D"/*.wav > "$T/cmvn.feat"
status 2 "train: --trim-db on CMVN features -> 2" train -o "$T/c.ser" --epochs 1 --trim-db 30 "$T/cmvn.feat"
check "train: CMVN refusal names it" grep -q "CMVN" "$T/err"
status 1 "train: bad --trim-db -> 1" ser-train -o "$T/z.ser" --trim-db -3 "$T/f.feat"

# feature-domain augmentation: in the record, deterministic, changes the model, still
# learns; refused for bad specs (usage), pooled features (usage), and frames that cannot
# be taken back to filter powers (data)
AUG=noise:0.7:0:20,band:0.5,gain:0.5:30
status 0 "train: --augment $AUG" train -o "$T/aug.ser" --augment "$AUG" --val-speakers ravdess-04 --patience 0 --log "$T/aug.tsv" "$T/f.feat"
check "train: record has the augmentation" sh -c "ser-classify -m '$T/aug.ser' --info | grep -q '^input: frames, trim 0 dB, norm utt, crop 50, augment $AUG, '"
check "train: record says augment none without it" sh -c "ser-classify -m '$T/m.ser' --info | grep -q ', augment none, '"
best=$(awk -F'\t' 'NR > 1 && $6 > b { b = $6 } END { print b + 0 }' "$T/aug.tsv")
check "train: augmented run still learns (val UAR $best >= 0.9)" awk "BEGIN { exit !($best >= 0.9) }"
mkdir -p "$T/a1" "$T/a2"
for d in a1 a2; do (cd "$T/$d" && train -o m.ser --augment "$AUG" --epochs 5 ../f.feat) 2>/dev/null; done
check "train: --augment with the same seed gives the same model" cmp -s "$T/a1/m.ser" "$T/a2/m.ser"
(cd "$T/a2" && train -o m.ser --augment "$AUG" --epochs 5 --seed 2 ../f.feat) 2>/dev/null
check "train: --augment with another seed gives another model" sh -c "! cmp -s '$T/a1/m.ser' '$T/a2/m.ser'"
status 1 "train: bad --augment -> 1" ser-train -o "$T/z.ser" --augment noise:2:0:10 "$T/f.feat"
check "train: bad --augment names the form" grep -q "noise:P:LO:HI" "$T/err"
ser-mfcc --pool mean "$D"/*.wav > "$T/pool.feat"
# mixup: in the record, deterministic, still learns; bad values refused
status 0 "train: --mixup 0.4" train -o "$T/mix.ser" --mixup 0.4 --val-speakers ravdess-04 --patience 0 --log "$T/mix.tsv" "$T/f.feat"
check "train: record has mixup 0.4" sh -c "ser-classify -m '$T/mix.ser' --info | grep -q ', mixup 0.4, '"
best=$(awk -F'\t' 'NR > 1 && $6 > b { b = $6 } END { print b + 0 }' "$T/mix.tsv")
check "train: mixup run still learns (val UAR $best >= 0.9)" awk "BEGIN { exit !($best >= 0.9) }"
for d in a1 a2; do (cd "$T/$d" && train -o x.ser --mixup 0.4 --epochs 5 ../f.feat) 2>/dev/null; done
check "train: --mixup with the same seed gives the same model" cmp -s "$T/a1/x.ser" "$T/a2/x.ser"
check "train: --mixup changes the model" sh -c "! cmp -s '$T/a1/x.ser' '$T/a1/m.ser'"
status 1 "train: --mixup -1 -> 1" ser-train -o "$T/z.ser" --mixup -1 "$T/f.feat"
status 0 "train: --mixup on pooled features" train -o "$T/pm.ser" --arch "conv:4:3 relu stats dense" --epochs 2 --mixup 0.2 "$T/pool.feat"
status 1 "train: --augment on pooled features -> 1" train -o "$T/z.ser" --augment band:1 "$T/pool.feat"
ser-mfcc --n-ceps 13 "$D"/*.wav > "$T/c13.feat"
status 2 "train: --augment on 13 of 40 cepstra -> 2" train -o "$T/z.ser" --augment band:1 "$T/c13.feat"
check "train: the refusal names n-ceps" grep -q "n-ceps below n-mels" "$T/err"
ser-mfcc --dct none "$D"/*.wav > "$T/lm.feat"
# a 2D net on cepstra: the inverse DCT inside the model (auto), in the record; refused where
# the cepstra cannot be inverted; a warning when it is off
A2D="conv2d:4:3 relu maxpool2d:2 conv:4:3 stats dense"
status 0 "train: 2D net on MFCC frames" ser-train -q -o "$T/c2.ser" --arch "$A2D" --classes neutral,angry --epochs 2 --crop 50 "$T/f.feat"
check "train: record says inverse DCT" sh -c "ser-classify -m '$T/c2.ser' --info | grep -q '^input: frames (inverse DCT to log mel), '"
status 0 "train: ser-mfcc | ser-classify with that model" sh -c "ser-mfcc '$D/03-01-05-01-01-01-04.wav' | ser-classify -m '$T/c2.ser'"
status 0 "train: 2D net on log mel frames: no inverse DCT" ser-train -q -o "$T/c2l.ser" --arch "$A2D" --classes neutral,angry --epochs 2 --crop 50 "$T/lm.feat"
check "train: record without it" sh -c "ser-classify -m '$T/c2l.ser' --info | grep -q '^input: frames, '"
status 0 "train: --idct off on cepstra warns" ser-train -q -o "$T/c2o.ser" --arch "$A2D" --idct off --classes neutral,angry --epochs 1 --crop 50 "$T/f.feat"
check "train: the warning names --idct" grep -q "use --idct on" "$T/err"
status 2 "train: --idct on with 13 of 40 cepstra -> 2" train -o "$T/z.ser" --idct on "$T/c13.feat"
status 1 "train: --idct maybe -> 1" ser-train -o "$T/z.ser" --idct maybe "$T/f.feat"
status 0 "train: --augment on log mel frames" train -o "$T/lm.ser" --epochs 2 --augment "$AUG" "$T/lm.feat"

# determinism: same command in two directories -> identical files
mkdir -p "$T/r1" "$T/r2"
(cd "$T/r1" && train -o m.ser --val-speakers ravdess-04 ../f.feat) 2>/dev/null
(cd "$T/r2" && train -o m.ser --val-speakers ravdess-04 ../f.feat) 2>/dev/null
check "train: same seed and threads give identical model files" cmp -s "$T/r1/m.ser" "$T/r2/m.ser"
(cd "$T/r2" && train -o m.ser --val-speakers ravdess-04 --seed 2 ../f.feat) 2>/dev/null
check "train: another seed gives another model" sh -c "! cmp -s '$T/r1/m.ser' '$T/r2/m.ser'"
# stdin works, without validation (last model)
status 0 "train: features on stdin, no validation" sh -c "cat '$T/f.feat' | ser-train -q --arch '$ARCH' --classes neutral,angry --epochs 2 --crop 50 -o '$T/s.ser'"

# unlabelled utterances: warning with a count
cp "$D/03-01-01-01-01-01-01.wav" "$T/nolabel.wav"
ser-mfcc "$T/nolabel.wav" > "$T/nl.feat"
status 0 "train: unlabelled utterance skipped" train -o "$T/u.ser" --epochs 1 "$T/f.feat" "$T/nl.feat"
check "train: warning counts the skipped utterance" grep -q "skipped 1 utterances: 1 without a label" "$T/err"
status 2 "train: only unlabelled input -> 2" train -o "$T/e.ser" "$T/nl.feat"
check "train: no model written for an empty set" test ! -e "$T/e.ser"
# mixed settings
ser-mfcc --n-mels 30 --n-ceps 30 "$D/03-01-01-01-01-01-01.wav" > "$T/other.feat"
status 2 "train: mixed feature settings -> 2" train -o "$T/x.ser" "$T/f.feat" "$T/other.feat"
check "train: mixed settings message names the key" grep -q "n-mels" "$T/err"
# NaN in the features (text twin would be nicer; patch one float of the binary stream)
python3 - "$T/f.feat" "$T/nan.feat" <<'PY' 2>/dev/null
import sys, struct
b = bytearray(open(sys.argv[1], 'rb').read())
i = len(b) // 2; i -= i % 4
b[i:i+4] = struct.pack('<f', float('nan'))
open(sys.argv[2], 'wb').write(b)
PY
if [ -s "$T/nan.feat" ]; then
	status 2 "train: NaN in features -> 2" train -o "$T/n.ser" "$T/nan.feat"
else
	skip "train: NaN test needs python3"
fi
# seed arch refuses frame features with the hint
status 2 "train: --arch seed on frames -> 2" ser-train -q --arch seed -o "$T/sd.ser" "$T/f.feat"
check "train: seed hint names the pooled preset" grep -q "preset librosa --pool mean" "$T/err"
# seed arch on pooled features runs
ser-mfcc --preset librosa --pool mean "$D"/*.wav > "$T/mean.feat" 2>/dev/null
status 0 "train: --arch seed on pooled features" ser-train -q --arch seed --classes neutral,angry --epochs 3 -o "$T/seed.ser" "$T/mean.feat"
status 1 "train: --trim-db on pooled features -> 1" ser-train -q --arch seed --trim-db 30 -o "$T/st.ser" "$T/mean.feat"
# usage errors
status 1 "train: no -o -> 1" ser-train "$T/f.feat"
status 1 "train: bad --epochs -> 1" ser-train -o "$T/z.ser" --epochs 0 "$T/f.feat"
status 1 "train: bad --specaug -> 1" ser-train -o "$T/z.ser" --specaug 1:2 "$T/f.feat"
status 2 "train: truncated stream -> 2" sh -c "head -c 3000 '$T/f.feat' | ser-train -q -o '$T/t.ser' --classes neutral,angry"

# SIGINT mid-training: previous model intact until a complete new one replaces it
cp "$T/m.ser" "$T/prev.ser"
cat "$T/f.feat" "$T/f.feat" "$T/f.feat" "$T/f.feat" > "$T/big.feat"
ser-train -q --arch "$ARCH" --classes neutral,angry --epochs 100000 --crop 50 -j 1 \
	--val-speakers ravdess-04 -o "$T/prev.ser" "$T/big.feat" 2>"$T/int.err" &
pid=$!
i=0; while [ $i -lt 100 ] && cmp -s "$T/m.ser" "$T/prev.ser"; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid; wait $pid; rc=$?
check "train: SIGINT exits 0 (got $rc)" test $rc -eq 0
check "train: SIGINT message" grep -q "interrupted" "$T/int.err"
check "train: model after SIGINT loads" sh -c "ser-classify -m '$T/prev.ser' --info | grep -q '(interrupted)'"
check "train: no temporary files left" sh -c "! ls '$T' | grep -q 'prev.ser.tmp'"

# --help lists only options the man page documents
for o in $(ser-train --help | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$SER_ROOT/man/ser-train.1" || notok "train: $o in man page"
done
ok "train: --help options checked against man/ser-train.1"
