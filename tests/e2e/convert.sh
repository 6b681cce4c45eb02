#!/usr/bin/env bash
# End to end: the real program converts the test GPT-2 checkpoint (llm.c's format, with its
# tokenizer) to a stepformer model and back, and the shipped model to a stepformer model;
# `trace --op head.probs` on a prompt prints the same on every copy as on the original, and the
# checkpoint written finds its tokenizer by itself. What llm.c cannot hold is refused, exit 2.
# Prints cmocka-style result lines.
# usage: convert.sh STEPFORMER TEST_DATA_DIR ASSETS_DIR SCRATCH_DIR
set -u
bin=$1
data=$2
assets=$3
work=$4/e2e-convert
name=convert
echo "[==========] Running 1 test(s)."
. "$(dirname "$0")/result.sh"

rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
cd "$work" || fail "cannot enter $work"
cp "$data/gpt2_tiny.bin" orig.bin && cp "$data/gpt2_tiny_tokenizer.bin" gpt2_tokenizer.bin ||
    fail "cannot copy the test checkpoint"
probs() { "$bin" trace --model "$1" --prompt " the thing" --op head.probs; }
want=$(probs orig.bin) || fail "trace on the original checkpoint fails"
echo "$want" | head -1 | grep -qF '# head.probs (4, 300)' || fail "unexpected trace: $(echo "$want" | head -1)"

out=$("$bin" convert orig.bin students.sfm 2>&1) || fail "convert to .sfm: $out"
echo "$out" | grep -q '^wrote students.sfm: a stepformer model, .*its BPE tokenizer inside$' ||
    fail "convert to .sfm said: $out"
# The .sfm alone, away from every tokenizer file: its tokenizer is inside.
mkdir alone && mv students.sfm alone/ || fail "cannot move students.sfm"
[ "$(probs alone/students.sfm)" = "$want" ] || fail "head.probs of the .sfm differ from the original"

out=$("$bin" convert alone/students.sfm back.bin 2>&1) || fail "convert to .bin: $out"
[ -f back_tokenizer.bin ] || fail "no back_tokenizer.bin beside back.bin: $out"
cmp -s back_tokenizer.bin gpt2_tokenizer.bin || fail "the tokenizer written differs from llm.c's"
rm gpt2_tokenizer.bin
[ "$(probs back.bin)" = "$want" ] || fail "head.probs of back.bin (its tokenizer found beside it) differ"
ok "llm.c -> .sfm -> llm.c: the same head.probs, the tokenizer found beside the checkpoint"

"$bin" convert "$assets/models/textbook.sfm" textbook.bin 2>err.txt
status=$?
[ $status -eq 2 ] || fail "the textbook model as llm.c: status $status"
[ "$(wc -l <err.txt)" -eq 1 ] && grep -q "^stepformer: convert: textbook.bin: .*ReLU.*write a stepformer model (.sfm) instead$" err.txt ||
    fail "the textbook model as llm.c said: $(cat err.txt)"
[ ! -e textbook.bin ] && [ ! -e textbook_tokenizer.bin ] || fail "a refused conversion wrote a file"
"$bin" convert "$assets/models/textbook.sfm" textbook.sfm >/dev/null || fail "the textbook model as .sfm fails"
a=$("$bin" trace --model "$assets/models/textbook.sfm" --prompt "the keys to the cabinet" --op head.probs)
b=$("$bin" trace --model textbook.sfm --prompt "the keys to the cabinet" --op head.probs)
[ -n "$a" ] && [ "$a" = "$b" ] || fail "head.probs of the textbook copy differ"
"$bin" convert textbook.sfm textbook.sfm 2>err.txt
[ $? -eq 2 ] && grep -q "is the model being read" err.txt || fail "OUT = IN said: $(cat err.txt)"
ok "the textbook model: refused as llm.c, copied as .sfm; OUT = IN refused"

cd / && rm -rf "$work"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
