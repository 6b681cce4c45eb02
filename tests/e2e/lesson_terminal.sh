#!/usr/bin/env bash
# End to end, in a real terminal (tmux): lesson mode. Bad lessons and names get clear
# messages; lesson 4 opens, advances beat by beat, takes a wrong answer then the right one,
# quits, and on reopening lands where it stopped; presenter mode reveals an answer on the next
# press. Progress goes to a scratch XDG_STATE_HOME. Prints cmocka-style result lines.
# usage: lesson_terminal.sh STEPFORMER SCRATCH_DIR
set -u
bin=$1
state=$2/e2e-lesson-state
session=sf-e2e-lesson-$$
rm -rf "$state"
name=lesson_terminal
. "$(dirname "$0")/lib.sh"
start() { # width height lesson options
    local w=$1 h=$2
    shift 2
    open_terminal "$w" "$h" "XDG_STATE_HOME='$state' '$bin' lesson $*"
    wait_for 'One attention head: queries' 10 || fail "lesson 4 did not come up"
}
quit() {
    tmux send-keys -t "$session" q
    restored 0
}
echo "[==========] Running 1 test(s)."
command -v tmux >/dev/null || fail "tmux is not installed"

# Bad input: messages naming the lesson, file, line and column; no screen.
msg=$(XDG_STATE_HOME=$state "$bin" lesson 99 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q "no lesson '99'" || fail "unknown lesson: $msg"
bad=$2/e2e-bad-lesson.md
printf '# Bad\n@goto L9.attn.q\n@panels tokens sideways\n' >"$bad"
msg=$("$bin" check "$bad" 2>&1)
[ $? -eq 2 ] || fail "check of a bad lesson does not exit 2: $msg"
echo "$msg" | grep -q "$bad:3:16: error: unknown panel 'sideways'" || fail "no panel error: $msg"
msg=$(XDG_STATE_HOME=$state "$bin" lesson "$bad" 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q "cannot be shown until these are fixed" || fail "bad lesson opened: $msg"
printf '# Bad\n@goto L9.attn.q\n' >"$bad"
msg=$("$bin" check "$bad" 2>&1)
echo "$msg" | grep -q "$bad:2:7: error: no op 'L9.attn.q'" || fail "no op-name error: $msg"
ok "bad lessons get file:line:col messages"

start 120 36 4
screen | grep -q 'This lesson follows one attention head' || fail "no narration"
screen | grep -q ' 1/14' || fail "not on the first beat"
tmux send-keys -t "$session" Space
wait_for 'Here are the queries of head 0' 5 || fail "Space did not go on a beat"
screen | grep -q 'Q K V  L1 head 0' || fail "the beat's panel is not shown"
tmux send-keys -t "$session" Space Space
wait_for 'what are the shapes of q_i' 5 || fail "the question beat is not shown"
tmux send-keys -t "$session" Space
wait_for 'answer the question first' 5 || fail "Space skipped an open question"
# The choices come in the student's own order: the letter of the right one is read off the screen.
right=$(screen | grep -o '[a-d]) \[1×64\], a single number' | head -1 | cut -c1)
[ -n "$right" ] || fail "the right choice is not on the screen"
wrong=a
[ "$right" = a ] && wrong=b
tmux send-keys -t "$session" $wrong
wait_for "Not quite: $wrong) " 5 || fail "a wrong answer is not marked"
screen | grep -q 'Hint: A score' || fail "no hint after a wrong answer"
tmux send-keys -t "$session" $right
wait_for "Right: $right) \[1×64\], a single" 5 || fail "the right answer is not accepted"
tmux send-keys -t "$session" Space
wait_for 'The score of query i against' 5 || fail "no next beat after the answer"
screen | grep -q ' 5/14' || fail "not on beat 5"
tmux send-keys -t "$session" BSpace
wait_for ' 4/14' 5 || fail "Backspace did not go back a beat"
tmux send-keys -t "$session" Space
wait_for ' 5/14' 5 || fail "no way forward again"
ok "advances, waits for an answer, takes a wrong then the right one"
quit

start 120 36 4
wait_for 'welcome back: beat 5 of 14' 5 || fail "reopening did not resume"
screen | grep -q 'The score of query i against' || fail "not the beat where it stopped"
ok "reopens where it stopped"
quit
grep -q '^04-one-head 4 14 started$' "$state/stepformer/progress" || fail "progress file: $(cat "$state/stepformer/progress")"
ls "$state/stepformer" | grep -q tmp && fail "a temporary file was left"

start 120 36 4 --present
tmux send-keys -t "$session" PageDown Right Down
wait_for 'what are the shapes of q_i' 5 || fail "the clicker keys do not move"
tmux send-keys -t "$session" Space
wait_for "Answer: $right. q_i and" 5 || fail "presenter mode does not reveal the answer"
tmux send-keys -t "$session" PageUp PageUp
wait_for ' 3/14' 5 || fail "PgUp does not go back"
ok "presenter mode"
quit
grep -q '^04-one-head 4 14 started$' "$state/stepformer/progress" || fail "presenting changed the progress"

tmux kill-session -t "$session"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
