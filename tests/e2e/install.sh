#!/usr/bin/env bash
# `meson install` into a scratch directory (DESTDIR), then the installed program run from a
# scratch working directory with the environment variables unset: it finds the models and
# lessons installed beside it (no source tree path is compiled in), runs `trace --op`,
# `lessons`, `check` and the screen in tmux, and does the same after the whole installed tree
# is moved elsewhere. The manual page renders, the installed bash completion completes op
# names through the installed program, and a program with no data beside it names the places
# it looked in and the variable to set. Prints cmocka-style result lines.
# usage: install.sh BUILD_DIR SCRATCH_DIR PREFIX BINDIR DATADIR MANDIR COMPLETIONSDIR
#                   man|no-man SOURCE_LESSONS
# (DATADIR is the data directory stepformer installs to: datadir/stepformer.)
set -u
build=$1
scratch=$2/e2e-install
prefix=$3
session=sf-e2e-install-$$
name=install
. "$(dirname "$0")/lib.sh"
echo "[==========] Running 1 test(s)."
under() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac }
bin_rel=$(under "$4")/stepformer
data_rel=$(under "$5")
page_rel=$(under "$6")/man1/stepformer.1
completion_rel=$(under "$7")/stepformer
man=$8
lessons_src=$9
src_root=$(cd "$lessons_src/.." && pwd -P)

rm -rf "$scratch" && mkdir -p "$scratch/work" "$scratch/state" || fail "cannot make $scratch"
dest=$scratch/dest
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$scratch/install.log" 2>&1 ||
    fail "meson install failed: $(tail -5 "$scratch/install.log")"

# What was installed: the program, the three models and the snapshots, every lesson file, the page, completion.
bin=$dest$bin_rel
data=$dest$data_rel
[ -x "$bin" ] || fail "no program at $bin"
[ ! -e "$(dirname "$bin")/stepformer-data" ] || fail "the build tree's stepformer-data was installed"
for m in textbook notebook chars; do
    cmp -s "$src_root/assets/models/$m.sfm" "$data/models/$m.sfm" || fail "model $m.sfm not installed"
