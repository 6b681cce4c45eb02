#!/usr/bin/env bash
# End to end, in a real terminal (tmux): recording a session with --record. Bad paths are told
# before the screen opens. A session at 100x30 (steps, the help, a resize to 80x24 and back,
# goto L0.attn.softmax, q) is recorded: the file appears only when the screen closes; it is
# asciicast v2 (checked by cast_play, which reads it with jansson); and its output replayed into
# a fresh 100x30 terminal draws the very screen the session showed before q. The last event
# restores the terminal, so a player hands it back as it was. Ctrl-C, SIGTERM and lesson mode
# record too; a session killed with SIGKILL leaves only its temporary file, which the next
# recording to that name removes.
# Prints cmocka-style result lines.
# usage: record_terminal.sh STEPFORMER CAST_PLAY SCRATCH_DIR
set -u
bin=$1
play=$2
dir=$3/e2e-record-$$
session=sf-e2e-record-$$
name=record_terminal
. "$(dirname "$0")/lib.sh"
echo "[==========] Running 1 test(s)."
command -v tmux >/dev/null || fail "tmux is not installed"
rm -rf "$dir" && mkdir -p "$dir" || fail "cannot make $dir"

# Bad paths: one message naming the file, status 2, nothing written, no screen.
msg=$("$bin" --record "$dir/no/such/dir/demo.cast" 2>&1 </dev/null)
[ $? -eq 2 ] || fail "a missing directory does not exit with 2: $msg"
echo "$msg" | grep -q "^stepformer: --record: $dir/no/such/dir/demo.cast: cannot create a file beside it (No such file or directory): check the directory exists and is writable$" ||
    fail "a missing directory: $msg"
