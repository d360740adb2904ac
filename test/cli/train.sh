#!/bin/sh
# ser-train through real pipes on synthetic RAVDESS-named fixtures (sox).
. "$SER_ROOT/test/cli/lib.sh"
need_sox train
D=$T/wav; mkdir -p "$D"
# two "emotions" (01 neutral: sine, 05 angry: square + pink noise), four actors
for a in 01 02 03 04; do for s in 01 02; do for r in 01 02; do
	f=$((150 + ${a#0} * 20 + ${s#0} * 7 + ${r#0} * 3))
	sox -n -r 16000 -b 16 -c 1 "$D/03-01-01-01-$s-$r-$a.wav" synth 1.0 sine $f vol 0.3
	sox -R -n -r 16000 -b 16 -c 1 "$D/03-01-05-01-$s-$r-$a.wav" synth 1.0 square $((f * 3)) vol 0.3 synth 1.0 pinknoise mix
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
ser-classify -m "$T/m.ser" -P --no-vad "$f1" > "$T/utt.tsv" 2>/dev/null
ser-classify -m "$T/m.ser" -P --no-vad --window 0.5 --hop 0.12 "$f1" > "$T/win.tsv" 2>/dev/null
ser-classify -m "$T/m.ser" -P --no-vad --whole "$f1" > "$T/whole.tsv" 2>/dev/null
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
# pooled features: no crop (train() gives --crop 50, a usage error here)
trainp() { ser-train -q --classes neutral,angry --lr 0.01 --batch 8 -j 2 "$@"; }
status 0 "train: --mixup on pooled features" trainp -o "$T/pm.ser" --arch "conv:4:3 relu stats dense" --epochs 2 --mixup 0.2 "$T/pool.feat"
status 1 "train: --augment on pooled features -> 1" trainp -o "$T/z.ser" --arch "$ARCH" --augment band:1 "$T/pool.feat"
# options that would be ignored are usage errors
status 1 "train: --crop on pooled features -> 1" train -o "$T/z.ser" --epochs 2 "$T/pool.feat"
check "train: --crop on pooled features: says why" grep -q "^ser-train: --crop needs frame features" "$T/err"
status 1 "train: --whole-utterance on pooled features -> 1" trainp -o "$T/z.ser" --arch "$ARCH" --epochs 2 --whole-utterance "$T/pool.feat"
status 1 "train: --patience without --val-speakers -> 1" train -o "$T/z.ser" --epochs 2 --patience 5 "$T/f.feat"
status 0 "train: --patience 0 without --val-speakers (never stops: as without)" train -o "$T/z.ser" --epochs 2 --patience 0 "$T/f.feat"
status 1 "train: --weight-decay with --optim adam -> 1" train -o "$T/z.ser" --epochs 2 --optim adam --weight-decay 0.01 "$T/f.feat"
status 1 "train: --weight-decay with the seed arch's rmsprop -> 1" ser-train -q --arch seed --weight-decay 0.01 -o "$T/z.ser" "$T/pool.feat"
status 0 "train: --weight-decay with adamw applies" train -o "$T/z.ser" --epochs 2 --optim adamw --weight-decay 0.01 "$T/f.feat"
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

# --loss-classes, --class-weights corpus: a second corpus (nEMO names) with angry only
for n in 1 2 3 4; do sox -n -r 16000 -b 16 -c 1 "$D/EB0_anger_$n.wav" synth 1.0 square 700 vol 0.3 synth 1.0 pinknoise mix; done
ser-mfcc "$D"/EB0_*.wav > "$T/nemo.feat" 2>/dev/null
status 0 "train: two corpora, loss over each corpus's classes" train -o "$T/lc.ser" --epochs 2 "$T/f.feat" "$T/nemo.feat"
check "train: the record lists each corpus's classes" sh -c \
	"ser-classify -m '$T/lc.ser' --info | grep -qx 'loss classes: per corpus: ravdess=neutral,angry nemo=angry'"
check "train: a one-class corpus is warned about" grep -q "corpus nemo has utterances of one class only" "$T/err"
status 0 "train: --loss-classes all --class-weights corpus" train -o "$T/la.ser" --epochs 2 \
	--loss-classes all --class-weights corpus "$T/f.feat" "$T/nemo.feat"
check "train: --loss-classes all: no per-corpus line, no warning" sh -c \
	"! ser-classify -m '$T/la.ser' --info | grep -q '^loss classes' && ! grep -q 'one class only' '$T/err'"
check "train: --class-weights corpus in the record" sh -c "ser-classify -m '$T/la.ser' --info | grep -q 'class weights corpus'"
status 1 "train: bad --loss-classes -> 1" ser-train -o "$T/z.ser" --loss-classes some "$T/f.feat"
# --batch-by: each batch from one corpus; --batch-by any is the default, bit for bit
status 0 "train: --batch-by corpus" train -o "$T/bc.ser" --epochs 2 --batch-by corpus "$T/f.feat" "$T/nemo.feat"
check "train: --batch-by corpus in the record" sh -c \
	"ser-classify -m '$T/bc.ser' --info | grep -qx 'batches: each from one corpus (--batch-by corpus)'"
train -o "$T/b0.ser" --epochs 2 "$T/f.feat" "$T/nemo.feat" 2>/dev/null
train -o "$T/ba.ser" --epochs 2 --batch-by any "$T/f.feat" "$T/nemo.feat" 2>/dev/null
ser-classify -m "$T/b0.ser" --no-vad -P "$D"/*.wav > "$T/b0.p" 2>/dev/null
ser-classify -m "$T/ba.ser" --no-vad -P "$D"/*.wav > "$T/ba.p" 2>/dev/null
ser-classify -m "$T/bc.ser" --no-vad -P "$D"/*.wav > "$T/bc.p" 2>/dev/null
check "train: --batch-by any = no option (probabilities identical), corpus differs" sh -c \
	"[ -s '$T/b0.p' ] && cmp -s '$T/b0.p' '$T/ba.p' && ! cmp -s '$T/b0.p' '$T/bc.p'"
status 1 "train: bad --batch-by -> 1" ser-train -o "$T/z.ser" --batch-by actor "$T/f.feat"
# --adversary: a corpus (or speaker) classifier off the stats layer, its
# gradient reversed into the net; weight 0 trains as without, bit for bit
status 0 "train: --adversary corpus:1" train -o "$T/adv.ser" --epochs 2 --adversary corpus:1 "$T/f.feat" "$T/nemo.feat"
check "train: --adversary in the record" sh -c "ser-classify -m '$T/adv.ser' --info | grep -qx \
'adversary: corpus, weight 1 (ramped up over the run), 64 hidden units, off the stats layer through a reversed gradient (--adversary corpus:1)'"
train -o "$T/adv0.ser" --epochs 2 --adversary corpus:0:16 "$T/f.feat" "$T/nemo.feat" 2>/dev/null
ser-classify -m "$T/adv.ser" --no-vad -P "$D"/*.wav > "$T/adv.p" 2>/dev/null
ser-classify -m "$T/adv0.ser" --no-vad -P "$D"/*.wav > "$T/adv0.p" 2>/dev/null
check "train: --adversary corpus:0 = no adversary (probabilities identical), corpus:1 differs" sh -c \
	"[ -s '$T/adv0.p' ] && cmp -s '$T/b0.p' '$T/adv0.p' && ! cmp -s '$T/b0.p' '$T/adv.p'"
ser-train --arch "$ARCH" --classes neutral,angry --epochs 2 --lr 0.01 --batch 8 --crop 50 -j 2 \
	--adversary speaker:2:8 -o "$T/advs.ser" "$T/f.feat" 2> "$T/advs.err"
check "train: --adversary speaker: progress names its loss and accuracy" sh -c \
	"[ -s '$T/advs.ser' ] && grep -Eq '^  adversary \(speaker\): loss [0-9.]+ acc [0-9.]+$' '$T/advs.err'"
status 2 "train: --adversary corpus with one corpus -> 2" train -o "$T/z.ser" --epochs 1 --adversary corpus:1 "$T/f.feat"
check "train: it says two corpora are needed" grep -q "needs two or more" "$T/err"
for bad in corpus speaker:x room:1 corpus:101 corpus:1:0 corpus:1:2:3; do
	status 1 "train: --adversary $bad -> 1" ser-train -o "$T/z.ser" --adversary "$bad" "$T/f.feat"
done
status 1 "train: --adversary with --mixup -> 1" ser-train -o "$T/z.ser" --adversary corpus:1 --mixup 0.2 "$T/f.feat"
status 1 "train: --adversary with --adapt-bn -> 1" ser-train -o "$T/z.ser" --init "$T/adv.ser" --adapt-bn --adversary corpus:1 "$T/f.feat"

# --init: fine-tuning from a model
status 0 "train: --init fine-tunes a model" ser-train -q --init "$T/m.ser" --epochs 2 -j 1 -o "$T/ft.ser" "$T/f.feat"
sum=$(tail -c 8 "$T/m.ser" | od -An -tx1 | tr -d ' \n' | sed 's/\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)/\8\7\6\5\4\3\2\1/')
check "train: --init record names the model and its checksum ($sum)" sh -c \
	"ser-classify -m '$T/ft.ser' --info | grep -qx 'init: $T/m.ser (checksum $sum), training all layers'"
check "train: --init keeps the architecture and classes" sh -c \
	"ser-classify -m '$T/ft.ser' --info | grep -qx 'arch: $ARCH' && ser-classify -m '$T/ft.ser' --info | grep -qx 'classes: neutral angry'"
# a new class set: the shared classes keep their rows; with --lr 0 and only the
# output layer training, their probabilities renormalised are the model's
# (in one pass: over windows the mean would be taken before renormalising)
status 0 "train: --init with a new class, output layer only, lr 0" ser-train -q --init "$T/m.ser" \
	--classes neutral,angry,calm --train-layers 1 --lr 0 --epochs 1 -o "$T/ft3.ser" "$T/f.feat"
check "train: --init new class set" sh -c "ser-classify -m '$T/ft3.ser' --info | grep -qx 'classes: neutral angry calm'"
ser-classify -m "$T/m.ser" --whole --probs "$D"/*-01.wav > "$T/p.orig" 2>/dev/null
ser-classify -m "$T/ft3.ser" --whole --only neutral,angry --probs "$D"/*-01.wav > "$T/p.ft" 2>/dev/null
worst=$(paste "$T/p.orig" "$T/p.ft" | awk -F'\t' '{ for (i = 4; i <= 5; i++) { d = $i - $(i + 5); if (d < 0) d = -d; if (d > w) w = d } } END { print w + 0 }')
check "train: shared classes keep their rows (worst probability difference $worst)" \
	sh -c "[ -s '$T/p.ft' ] && awk 'BEGIN { exit !($worst <= 0.0001) }'"
status 1 "train: --init with --arch -> 1" ser-train -q --init "$T/m.ser" --arch cnn -o "$T/z.ser" "$T/f.feat"
status 1 "train: --train-layers without --init -> 1" ser-train -q --train-layers 1 -o "$T/z.ser" "$T/f.feat"
status 1 "train: --train-layers beyond the model -> 1" ser-train -q --init "$T/m.ser" --train-layers 3 -o "$T/z.ser" "$T/f.feat"
ser-mfcc --preset kaldi "$D"/*-01.wav > "$T/kaldi.feat" 2>/dev/null
status 2 "train: --init with other feature settings -> 2" ser-train -q --init "$T/m.ser" -o "$T/z.ser" "$T/kaldi.feat"
check "train: the refusal gives the difference and a hint" sh -c "grep -q 'n-mels' '$T/err' && grep -q 'ser-classify -m' '$T/err'"
status 2 "train: --init with a missing model -> 2" ser-train -q --init "$T/none.ser" -o "$T/z.ser" "$T/f.feat"

# --checkpoint / --resume: an interrupted run continues to the same model,
# byte for byte. Runs in their own folders with the same relative names, so
# their command lines (kept in the model's record) are the same.
# ckin DIR [OPTION]...: the run in DIR (called in a subshell, which becomes
# the ser-train process: its pid is the one signalled)
ckin() {
	cd "$1" && shift && exec ser-train -q --arch "$ARCH" --classes neutral,angry --epochs 30 \
		--crop 50 -j 1 --val-speakers ravdess-04 --patience 0 --mixup 0.2 \
		--augment noise:0.5:0:20 -o m.ser --checkpoint m.ck --log log.tsv "$@" in.feat
}
ckrun() { (ckin "$@"); }
for d in ck0 ck1 ck2; do mkdir -p "$T/$d"; cp "$T/big.feat" "$T/$d/in.feat"; done
ckrun "$T/ck0" || notok "train: checkpointed run"
epochs() { awk 'END { print (NR > 0 ? NR - 1 : 0) }' "$1" 2>/dev/null || echo 0; }
# interrupted by SIGTERM once a checkpoint exists, by SIGKILL at a later one
for d in ck1 ck2; do
	(ckin "$T/$d") 2>/dev/null &
	pid=$!
	sig=$([ $d = ck1 ] && echo TERM || echo KILL) want=$([ $d = ck1 ] && echo 2 || echo 9)
	i=0; while [ $i -lt 1500 ] && [ "$(epochs "$T/$d/log.tsv")" -lt "$want" ]; do sleep 0.02; i=$((i + 1)); done
	kill -$sig $pid 2>/dev/null; wait $pid 2>/dev/null
	at=$(epochs "$T/$d/log.tsv")
	check "train: run interrupted by SIG$sig (after epoch $at of 30)" test "$at" -ge 1 -a "$at" -lt 30
	status 0 "train: --resume after SIG$sig" ckrun "$T/$d" --resume m.ck
	check "train: resumed model = uninterrupted model, byte for byte ($d)" cmp -s "$T/ck0/m.ser" "$T/$d/m.ser"
	check "train: resumed log has epochs 1..30 once each ($d)" test "$(cut -f1 "$T/$d/log.tsv" | tail -n +2 | tr '\n' ' ')" = "$(seq 1 30 | tr '\n' ' ')"
	check "train: final checkpoints equal ($d)" cmp -s "$T/ck0/m.ck" "$T/$d/m.ck"
done
# with an adversary (its parameters and optimiser in the checkpoint too)
ckadv() {
	cd "$1" && shift && exec ser-train -q --arch "$ARCH" --classes neutral,angry --epochs 30 \
		--crop 50 -j 1 --adversary speaker:1:8 -o m.ser --checkpoint m.ck --log log.tsv "$@" in.feat
}
for d in ca0 ca1; do mkdir -p "$T/$d"; cp "$T/big.feat" "$T/$d/in.feat"; done
(ckadv "$T/ca0") || notok "train: checkpointed run with --adversary"
(ckadv "$T/ca1") 2>/dev/null &
pid=$!
i=0; while [ $i -lt 1500 ] && [ "$(epochs "$T/ca1/log.tsv")" -lt 2 ]; do sleep 0.02; i=$((i + 1)); done
kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null
at=$(epochs "$T/ca1/log.tsv")
check "train: --adversary run interrupted (after epoch $at of 30)" test "$at" -ge 1 -a "$at" -lt 30
status 0 "train: --adversary run resumed" sh -c "cd '$T/ca1' && exec ser-train -q --arch '$ARCH' \
	--classes neutral,angry --epochs 30 --crop 50 -j 1 --adversary speaker:1:8 -o m.ser --checkpoint m.ck \
	--log log.tsv --resume m.ck in.feat"
check "train: --adversary: resumed model = uninterrupted model, byte for byte" cmp -s "$T/ca0/m.ser" "$T/ca1/m.ser"
check "train: --adversary: final checkpoints equal" cmp -s "$T/ca0/m.ck" "$T/ca1/m.ck"
# refusals: another run's checkpoint, a damaged one, not a checkpoint
status 2 "train: --resume with another run's checkpoint -> 2" sh -c "cd '$T/ck0' && exec ser-train -q \
	--arch '$ARCH' --classes neutral,angry --epochs 30 --crop 50 -j 1 --seed 9 -o n.ser --resume m.ck in.feat"
check "train: it says the run differs" grep -q "another run" "$T/err"
cp "$T/ck0/m.ck" "$T/bad.ck"
printf 'X' | dd of="$T/bad.ck" bs=1 seek=200 conv=notrunc 2>/dev/null
status 2 "train: --resume with a damaged checkpoint -> 2" ser-train -q --arch "$ARCH" -o "$T/n.ser" --resume "$T/bad.ck" "$T/f.feat"
check "train: damaged checkpoint: checksum named" grep -q "checksum" "$T/err"
head -c 100 "$T/ck0/m.ck" > "$T/short.ck"
status 2 "train: --resume with a truncated checkpoint -> 2" ser-train -q --arch "$ARCH" -o "$T/n.ser" --resume "$T/short.ck" "$T/f.feat"
status 2 "train: --resume with a model file -> 2" ser-train -q --arch "$ARCH" -o "$T/n.ser" --resume "$T/m.ser" "$T/f.feat"
check "train: not a checkpoint named" grep -q "not a ser training checkpoint" "$T/err"
check "train: the record leaves --resume out" sh -c "! ser-classify -m '$T/ck1/m.ser' --info | grep -q -- --resume"

# --average-from: the model is the mean of the networks of the last epochs
status 0 "train: --average-from 3 of 6 exits 0" train -o "$T/avg.ser" --epochs 6 --average-from 3 "$T/f.feat"
train -o "$T/noavg.ser" --epochs 6 "$T/f.feat" 2>/dev/null
check "train: the record says what was averaged" sh -c "ser-classify -m '$T/avg.ser' --info | grep -q 'weight averaging: the mean of the network after every step of epochs 3-6' && ser-classify -m '$T/avg.ser' --info | grep -q 'weights: the mean of the network after each of 16 steps from epoch 3 on'"
ser-classify -m "$T/avg.ser" -P --no-vad "$D"/*-04.wav > "$T/avg.tsv" 2>/dev/null
ser-classify -m "$T/noavg.ser" -P --no-vad "$D"/*-04.wav > "$T/noavg.tsv" 2>/dev/null
check "train: the averaged model gives other probabilities than the last epoch's" sh -c "test -s '$T/avg.tsv' && ! cmp -s '$T/avg.tsv' '$T/noavg.tsv'"
check "train: a model without averaging has no averaging line" sh -c "! ser-classify -m '$T/noavg.ser' --info | grep -q 'weight averaging'"
status 1 "train: --average-from beyond --epochs -> 1" train -o "$T/z.ser" --epochs 6 --average-from 7 "$T/f.feat"
check "train: it names the epochs" grep -q "has 6 epochs" "$T/err"
status 1 "train: --average-from with --patience -> 1" train -o "$T/z.ser" --epochs 6 --average-from 3 --val-speakers ravdess-04 --patience 2 "$T/f.feat"
status 0 "train: --average-from with validation (reported, none selected)" train -o "$T/avgv.ser" --epochs 6 --average-from 3 --val-speakers ravdess-04 "$T/f.feat"
check "train: validation selected no epoch" sh -c "ser-classify -m '$T/avgv.ser' --info | grep -q 'weights: the mean' && ! ser-classify -m '$T/avgv.ser' --info | grep -q '^best epoch'"

# --speaker-mix: per-speaker normalisation with mixed references
status 0 "train: --speaker-mix 0.5:1 with --norm speaker-mean exits 0" train -o "$T/mix.ser" --epochs 3 --norm speaker-mean --speaker-mix 0.5:1 "$T/f.feat"
train -o "$T/nomix.ser" --epochs 3 --norm speaker-mean "$T/f.feat" 2>/dev/null
check "train: the record names the speaker mix" sh -c "ser-classify -m '$T/mix.ser' --info | grep -q '^speaker mix: probability 0.5, .* Dirichlet(1)$' && ! ser-classify -m '$T/nomix.ser' --info | grep -q '^speaker mix'"
check "train: --speaker-mix changes the model" sh -c "! cmp -s '$T/mix.ser' '$T/nomix.ser'"
train -o "$T/mix0.ser" --epochs 3 --norm speaker-mean --speaker-mix 0:1 "$T/f.feat" 2>/dev/null
check "train: --speaker-mix 0:1 trains what no mix does (the same network)" sh -c "ser-classify -m '$T/mix0.ser' -P --no-vad '$D'/*-04.wav > '$T/mix0.tsv' && ser-classify -m '$T/nomix.ser' -P --no-vad '$D'/*-04.wav > '$T/nomix.tsv' && cmp -s '$T/mix0.tsv' '$T/nomix.tsv'"
status 1 "train: --speaker-mix with --norm utt -> 1" train -o "$T/z.ser" --epochs 3 --speaker-mix 0.5:1 "$T/f.feat"
check "train: it asks for a per-speaker --norm" grep -q "needs a per-speaker --norm" "$T/err"
for bad in 0.5 1.5:1 0.5:0 x:1 0.5:1x; do
	status 1 "train: --speaker-mix '$bad' -> 1" train -o "$T/z.ser" --epochs 3 --norm speaker-mean --speaker-mix "$bad" "$T/f.feat"
done

# scripts/train-default: SER_MFCC_OPTS (other feature settings) is refused
# without a SER_WORK of its own, before anything is read or made
mkdir -p "$T/nodata"
status 1 "train-default: SER_MFCC_OPTS without SER_WORK -> 1" env -u SER_WORK SER_MFCC_OPTS='--high-freq 4000' SER_DATA="$T/nodata" sh "$SER_ROOT/scripts/train-default" protocol
check "train-default: the refusal names SER_WORK" grep -q 'SER_MFCC_OPTS needs its own SER_WORK' "$T/err"
status 2 "train-default: with a SER_WORK of its own it goes on (to the missing corpus: 2)" env SER_WORK="$T/mfccwork" SER_MFCC_OPTS='--high-freq 4000' SER_DATA="$T/nodata" sh "$SER_ROOT/scripts/train-default" protocol
check "train-default: and says the corpus is missing, nothing made" sh -c "grep -q 'no corpus at' '$T/err' && [ ! -e '$T/mfccwork' ]"

# --help lists only options the man page documents
for o in $(ser-train --help | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$SER_ROOT/man/ser-train.1" || notok "train: $o in man page"
done
ok "train: --help options checked against man/ser-train.1"