done
# The snapshots of the textbook model's training run that lesson 15 puts on screen.
n=0
for f in "$src_root"/assets/models/textbook-run/*.sfm; do
    cmp -s "$f" "$data/models/textbook-run/$(basename "$f")" ||
        fail "snapshot textbook-run/$(basename "$f") not installed"
    n=$((n + 1))
done
[ "$n" -ge 1 ] || fail "no snapshots in assets/models/textbook-run"
n=0
for f in "$lessons_src"/*.md; do
    cmp -s "$f" "$data/lessons/$(basename "$f")" || fail "lesson $(basename "$f") not installed"
    n=$((n + 1))
done
[ "$n" -ge 16 ] || fail "only $n lesson files in the source tree"
[ -f "$dest$completion_rel" ] || fail "no bash completion at $dest$completion_rel"
if [ "$man" = man ]; then
    [ -s "$dest$page_rel" ] || fail "no manual page at $dest$page_rel"
else
    fail "the manual page was not built: scdoc is not installed (apt-get install scdoc)"
fi
# No path of the source tree in the program: its data is found from where it is.
if grep -q -a -F -e "$src_root/assets" -e "$src_root/lessons" "$bin"; then
    fail "the program holds a path of the source tree"
fi
ok "meson install puts the program, models, lessons, manual page and completion in place"

# The installed program, from a scratch directory, with none of the variables set.
run() { # program, arguments...
    (cd "$scratch/work" && env -u STEPFORMER_MODEL -u STEPFORMER_MODELS -u STEPFORMER_LESSONS \
        XDG_STATE_HOME="$scratch/state" "$@")
}
want_trace=$("$build/stepformer" trace --prompt "the keys to the cabinet" --op L1.attn.softmax) ||
    fail "trace in the build tree failed"
check_installed() { # program, its data directory, what this run is
    local bin=$1 data=$2 out
    out=$(run "$bin" trace --prompt "the keys to the cabinet" --op L1.attn.softmax 2>&1) ||
        fail "$3: trace --op L1.attn.softmax failed: $out"
    [ "$out" = "$want_trace" ] || fail "$3: trace --op differs from the build tree's"
    out=$(run "$bin" lessons 2>&1) || fail "$3: lessons failed: $out"
    echo "$out" | grep -q '^ 4  One attention head' || fail "$3: lesson 4 not listed: $out"
    echo "$out" | grep -q '14 scale-kv-cache' || fail "$3: lesson names not listed: $out"
    out=$(run "$bin" check 4 2>&1) || fail "$3: check 4 failed: $out"
    echo "$out" | grep -q "^$(cd "$data/lessons" && pwd -P)/04-one-head.md: ok" ||
        fail "$3: check did not read the installed lesson: $out"
    open_terminal 100 30 "cd '$scratch/work'; unset STEPFORMER_MODEL STEPFORMER_MODELS STEPFORMER_LESSONS; '$bin'"
    wait_for 'Tokens  N = ' 10 || fail "$3: the screen did not come up"
    tmux send-keys -t "$session" q
    restored 0
    tmux kill-session -t "$session"
}
check_installed "$bin" "$data" "installed"
ok "the installed program finds its data: trace --op, lessons, check 4, the screen"

# The whole installed tree moved: found again, relative to the program.
mv "$dest" "$scratch/moved" || fail "cannot move the installed tree"
moved=$scratch/moved
check_installed "$moved$bin_rel" "$moved$data_rel" "moved"
ok "the installed tree moved elsewhere still works"

# The manual page renders.
if command -v man >/dev/null; then
    text=$(MANWIDTH=80 man -l "$moved$page_rel" 2>&1) || fail "man -l failed: $text"
    for w in SYNOPSIS COMMANDS ENVIRONMENT FILES 'EXIT STATUS' EXAMPLES STEPFORMER_LESSONS \
        'trace --names'; do
        echo "$text" | grep -q -- "$w" || fail "the manual page has no '$w'"
    done
else
    head -1 "$moved$page_rel" | grep -q '^\.\\"' || grep -q '^\.TH' "$moved$page_rel" ||
        fail "the manual page is not troff"
fi
ok "the manual page renders"

# The installed completion, through the installed program on PATH.
got=$(PATH="$(dirname "$moved$bin_rel"):$PATH" bash -c '
    . "$1" || exit 1
    COMP_WORDS=(stepformer trace --op L1.at)
    COMP_CWORD=3
    _stepformer
    printf "%s\n" "${COMPREPLY[@]}"' completion "$moved$completion_rel") ||
    fail "the installed completion does not load"
echo "$got" | grep -qx 'L1.attn.softmax' || fail "no L1.attn.softmax after --op L1.at: $got"
ok "the installed completion offers L1.attn.softmax after trace --op L1.at"

# A program with no data beside it says where it looked and what to set, status 2; the
# variables then point it at the data.
mkdir -p "$scratch/alone/bin" && cp "$moved$bin_rel" "$scratch/alone/bin/" || fail "cannot copy"
alone=$scratch/alone/bin/stepformer
out=$(run "$alone" trace --ids 1 2>&1)
[ $? -eq 2 ] || fail "no models: status is not 2: $out"
echo "$out" | grep -q "STEPFORMER_MODELS" && echo "$out" | grep -qF "$scratch/alone/share/stepformer/models" ||
    fail "no models: the message does not name the place and the variable: $out"
out=$(run "$alone" lessons 2>&1)
[ $? -eq 2 ] || fail "no lessons: status is not 2: $out"
echo "$out" | grep -q "set STEPFORMER_LESSONS to the lessons directory" ||
    fail "no lessons: the message does not name the variable: $out"
out=$(cd "$scratch/work" && STEPFORMER_MODELS=$moved$data_rel/models \
    STEPFORMER_LESSONS=$moved$data_rel/lessons XDG_STATE_HOME=$scratch/state "$alone" check 4 2>&1) ||
    fail "with the variables set, check 4 fails: $out"
ok "no data found: the places looked in and the variable to set, status 2"

rm -rf "$scratch"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
