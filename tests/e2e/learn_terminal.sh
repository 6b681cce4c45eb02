#!/usr/bin/env bash
# End to end, in a real terminal (tmux): the learn view. stepformer --learn comes up and trains
# (the step count grows while keys still work), Space pauses, . runs one step, Enter opens the
# step-through screen on the weights as they are and W comes back, S saves the model where the
# status line says, q quits with the terminal restored. Bad options get a clear message.
# Prints cmocka-style result lines.
# usage: learn_terminal.sh STEPFORMER SCRATCH_DIR
set -u
bin=$1
dir=$2/learn_terminal
session=sf-e2e-learn-$$
name=learn_terminal
. "$(dirname "$0")/lib.sh"
echo "[==========] Running 1 test(s)."
command -v tmux >/dev/null || fail "tmux is not installed"

msg=$("$bin" --seed 3 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q -- "--seed goes with --learn" || fail "--seed alone: $msg"
msg=$("$bin" --learn --steps 0 2>&1 </dev/null)
[ $? -eq 2 ] && [ "$msg" = "stepformer: --steps '0': must be a whole number 1–1000000" ] ||
    fail "--steps 0: $msg"
msg=$("$bin" --learn --train 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q "opens its own view" || fail "--learn --train: $msg"
ok "bad options get a clear message"

rm -rf "$dir" && mkdir -p "$dir" || fail "cannot make $dir"
open_terminal 100 30 "cd '$dir' && '$bin' --learn --steps 400"
wait_for 'loss curve from random weights' 20 || fail "the learn view did not come up"
wait_for 'step [1-9][0-9]* of 400' 20 || fail "it does not train"
screen | grep -q 'Next token after position 4 .cabinet.' || fail "no next-token panel"
screen | grep -q 'Attention  L[01] head [0-3]' || fail "no attention panel"
ok "comes up and trains"

tmux send-keys -t "$session" Space
wait_for 'paused at step' 5 || fail "Space did not pause"
at=$(screen | grep -o 'paused at step [0-9]*' | grep -o '[0-9]*$')
tmux send-keys -t "$session" .
wait_for "step $((at + 1)): loss" 10 || fail ". did not run one step from $at"
ok "pauses and steps"

tmux send-keys -t "$session" Enter
wait_for 'Tokens  N = ' 10 || fail "Enter did not open the step-through screen"
screen | grep -q "weights after step $((at + 1))" || fail "the screen does not say whose weights"
tmux send-keys -t "$session" G
wait_for 'sample.append' 10 || fail "the pass does not run on the weights"
tmux send-keys -t "$session" W
wait_for 'loss curve from random weights' 10 || fail "W did not come back"
ok "the step-through screen on the weights of the moment, and back"

tmux send-keys -t "$session" S
wait_for 'saved the model after step' 10 || fail "S did not save"
[ -s "$dir/learned.sfm" ] || fail "no learned.sfm"
"$bin" trace --model "$dir/learned.sfm" --prompt "the keys" --list >/dev/null 2>&1 ||
    fail "the saved model does not load"
ok "saves a model that loads"

tmux send-keys -t "$session" q
restored 0
ok "quits, the terminal restored"
rm -rf "$dir"
echo "[  PASSED  ] 1 test(s)."
