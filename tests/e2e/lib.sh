# What the end-to-end terminal tests share: a tmux server of their own, the screen, waiting
# for text, cmocka-style result lines, and running the program in a shell that afterwards
# prints its exit status and the terminal modes. Source it after setting `name` (the test's
# name in result lines) and `session` (its tmux session).

# A tmux server of its own, so that tests running side by side never share (or stop) one. A
# session that only waits keeps it up while the test's sessions come and go (a server whose
# last session ends shuts down, and a session started in that moment is lost); it goes at the
# end, keeping the script's exit status.
tmux() { command tmux -L "sf-e2e-$$" "$@"; }
tmux new-session -d -s keep -x 20 -y 5 "sleep 3600"
trap 'status=$?; command tmux -L "sf-e2e-$$" kill-server 2>/dev/null; exit $status' EXIT

on_fail() {
    tmux capture-pane -p -t "$session" 2>/dev/null | sed 's/^/    | /'
    tmux kill-session -t "$session" 2>/dev/null
}
. "$(dirname "$0")/result.sh"
screen() { tmux capture-pane -p -t "$session"; }
wait_for() { # pattern, seconds
    for _ in $(seq 1 $(($2 * 20))); do
        screen | grep -q -- "$1" && return 0
        sleep 0.05
    done
    return 1
}

# Runs a command line in a new width x height session (replacing the test's session); the
# shell then prints EXIT=status and the terminal modes, for `restored`.
open_terminal() { # width height command
    tmux kill-session -t "$session" 2>/dev/null
    tmux new-session -d -s "$session" -x "$1" -y "$2" \
        "stty sane; export TERM=xterm-256color; $3; echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\n' ' '; echo MODES; sleep 60"
}
restored() { # the exit status wanted; the terminal modes must be back to normal
    wait_for 'MODES' 10 || fail "the program did not exit"
    screen | grep -q "EXIT=$1" || fail "exit status is not $1"
    screen | grep -q 'icanon echo MODES' || fail "the terminal modes were not restored"
}
