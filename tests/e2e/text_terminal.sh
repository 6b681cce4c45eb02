#!/usr/bin/env bash
# End to end, in a real terminal (tmux): what the commands print. `stepformer generate` shows
# its text as it is made, and Ctrl-C or SIGTERM stops it keeping what was printed (status 130);
# a model whose vocabulary holds escape sequences (retitle, clear, recolour, home the cursor,
# CSI as a C1 control and as an 8-bit byte, a carriage return) leaves the terminal's title,
# contents and colours alone in generate, trace and on the screen, where the pieces show
# escaped. Prints cmocka-style result lines.
# usage: text_terminal.sh STEPFORMER TMPDIR
set -u
bin=$1
dir=$2/e2e_text
data=$(cd "$(dirname "$0")/../data" && pwd)
session=sf-e2e-text-$$
rm -rf "$dir" && mkdir -p "$dir"
name=text_terminal
. "$(dirname "$0")/lib.sh"
echo "[==========] Running 1 test(s)."
command -v tmux >/dev/null || fail "tmux is not installed"
command -v python3 >/dev/null || fail "python3 is not installed"

# Greedy generation of 100000 tokens takes minutes: the text must appear at once, and Ctrl-C
# must end it with the text kept, the line ended and status 130.
# (The text scrolls fast: what scrolled away is read from the pane's history.)
history() { tmux capture-pane -p -S - -t "$session"; }
open_terminal 100 20 "'$bin' generate --prompt 'the keys' --max-tokens 100000"
wait_for ' \. ' 10 || fail "no text within 10 s: generate does not stream"
tmux send-keys -t "$session" C-c
restored 130
screen | grep -q 'stopped after [0-9]* of 100000 tokens' || fail "no message after Ctrl-C"
history | grep -q '^the keys to the [a-z]* are on the table \. ' || fail "Ctrl-C lost the text printed so far"
ok "generate streams its text; Ctrl-C stops it, keeping the text (status 130)"

# SIGTERM, sent to the process by its id, does the same.
tmux kill-session -t "$session"
tmux new-session -d -s "$session" -x 100 -y 20 \
    "'$bin' generate --prompt 'the keys' --max-tokens 100000 & echo PID=\$!; wait \$!; echo EXIT=\$?; sleep 60"
wait_for ' \. ' 10 || fail "no text within 10 s (SIGTERM run)"
pid=$(screen | grep -o 'PID=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$pid" ] || fail "no process id"
kill -TERM "$pid"
wait_for 'EXIT=' 10 || fail "SIGTERM did not stop generate"
screen | grep -q 'EXIT=130' || fail "exit status after SIGTERM is not 130"
screen | grep -q 'stopped after [0-9]* of 100000 tokens' || fail "no message after SIGTERM"
ok "SIGTERM stops generate the same way"

# A tokenizer for the tiny GPT-2 test model whose 300 pieces are all hostile (llm.c's format:
# 256 u32 of header, then a u8 length and the bytes of each piece).
python3 - "$dir/hostile_tokenizer.bin" <<'PY' || fail "cannot write the tokenizer"
import struct, sys
pieces = [b"\x1b]2;owned\x07", b"\x1b[2J", b"\x1b[41m", b"\xc2\x9b2J", b"\x9b41m", b"\r",
          b"\x1b[H", b" caf\xc3\xa9"]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<256I", 20240328, 1, 300, *([0] * 253)))
    for i in range(300):
        p = pieces[i % len(pieces)]
        f.write(bytes([len(p)]) + p)
PY
model="--model '$data/gpt2_tiny.bin' --tokenizer '$dir/hostile_tokenizer.bin'"
# The terminal is unchanged: its title as set, the line printed before still there, no colour.
untouched() { # what ran
    [ "$(tmux display -p -t "$session" '#{pane_title}')" = clean ] || fail "$1 changed the terminal's title"
    screen | grep -q '^BEFORE$' || fail "$1 cleared the terminal"
    tmux capture-pane -e -p -t "$session" | grep -q "$(printf '\033')\[" && fail "$1 changed the colours"
    return 0
}
for cmd in "generate --ids 0,1,2,3,4,5,6,7 --max-tokens 20" "trace --ids 0,1,2,3,4,5,6,7 --tokens" \
    "generate --ids 0,1,2,3,4,5,6,7 --beam 2 --max-tokens 3"; do
    tmux kill-session -t "$session"
    tmux new-session -d -s "$session" -x 200 -y 40 \
        "echo BEFORE; '$bin' $cmd $model; echo EXIT=\$?; sleep 60"
    tmux select-pane -t "$session" -T clean
    wait_for 'EXIT=' 20 || fail "$cmd did not finish"
    screen | grep -q 'EXIT=0' || fail "$cmd failed"
    untouched "$cmd"
    screen | grep -qF '\x1b]2;owned\x07' || fail "$cmd does not show the piece escaped"
    screen | grep -qF '\u009b2J' || fail "$cmd does not show the C1 control escaped"
    screen | grep -qF ' café' || fail "$cmd does not keep UTF-8 text"
done
ok "a hostile vocabulary in generate, trace and beam search shows escaped"

# The screen: the tokens strip shows the pieces escaped; the prompt editor holds the decoded
# text, whose controls show as U+FFFD, one cell each, so the line keeps its layout.
tmux kill-session -t "$session"
tmux new-session -d -s "$session" -x 120 -y 30 \
    "stty sane; export TERM=xterm-256color; '$bin' $model --ids 0,1,2,3,4,5,6,7; echo EXIT=\$?; sleep 60"
tmux select-pane -t "$session" -T clean
wait_for 'Tokens  N = 8' 10 || fail "the screen did not come up"
screen | grep -qF '\x1b]2;owned\x07' || fail "the tokens strip does not show the piece escaped"
tmux send-keys -t "$session" e
wait_for ' prompt: ' 5 || fail "e did not open the prompt editor"
screen | tail -1 | grep -q '^ prompt: �\]2;owned��\[2J�\[41m�2J�41m��\[H café_   (Enter runs it' ||
    fail "the prompt line does not show the controls as U+FFFD in place"
[ "$(tmux display -p -t "$session" '#{pane_title}')" = clean ] || fail "the screen changed the title"
tmux send-keys -t "$session" Escape q
wait_for 'EXIT=0' 10 || fail "q did not quit"
ok "the screen shows a hostile vocabulary escaped, and controls in text as U+FFFD"

tmux kill-session -t "$session"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
