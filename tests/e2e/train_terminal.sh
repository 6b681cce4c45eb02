#!/usr/bin/env bash
# End to end, in a real terminal (tmux): `stepformer train` draws a progress bar, and Ctrl-C
# saves a checkpoint that --resume continues. Prints cmocka-style result lines.
# usage: train_terminal.sh STEPFORMER TMPDIR
set -u
bin=$1
dir=$2/e2e_train
session=sf-e2e-train-$$
rm -rf "$dir" && mkdir -p "$dir"
name=train_terminal
. "$(dirname "$0")/lib.sh"
echo "[==========] Running 1 test(s)."
command -v tmux >/dev/null || fail "tmux is not installed"
"$bin" corpus --out "$dir" --sentences 2000 --heldout 10 >/dev/null || fail "corpus"
tmux new-session -d -s "$session" -x 100 -y 12 \
    "'$bin' train --data '$dir/train.txt' --config textbook,layers=1,heads=2,dim=16,ctx=16 --seq 16 --steps 1000000 --out '$dir/m.sfm'; echo EXIT=\$?; sleep 30"
wait_for 'tok/s' 20 || fail "no progress bar"
screen | grep -q '\[#*\.*\] step [0-9]*/1000000  loss [0-9.]*  [0-9]* tok/s  [0-9]*s left' ||
    fail "the progress bar lacks step, loss, tokens/s or time left"
tmux send-keys -t "$session" C-c
wait_for 'EXIT=' 20 || fail "Ctrl-C did not stop training"
screen | grep -q 'EXIT=130' || fail "exit status is not 130"
screen | grep -q 'interrupted at step [0-9]*; saved to' || fail "no message"
tmux kill-session -t "$session"
[ -s "$dir/m.sfm" ] && [ -s "$dir/m.sfm.state" ] || fail "no checkpoint after Ctrl-C"
steps=$("$bin" train --data "$dir/train.txt" --seq 16 --steps 0 --out "$dir/m.sfm" --resume 2>&1 | grep -o 'step [0-9]*' | head -1)
"$bin" trace --model "$dir/m.sfm" --prompt "the keys" --tokens >/dev/null || fail "the saved model does not load"
ok "progress bar, Ctrl-C saves, --resume continues ($steps)"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