msg=$("$bin" --record "$dir" 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q "$dir: is a directory: give the name of a file to write" ||
    fail "a directory: $msg"
msg=$("$bin" lesson 1 --record "$dir/no/such/dir/l.cast" 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q "no/such/dir/l.cast: cannot create a file beside it" ||
    fail "lesson, a missing directory: $msg"
msg=$("$bin" lesson 1 --record 2>&1 </dev/null)
[ $? -eq 2 ] && echo "$msg" | grep -q -- "--record needs a value" || fail "lesson, no value: $msg"
if [ "$(id -u)" -ne 0 ]; then # root writes anywhere
    mkdir "$dir/ro" && chmod 500 "$dir/ro"
    msg=$("$bin" --record "$dir/ro/demo.cast" 2>&1 </dev/null)
    [ $? -eq 2 ] && echo "$msg" | grep -q "ro/demo.cast: cannot create a file beside it (Permission denied)" ||
        fail "an unwritable directory: $msg"
fi
[ -z "$(ls -A "$dir" | grep -v '^ro$')" ] || fail "a refused recording left files: $(ls -A "$dir")"
ok "bad paths get a clear message and status 2"

cast=$dir/demo.cast
open_terminal 100 30 "'$bin' --impl ref --record '$cast'"
wait_for 'Tokens  N = ' 10 || fail "the screen did not come up"
for _ in $(seq 5); do tmux send-keys -t "$session" Space; done
wait_for 'Ops  5 / 55' 5 || fail "5 steps did not reach op 5"
tmux send-keys -t "$session" '?'
wait_for 'Keys  (any other key closes this)' 5 || fail "? did not open the help"
tmux send-keys -t "$session" Escape
tmux resize-window -t "$session" -x 80 -y 24
wait_for 'Ops  5 / 55' 5 || fail "no redraw at 80x24"
[ "$(screen | wc -l)" -eq 24 ] || fail "the pane is not 24 lines"
tmux resize-window -t "$session" -x 100 -y 30
for _ in $(seq 40); do [ "$(screen | wc -l)" -eq 30 ] && break; sleep 0.05; done
tmux send-keys -t "$session" g
tmux send-keys -t "$session" -l 'L0.attn.softmax'
tmux send-keys -t "$session" Enter
wait_for 'Ops  12 / 55' 10 || fail "goto L0.attn.softmax"
wait_for '^ L0.attn.softmax  Softmax along each row' 5 || fail "the status line does not name L0.attn.softmax"
sleep 0.3
screen >"$dir/live.txt"
[ -e "$cast" ] && fail "the recording is in place before the screen closes"
ls "$dir"/demo.cast.tmp-* >/dev/null 2>&1 || fail "no temporary file while recording"
ok "records a session: steps, help, resize, goto"

tmux send-keys -t "$session" q
restored 0
[ -s "$cast" ] || fail "q did not put the recording in place"
ls "$dir"/demo.cast.tmp-* >/dev/null 2>&1 && fail "a temporary file is left after q"
summary=$("$play" check "$cast") || fail "not a valid asciicast v2 file: $summary"
echo "$summary" | grep -q '^width 100 height 30 events [0-9]* resizes 2: 80x24 100x30$' ||
    fail "the header or the resizes: $summary"
head -1 "$cast" | grep -q '"title": "stepformer", "env": {"TERM": "xterm-256color"' ||
    fail "the header has no title or TERM: $(head -1 "$cast")"
[ "$(echo "$summary" | sed 's/.* events \([0-9]*\) .*/\1/')" -ge 10 ] || fail "too few events: $summary"
"$play" last "$cast" | grep -q $'\e\\[?1049l' || fail "the last event does not restore the terminal"
ok "q puts a valid asciicast v2 file in place, with the resizes"

# The replay: every output event but the last (which restores the terminal, leaving the
# alternate screen the session was drawn on) into a fresh 100x30 terminal, bytes as they are.
tmux kill-session -t "$session"
tmux new-session -d -s "$session" -x 100 -y 30 \
    "stty raw -echo; '$play' play --drop-last '$cast'; touch '$dir/replayed'; sleep 60"
for _ in $(seq 100); do [ -e "$dir/replayed" ] && break; sleep 0.05; done
[ -e "$dir/replayed" ] || fail "the replay did not finish"
for _ in $(seq 100); do # the terminal may still be drawing what it was sent
    screen >"$dir/replay.txt"
    cmp -s "$dir/live.txt" "$dir/replay.txt" && break
    sleep 0.05
done
diff "$dir/live.txt" "$dir/replay.txt" >"$dir/diff.txt" ||
    fail "the replay differs from the session's screen: $(head -20 "$dir/diff.txt")"
grep -q 'L0.attn.softmax  Softmax along each row' "$dir/replay.txt" || fail "the replay is empty"
ok "the recording replays to the session's last screen"

# Ctrl-C ends the session and the recording is put in place all the same.
rm -f "$cast"
open_terminal 100 30 "'$bin' --record '$cast'"
wait_for 'Tokens  N = ' 10 || fail "the screen did not come up"
tmux send-keys -t "$session" Space
wait_for 'Ops  1 / 55' 5 || fail "a step"
tmux send-keys -t "$session" C-c
restored 130
"$play" check "$cast" >/dev/null || fail "Ctrl-C: no valid recording"
ok "Ctrl-C puts the recording in place"

# The program started in the session's shell (its only child): its process id.
program_pid() {
    pgrep -P "$(tmux display -p -t "$session" '#{pane_pid}')" | head -1
}

# SIGTERM too.
rm -f "$cast"
open_terminal 100 30 "'$bin' --record '$cast'"
wait_for 'Tokens  N = ' 10 || fail "the screen did not come up"
pid=$(program_pid)
[ -n "$pid" ] || fail "no process id for the program"
kill -TERM "$pid"
restored 143
"$play" check "$cast" >/dev/null || fail "SIGTERM: no valid recording"
ok "SIGTERM puts the recording in place"

# A session killed outright leaves only the temporary file, every line of it whole (each event
# is flushed as it is written); the next recording to the same name removes it.
rm -f "$cast"
open_terminal 100 30 "'$bin' --record '$cast'"
wait_for 'Tokens  N = ' 10 || fail "the screen did not come up"
tmux send-keys -t "$session" Space
wait_for 'Ops  1 / 55' 5 || fail "a step"
pid=$(program_pid)
[ -n "$pid" ] || fail "no process id for the program"
kill -KILL "$pid"
wait_for 'EXIT=137' 10 || fail "SIGKILL"
[ -e "$cast" ] && fail "a killed session put a recording in place"
left=$(ls "$dir"/demo.cast.tmp-* 2>/dev/null)
[ -n "$left" ] || fail "a killed session left no temporary file"
"$play" check "$left" >/dev/null || fail "the temporary file of a killed session is not whole lines"
open_terminal 100 30 "'$bin' --record '$cast'"
wait_for 'Tokens  N = ' 10 || fail "the screen did not come up"
tmux send-keys -t "$session" q
restored 0
[ -e "$left" ] && fail "the next recording did not remove the killed session's temporary file"
"$play" check "$cast" >/dev/null || fail "the recording after a killed one"
ok "SIGKILL leaves the temporary file, removed by the next recording"

# Lesson mode records too, with the lesson's title.
rm -f "$cast"
open_terminal 100 30 "XDG_STATE_HOME='$dir/state' '$bin' lesson 1 --restart --record '$cast'"
wait_for 'Space' 10 || fail "the lesson did not come up"
sleep 0.3
tmux send-keys -t "$session" q
restored 0
"$play" check "$cast" >/dev/null || fail "lesson: no valid recording"
head -1 "$cast" | grep -q '"title": "stepformer lesson: ' || fail "lesson: no title: $(head -1 "$cast")"
ok "lesson mode records, with the lesson's title"

tmux kill-session -t "$session"
rm -rf "$dir"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
