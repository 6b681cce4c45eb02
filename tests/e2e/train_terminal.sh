#!/usr/bin/env bash
# End to end, in a real terminal (tmux): `stepformer train` draws a progress bar, and Ctrl-C
# saves a checkpoint that --resume continues. Prints cmocka-style result lines.
# usage: train_terminal.sh STEPFORMER TMPDIR
set -u
# A tmux server of its own, so that tests running side by side never share (or stop) one.
tmux() { command tmux -L "sf-e2e-$$" "$@"; }
trap 'command tmux -L "sf-e2e-$$" kill-server 2>/dev/null' EXIT
bin=$1
dir=$2/e2e_train
session=sf-e2e-train-$$
rm -rf "$dir" && mkdir -p "$dir"
fail() {
    echo "[  FAILED  ] 1 test(s), listed below:"
    echo "[  FAILED  ] train_terminal: $1"
    tmux capture-pane -p -t "$session" 2>/dev/null | sed 's/^/    | /'
    tmux kill-session -t "$session" 2>/dev/null
    exit 1
}
wait_for() { # pattern, seconds
    for _ in $(seq 1 $(($2 * 10))); do
        tmux capture-pane -p -t "$session" | grep -q -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
echo "[==========] Running 1 test(s)."
command -v tmux >/dev/null || fail "tmux is not installed"
"$bin" corpus --out "$dir" --sentences 2000 --heldout 10 >/dev/null || fail "corpus"
tmux new-session -d -s "$session" -x 100 -y 12 \
    "'$bin' train --data '$dir/train.txt' --config textbook,layers=1,heads=2,dim=16,ctx=16 --seq 16 --steps 1000000 --out '$dir/m.sfm'; echo EXIT=\$?; sleep 30"
wait_for 'tok/s' 20 || fail "no progress bar"
tmux capture-pane -p -t "$session" | grep -q '\[#*\.*\] step [0-9]*/1000000  loss [0-9.]*  [0-9]* tok/s  [0-9]*s left' ||
    fail "the progress bar lacks step, loss, tokens/s or time left"
tmux send-keys -t "$session" C-c
wait_for 'EXIT=' 20 || fail "Ctrl-C did not stop training"
tmux capture-pane -p -t "$session" | grep -q 'EXIT=130' || fail "exit status is not 130"
tmux capture-pane -p -t "$session" | grep -q 'interrupted at step [0-9]*; saved to' || fail "no message"
tmux kill-session -t "$session"
[ -s "$dir/m.sfm" ] && [ -s "$dir/m.sfm.state" ] || fail "no checkpoint after Ctrl-C"
steps=$("$bin" train --data "$dir/train.txt" --seq 16 --steps 0 --out "$dir/m.sfm" --resume 2>&1 | grep -o 'step [0-9]*' | head -1)
"$bin" trace --model "$dir/m.sfm" --prompt "the keys" --tokens >/dev/null || fail "the saved model does not load"
echo "[       OK ] train_terminal ($steps)"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
