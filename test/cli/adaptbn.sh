#!/bin/sh
# ser-train --adapt-bn: a model's batch-norm statistics re-estimated on
# unlabelled features, nothing else changed (synthetic fixtures, sox).
. "$SER_ROOT/test/cli/lib.sh"
need_sox adapt-bn
D=$T/wav N=$T/new; mkdir -p "$D" "$N"
two_class_wavs "$D" "01 02 03 04"
# the recordings to adapt to: the same sounds through another "chain" (louder,
# high-passed), under names that carry no label and no speaker
i=0
for f in "$D"/*.wav; do
	i=$((i + 1))
	sox "$f" "$N/clip$i.wav" highpass 600 gain 6
done
ser-mfcc "$D"/*.wav > "$T/train.feat" 2>"$T/err" || notok "adapt-bn: ser-mfcc fixtures"
ser-mfcc "$N"/*.wav > "$T/new.feat" 2>"$T/err" || notok "adapt-bn: ser-mfcc new recordings"
tr1() { ser-train -q --classes neutral,angry --epochs 20 --lr 0.01 --batch 8 --crop 50 -j 1 "$@"; }
status 0 "adapt-bn: a model with batch norm" tr1 --arch "conv:16:5 bn relu stats dense" -o "$T/bn.ser" "$T/train.feat"
status 0 "adapt-bn: a model without" tr1 --arch "conv:16:5 relu stats dense" -o "$T/plain.ser" "$T/train.feat"

status 0 "adapt-bn: unlabelled features -> 0" ser-train -q --init "$T/bn.ser" --adapt-bn -j 1 \
	--log "$T/log.tsv" -o "$T/bn-new.ser" "$T/new.feat"
ser-classify -m "$T/bn-new.ser" --info > "$T/info" 2>"$T/err"
check "adapt-bn: the record says what was done" \
	grep -qx 'adaptation: batch-norm statistics only (--adapt-bn), re-estimated on these utterances; labels not read, every other parameter as in the model' "$T/info"
check "adapt-bn: every unlabelled utterance used (data: 16 train, 0 skipped)" \
	grep -q '^data: 16 train, 0 validation, 0 excluded, 0 skipped' "$T/info"
check "adapt-bn: the classes are the model's" grep -qx 'classes: neutral angry' "$T/info"
# 16 utterances, batch 32: one batch an epoch, so 300 epochs make 300 batches
check "adapt-bn: at least 300 batches by default (300 epochs of one)" \
	test "$(tail -n +2 "$T/log.tsv" | wc -l)" -eq 300
ser-classify -m "$T/bn.ser" --no-vad -P "$N"/clip1.wav "$N"/clip2.wav > "$T/p0" 2>"$T/err"
ser-classify -m "$T/bn-new.ser" --no-vad -P "$N"/clip1.wav "$N"/clip2.wav > "$T/p1" 2>"$T/err"
check "adapt-bn: the adapted model's probabilities differ" sh -c "[ -s '$T/p1' ] && ! cmp -s '$T/p0' '$T/p1'"

# weights untouched: a model without batch norm comes out computing the same
status 0 "adapt-bn: a model without batch norm" ser-train -q --init "$T/plain.ser" --adapt-bn \
	--epochs 3 -j 1 -o "$T/plain-new.ser" "$T/new.feat"
ser-classify -m "$T/plain.ser" --no-vad -P "$N"/*.wav > "$T/q0" 2>"$T/err"
ser-classify -m "$T/plain-new.ser" --no-vad -P "$N"/*.wav > "$T/q1" 2>"$T/err"
check "adapt-bn: without batch norm nothing changes (probabilities identical)" \
	sh -c "[ -s '$T/q0' ] && cmp -s '$T/q0' '$T/q1'"

# labels play no part: the same features with every key labelled, and
# labelled otherwise, give the same model
ls "$N"/*.wav | awk '{ print $0 "\tangry" }' > "$T/lab-a.tsv"
ls "$N"/*.wav | awk '{ print $0 "\t" (NR % 2 ? "neutral" : "angry") }' > "$T/lab-b.tsv"
for l in a b; do
	ser-train -q --init "$T/bn.ser" --adapt-bn --epochs 5 -j 1 --labels "$T/lab-$l.tsv" \
		-o "$T/bn-$l.ser" "$T/new.feat" 2>"$T/err"
	ser-classify -m "$T/bn-$l.ser" --no-vad -P "$N"/*.wav > "$T/r$l" 2>"$T/err"
done
check "adapt-bn: labels change nothing (two label files, the same probabilities)" \
	sh -c "[ -s '$T/ra' ] && cmp -s '$T/ra' '$T/rb'"

status 1 "adapt-bn: without --init -> 1" ser-train -q --adapt-bn -o "$T/z.ser" "$T/new.feat"
status 1 "adapt-bn: with --lr -> 1" ser-train -q --init "$T/bn.ser" --adapt-bn --lr 0.1 -o "$T/z.ser" "$T/new.feat"
status 1 "adapt-bn: with --label-smoothing -> 1" ser-train -q --init "$T/bn.ser" --adapt-bn --label-smoothing 0.1 -o "$T/z.ser" "$T/new.feat"
status 1 "adapt-bn: with --optim -> 1" ser-train -q --init "$T/bn.ser" --adapt-bn --optim sgd -o "$T/z.ser" "$T/new.feat"
status 1 "adapt-bn: with --schedule -> 1" ser-train -q --init "$T/bn.ser" --adapt-bn --schedule constant -o "$T/z.ser" "$T/new.feat"
status 1 "adapt-bn: with --train-layers -> 1" ser-train -q --init "$T/bn.ser" --adapt-bn --train-layers 1 -o "$T/z.ser" "$T/new.feat"
status 2 "adapt-bn: features of other settings -> 2" sh -c \
	"ser-mfcc --preset kaldi '$N/clip1.wav' > '$T/k.feat' && ser-train -q --init '$T/bn.ser' --adapt-bn -o '$T/z.ser' '$T/k.feat'"
check "adapt-bn: nothing written on refusal" test ! -e "$T/z.ser"
