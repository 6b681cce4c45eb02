#!/usr/bin/env bash
# End to end, in a real terminal (tmux): the step-through screen. Start, step 40 ops, step
# back, zoom, resize to 80x24, 200x60 and too small, edit the prompt (at its end and in the
# middle), paste 10,000 characters into it, step through the sampling stages at τ = 2,
# generate a token, switch the heads of a layer off, quit; the presenter view with a clicker's
# keys; the head finder (cabinet → keys);
# the screen text is checked at each point, and that the terminal is restored after quitting,
# after Ctrl-C and after a crash signal. Prints cmocka-style result lines.
# usage: tui_terminal.sh STEPFORMER
set -u
bin=$1
session=sf-e2e-tui-$$
name=tui_terminal
. "$(dirname "$0")/lib.sh"
start() { # width height [options]
    local w=$1 h=$2
    shift 2
    open_terminal "$w" "$h" "'$bin' $*"
    wait_for 'Tokens  N = ' 10 || fail "the screen did not come up"
}
echo "[==========] Running 1 test(s)."
command -v tmux >/dev/null || fail "tmux is not installed"

# Bad input: a clear message and status 2, before the screen takes the terminal.
msg=$("$bin" --bogus 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q "unknown option '--bogus'" || fail "unknown option: $msg"
msg=$("$bin" --impl blas 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q -- "--impl 'blas': use fast or ref" || fail "bad --impl: $msg"
msg=$("$bin" --prompt 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q -- "--prompt needs a value" || fail "missing value: $msg"
msg=$("$bin" 2>&1 </dev/null | cat)
echo "$msg" | grep -q "needs a terminal" || fail "no terminal: $msg"
tmux new-session -d -s "$session" -x 100 -y 10 \
    "'$bin' --model /nonexistent/m.sfm; echo EXIT=\$?; sleep 60"
wait_for 'EXIT=2' 10 || fail "a missing model file does not exit with 2"
screen | grep -q '/nonexistent/m.sfm' || fail "the message does not name the missing file"
tmux new-session -d -s "$session-2" -x 100 -y 30 \
    "'$bin' --prompt 'the zebra'; echo EXIT=\$?; sleep 60"
tmux kill-session -t "$session"
session=$session-2
wait_for 'Tokens  N = 2' 10 || fail "an unknown word stops the screen"
screen | grep -q "'zebra'" || fail "the unknown word is not named"
tmux send-keys -t "$session" q
wait_for 'EXIT=0' 10 || fail "q did not quit"
ok "bad input gets a clear message"

start 100 30
screen | grep -q 'Space: run the first operation' || fail "no start hint"
screen | grep -q 'token the keys to the cabinet are on the table' || fail "no tokens strip"
ok "starts on the shipped model"

for _ in $(seq 40); do tmux send-keys -t "$session" Space; done
wait_for 'Ops  40 / 55' 5 || fail "40 steps did not reach op 40"
screen | grep -q 'L1.ln2.affine   §9.2' || fail "the equation does not name the 40th op"
screen | grep -q 'γ ⊙ xhat + β' || fail "no equation for the LayerNorm affine op"
ok "steps 40 ops"

tmux send-keys -t "$session" BSpace
wait_for 'Ops  39 / 55' 5 || fail "Backspace did not step back"
screen | grep -q 'L1.ln2.norm   §9.2' || fail "step back does not show L1.ln2.norm"
ok "steps back"

tmux send-keys -t "$session" z
wait_for '^ LayerNorm' 5 || fail "z did not zoom the LayerNorm panel"
screen | grep -q 'Tokens  N' && fail "the zoomed screen still shows the tokens strip"
tmux send-keys -t "$session" z
wait_for 'Tokens  N = 9' 5 || fail "z again did not unzoom"
ok "zooms and unzooms"

tmux resize-window -t "$session" -x 80 -y 24
wait_for 'Ops  39 / 55' 5 || fail "no redraw at 80x24"
[ "$(screen | wc -l)" -eq 24 ] || fail "the pane is not 24 lines"
screen | sed -n 24p | grep -q 'L1.ln2.norm' || fail "no status line at the bottom of 80x24"
ok "redraws at 80x24"

tmux resize-window -t "$session" -x 200 -y 60
wait_for 'Next token after position 8' 5 || fail "no side panels at 200x60"
screen | sed -n 60p | grep -q 'L1.ln2.norm' || fail "no status line at the bottom of 200x60"
ok "redraws at 200x60"

tmux resize-window -t "$session" -x 70 -y 20
wait_for 'needs at least 80 x 24; this window is 70 x 20' 5 || fail "no notice when too small"
tmux resize-window -t "$session" -x 100 -y 30
wait_for 'Ops  39 / 55' 5 || fail "no redraw after growing again"
ok "asks for a bigger window below 80x24"

tmux send-keys -t "$session" e C-u
tmux send-keys -t "$session" -l 'so long and thanks for all the'
wait_for 'prompt: so long and thanks for all the_' 5 || fail "the prompt line does not echo"
tmux send-keys -t "$session" Enter
wait_for 'Tokens  N = 7' 5 || fail "the new prompt did not make 7 tokens"
ok "edits the prompt"

# Editing in the middle of the line: the arrows move the cursor over whole characters (é, ∑),
# Ctrl-W takes the word before it, typing goes in at it, and the status line draws the cell
# under the cursor in a style of its own.
tmux send-keys -t "$session" e C-u
tmux send-keys -t "$session" -l 'so long and thanks for all the é∑'
tmux send-keys -t "$session" BSpace BSpace BSpace
for _ in $(seq 18); do tmux send-keys -t "$session" Left; done
tmux send-keys -t "$session" C-w
wait_for 'prompt: so long thanks for all the   (Enter' 5 || fail "Ctrl-W in the middle did not take the word before the cursor"
tmux send-keys -t "$session" -l 'and '
wait_for 'prompt: so long and thanks for all the   (Enter' 5 || fail "typing in the middle of the prompt"
# (each change of style becomes one "|": the cursor's cell stands between two)
tmux capture-pane -e -p -t "$session" | tail -1 | sed 's/\x1b\[[0-9;]*m/|/g' | tr -s '|' |
    grep -q 'so long and |t|hanks for all the ' ||
    fail "the cursor's cell is not drawn in a style of its own"
tmux send-keys -t "$session" Right Right DC DC
wait_for 'prompt: so long and thks for all the   (Enter' 5 || fail "Delete did not take the characters under the cursor"
tmux send-keys -t "$session" -l 'an'
wait_for 'prompt: so long and thanks for all the   (Enter' 5 || fail "typing after Delete"
tmux send-keys -t "$session" Enter
wait_for 'Tokens  N = 7' 5 || fail "the prompt edited in the middle did not make 7 tokens"
screen | grep -q 'token so  *long  *and  *thanks' || fail "the prompt edited in the middle is not in the strip"
ok "edits the prompt in the middle with the arrows"

# A paste of 10,000 characters (of 1, 2 and 3 bytes) into the prompt editor is cut between
# characters, with a message: 585 whole characters make 1023 bytes. Keys already waiting are
# all taken before the next redraw: the same paste again (every character refused now) and
# Escape behind it take well under 3 s (a redraw per character took 6.5 s here).
tmux send-keys -t "$session" e C-u
printf 'aé∑ %.0s' $(seq 2500) | tmux load-buffer -b paste -
tmux paste-buffer -b paste -t "$session"
wait_for 'too long: cut at 585 characters' 5 || fail "a 10,000-character paste did not end in 5 s with a message saying it was cut"
screen | tail -1 | grep -q ' prompt: …[ aé∑]*∑ a_   too long: cut at 585 characters (at most 1023 bytes)' ||
    fail "the prompt line does not show the end of what was kept and the whole message"
tmux paste-buffer -d -b paste -t "$session"
tmux send-keys -t "$session" Escape
for _ in $(seq 60); do
    screen | tail -1 | grep -q ' prompt: ' || break
    sleep 0.05
done
screen | tail -1 | grep -q ' prompt: ' && fail "a paste of 10,000 characters took more than 3 s: a redraw per character?"
wait_for 'Tokens  N = 7' 5 || fail "Escape after the paste did not keep the prompt"
ok "takes a 10,000-character paste at once, cut between characters"

# The sampling stages at τ = 2 with top-p 0.9: sample.probs shows softmax(u / τ) beside y at
# τ = 1, the cut marks what it keeps, head.probs shows the distribution sampled from; then
# back to greedy decoding.
tmux send-keys -t "$session" s Right Down
tmux send-keys -t "$session" -l '2.0'
tmux send-keys -t "$session" Enter Down Down
tmux send-keys -t "$session" -l '0.9'
tmux send-keys -t "$session" Enter Enter
wait_for 'sampling: temperature 2.0, top-k 0, top-p 0.90' 5 || fail "the sampling settings were not applied"
tmux send-keys -t "$session" g
tmux send-keys -t "$session" -l 'sample.probs'
tmux send-keys -t "$session" Enter
wait_for "sample.probs  p, after position 6 'the'" 10 || fail "sample.probs does not show its own output"
screen | grep -q ' fish  *0\.99[0-9]*  0\.65[0-9]* █' ||
    fail "sample.probs does not show the tempered p(fish) beside y"
tmux send-keys -t "$session" g
tmux send-keys -t "$session" -l 'sample.truncate'
tmux send-keys -t "$session" Enter
wait_for 'cut: [0-9]* of 148 kept, kept mass 0\.9' 10 || fail "sample.truncate does not show the cut"
tmux send-keys -t "$session" g
tmux send-keys -t "$session" -l 'head.probs'
tmux send-keys -t "$session" Enter
wait_for 'p sampled: τ 2.0, top-p 0.90 keeps' 10 || fail "head.probs does not say what is sampled from"
screen | grep -q ' fish  *[0-9.]*  *0\.99[0-9]*  0\.7[0-9]* █' ||
    fail "head.probs does not show the distribution sampled from beside y"
tmux send-keys -t "$session" s Up Up Up Left Enter
wait_for 'greedy decoding' 5 || fail "back to greedy decoding"
ok "shows the sampling stages at τ = 2"

tmux send-keys -t "$session" x
wait_for "appended 'fish'" 10 || fail "x did not append the generated token"
wait_for 'Tokens  N = 8' 5 || fail "the tokens strip does not show 8 tokens"
screen | grep -q '^token so .* the  *fish$' || fail "fish is not in the strip"
ok "generates a token through the sample ops"

# All heads of L1 off: a badge on the tokens strip and the main panel, y without the heads
# beside y with them; on again: the badge goes.
tmux send-keys -t "$session" g
tmux send-keys -t "$session" -l 'L1.attn.softmax'
tmux send-keys -t "$session" Enter
wait_for 'Ops  33 / 55' 10 || fail "goto L1.attn.softmax"
tmux send-keys -t "$session" H o
wait_for 'L1 all heads off' 10 || fail "no badge for the heads switched off"
tmux send-keys -t "$session" g
tmux send-keys -t "$session" -l 'head.probs'
tmux send-keys -t "$session" Enter
wait_for 'Ops  49 / 55' 10 || fail "goto head.probs"
screen | head -1 | grep -q 'Tokens  N = 8 .* L1 all heads off' || fail "the tokens strip has no badge"
[ "$(screen | grep -c 'L1 all heads off')" -ge 2 ] || fail "the main panel has no badge"
wait_for "without: the model's own pass, L1 all heads off undone" 10 || fail "no y without the heads"
screen | grep -q ' token  *u  *y without' || fail "no column without the heads"
tmux send-keys -t "$session" o
wait_for 'all heads of L1 on' 10 || fail "o again did not switch the heads on"
screen | grep -q 'heads off' && fail "the badge stays after the heads are on again"
ok "shows the heads switched off"

tmux send-keys -t "$session" q
restored 0
ok "q quits and restores the terminal"

# The head finder: f, then "cabinet keys": every head ranked by α(cabinet → keys); the
# shipped model's agreement head, L1 head 3, comes first; 1 opens its attention matrix.
start 100 30
tmux send-keys -t "$session" f
tmux send-keys -t "$session" -l 'cabinet keys'
wait_for 'find heads, query key: cabinet keys_' 5 || fail "the finder's line does not echo"
tmux send-keys -t "$session" Enter
wait_for 'Head finder  α("cabinet" 4 → "keys" 1)' 10 || fail "Enter did not open the head finder"
screen | grep -q '  1  L1 h3  *0\.[0-9]* █' || fail "L1 head 3 does not rank first for cabinet → keys"
tmux send-keys -t "$session" 1
wait_for 'Attention  L1 head 3  softmax' 10 || fail "1 did not open the first head's attention matrix"
tmux send-keys -t "$session" f
tmux send-keys -t "$session" -l 'cabinet zebra'
tmux send-keys -t "$session" Enter
wait_for '"zebra" is not a token of the prompt' 5 || fail "a word not in the prompt is not named"
tmux send-keys -t "$session" Escape
for _ in $(seq 40); do
    screen | tail -1 | grep -q 'find heads' || break
    sleep 0.05
done
tmux send-keys -t "$session" q
restored 0
ok "the head finder ranks L1 head 3 first for cabinet → keys"

start 100 30
tmux send-keys -t "$session" C-c
restored 130
ok "Ctrl-C quits and restores the terminal"

start 100 30 --impl ref
for _ in $(seq 12); do tmux send-keys -t "$session" Space; done
wait_for 'Ops  12 / 55' 5 || fail "--impl ref: 12 steps did not reach op 12"
screen | grep -q 'L0.attn.softmax' || fail "--impl ref: the softmax did not run"
tmux send-keys -t "$session" q
restored 0
ok "runs on the reference loops (--impl ref)"

# The presenter view (--present) driven as a presentation clicker does: PgDn 33 times reaches
# L1.attn.softmax; no op list, the attention matrix with its row sums as the one large panel,
# the equation as a caption at the bottom, the marker on the status line; PgUp and Right step
# back and on; F gives the whole screen back.
start 160 48 --present --impl ref
screen | grep -q 'presenting: F or Esc leaves' || fail "--present: no marker on the status line"
for _ in $(seq 33); do tmux send-keys -t "$session" NPage; done
wait_for '^ L1.attn.softmax   §9.1' 10 || fail "--present: 33 PgDn did not reach L1.attn.softmax"
screen | grep -q 'Ops  ' && fail "--present: the op list is still on screen"
screen | sed -n 6p | grep -q '^ Attention  L1 head 0  softmax' || fail "--present: no attention panel"
screen | grep -q 'Σ row' || fail "--present: the softmax rows have no sums"
[ "$(screen | grep -c '  1.00$')" -eq 9 ] || fail "--present: not every softmax row sums to 1.00"
screen | tail -8 | grep -q "α_ij = exp(s_ij)" || fail "--present: no equation caption at the bottom"
screen | sed -n 48p | grep -q '^ L1.attn.softmax .*presenting: F or Esc leaves' ||
    fail "--present: the status line does not name the op and the marker"
tmux send-keys -t "$session" PPage
wait_for '^ L1.attn.mask   §9.3' 5 || fail "--present: PgUp did not step back"
screen | grep -q -- '−∞' || fail "--present: the mask shows no −∞"
tmux send-keys -t "$session" Right
wait_for '^ L1.attn.softmax   §9.1' 5 || fail "--present: Right did not step on"
tmux send-keys -t "$session" F
wait_for 'Ops  33 / 55' 5 || fail "F did not leave the presenter view"
tmux send-keys -t "$session" q
restored 0
ok "presents with a clicker (--present, PgDn, PgUp, F)"

start 100 30
pkill -SEGV -f "^$bin\$" || pkill -SEGV -x stepformer || fail "cannot signal the program"
restored 139
ok "a crash signal restores the terminal"

tmux kill-session -t "$session"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
