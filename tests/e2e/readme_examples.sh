#!/usr/bin/env bash
# End to end: every `stepformer ...` example in README.md's sh blocks, run as written, in
# order, in a directory of its own (so `corpus --out corpus` makes what `eval --data
# corpus/valid.txt` and `train --data corpus/train.txt` read). Each must exit 0 and print what
# it is there to show. `M` is a model file (the shipped one), `my-lesson.md` a copy of a
# shipped lesson, as README says. The step-through screen and lesson mode run in a real
# terminal (tmux) and quit with q. Examples that need llm.c's GPT-2 files (gpt2_124M.bin,
# gpt2_tokenizer.bin, tokens.bin, and the Hugging Face folder gpt2/) run when SF_GPT2_DIR names
# a directory holding them, and are skipped with a message otherwise. Prints cmocka-style
# result lines.
# usage: readme_examples.sh STEPFORMER BUILD_DIR
set -u
bin=$1
work=$2/readme-examples
src=$(cd "$(dirname "$0")/../.." && pwd)
session=sf-e2e-readme-$$
name=readme_examples
. "$(dirname "$0")/lib.sh"
echo "[==========] Running 1 test(s)."
command -v tmux >/dev/null || fail "tmux is not installed"

rm -rf "$work"
mkdir -p "$work/bin" "$work/state" || fail "cannot make $work"
ln -s "$bin" "$work/bin/stepformer"
ln -s "$src/assets/models/textbook.sfm" "$work/M"
cp "$src/lessons/01-one-pass.md" "$work/my-lesson.md"
for f in gpt2_124M.bin gpt2_tokenizer.bin tokens.bin gpt2; do
    if [ -n "${SF_GPT2_DIR:-}" ] && [ -e "$SF_GPT2_DIR/$f" ]; then
        ln -s "$SF_GPT2_DIR/$f" "$work/$f"
    fi
done
export PATH="$work/bin:$PATH" XDG_STATE_HOME="$work/state"
unset STEPFORMER_MODEL STEPFORMER_LESSONS STEPFORMER_PALETTE
cd "$work" || fail "cannot enter $work"

# What an example must print (an extended regular expression), by what it runs. The shipped
# model's vocabulary size is the one README states.
vocab=$(grep -o 'The shipped model knows [0-9]* tokens' "$src/README.md" | grep -o '[0-9][0-9]*')
[ -n "$vocab" ] || fail "README does not say how many tokens the shipped model knows"
expected() {
    case "$1" in
    *screenshot*) echo '^wrote [^ ]+\.(svg|ans|txt): (an SVG picture|ANSI text|plain text), ' ;;
    *convert\ *) echo '^wrote [^ ]+\.sfm: a stepformer model, ' ;;
    *--tokens*) echo '^# 5 tokens' ;;
    *--vocab*) echo "^# $vocab tokens: words and punctuation, lower-case only" ;;
    *"--out alpha.npy"*) echo '^wrote alpha\.npy: L0\.attn\.softmax \(4, 3, 3\) float32' ;;
    *"--out dwq.npy"*) echo '^wrote dwq\.npy: L0\.attn\.wq' ;;
    *"--out p.npy"*) echo '^wrote p\.npy: head\.probs' ;;
    *"--op head.probs"*) echo '^# head\.probs \(5, ' ;;
    *"--op L0.attn.mask"*) echo '-inf' ;;
    *"--op grad.L0.attn.softmax"*) echo '^# grad\.L0\.attn\.softmax ' ;;
    *"--op loss.xent"*) echo '^# mean [0-9.]+: the loss, the mean over the 3 positions' ;;
    *"--train --list"*) echo '^adamw\.L0\.attn\.wq ' ;;
    *--list*) echo '^L0\.attn\.softmax ' ;;
    *--impl\ ref* | "stepformer trace --model M --ids 3,1,4") echo '^head\.probs +\(3, [0-9]+\) +mean' ;;
    *"all the"*) echo 'so long and thanks for all the fish' ;;
    *--top-p*) echo '^the keys' ;;
    *--beam*) echo '^beam 1 \(log p -?[0-9.]+\): ' ;;
    *corpus\ --out*) echo '^wrote corpus/train\.txt' ;;
    *eval\ *) echo '^loss [0-9.]+ perplexity [0-9.]+ over ' ;;
    *--resume*) echo '^saved m\.sfm \(step 150\)' ;;
    *"--out m.sfm"*) echo '^saved m\.sfm \(step 100\)' ;;
    *"--out g.sfm"*) echo '^saved g\.sfm ' ;;
    *bench*) echo '^peak memory' ;;
    *lessons*) echo '^ 1  One pass' ;;
    *check\ *) echo '^my-lesson\.md: ok, ' ;;
    esac
}

# The examples: lines of the sh blocks that start with stepformer (or ./build/stepformer),
# without the comment after them.
mapfile -t examples < <(awk '/^```sh/ { inb = 1; next } /^```/ { inb = 0 } inb' "$src/README.md" |
    grep -E '^(\./build/)?stepformer( |$)' | sed -E -e 's/[[:space:]]{2,}#.*$//' -e 's|^\./build/||')
[ ${#examples[@]} -ge 20 ] || fail "only ${#examples[@]} examples found in README.md"

ran=0 skipped=0
for ex in "${examples[@]}"; do
    missing=
    for f in gpt2_124M.bin gpt2_tokenizer.bin tokens.bin gpt2/; do
        case "$ex" in *" $f"*) [ -e "$f" ] || missing="$missing $f" ;; esac
    done
    if [ -n "$missing" ]; then
        echo "skipped (needs GPT-2's$missing; set SF_GPT2_DIR to a directory holding them): $ex"
        skipped=$((skipped + 1))
        continue
    fi
    set -f # the words of the example, unglobbed
    set -- $ex
    set +f
    if [ $# -eq 1 ] || [ "${2#-}" != "$2" ] || [ "$2" = lesson ]; then
        # The step-through screen, the learn view or lesson mode: up in a terminal, then q.
        open_terminal 120 40 "$ex"
        wait_for 'Tokens  N = \|presenting\|loss curve' 20 || fail "the screen did not come up: $ex"
        tmux send-keys -t "$session" q
        restored 0
    else
        pattern=$(expected "$ex")
        [ -n "$pattern" ] || fail "no expected output known for the example: $ex"
        out=$(eval "$ex" 2>&1 </dev/null)
        status=$?
        [ $status -eq 0 ] || fail "status $status: $ex
$out"
        echo "$out" | grep -qE -- "$pattern" || fail "no /$pattern/ in the output of: $ex
$out"
        case "$ex" in *"--out "*.npy*) f=${ex##*--out }; [ -s "${f%% *}" ] || fail "no ${f%% *}: $ex" ;; esac
    fi
    ran=$((ran + 1))
done
ok "$ran README examples ran as written ($skipped need GPT-2 files and were skipped)"
echo "[  PASSED  ] 1 test(s)."
