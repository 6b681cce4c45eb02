#!/usr/bin/env bash
# Bash completion (src/app/stepformer.bash) with the program of the build directory: the
# commands, the options of each command (every option its --help names, and the manual page
# names them too), op names after --op asked of the program, parameter names, lesson names
# and file names. Prints cmocka-style result lines.
# usage: completion.sh STEPFORMER COMPLETION_SCRIPT MANUAL_SOURCE TEST_DATA_DIR SCRATCH_DIR
set -u
bin=$1
script=$2
manual=$3
model=$4/gpt2_tiny.bin
scratch=$5/e2e-completion
name=completion
echo "[==========] Running 1 test(s)."
. "$(dirname "$0")/result.sh"

# shellcheck source=/dev/null
. "$script" || fail "the completion script does not load"
complete -p stepformer | grep -q -- '-F _stepformer' || fail "no completion for stepformer"

# Completes the words given (the last is the word being completed); COMPREPLY, one a line.
complete_line() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _stepformer
    printf '%s\n' "${COMPREPLY[@]}"
}
has() { # what, expected word; the words on stdin
    local got
    got=$(cat)
    echo "$got" | grep -qxF -- "$2" || fail "$1: no '$2' in: $(echo "$got" | tr '\n' ' ')"
}

has "the commands" lesson < <(complete_line "$bin" "")
has "commands starting tr" trace < <(complete_line "$bin" "tr")
has "op names after --op" L1.attn.softmax < <(complete_line "$bin" trace --op L1.at)
n=$(complete_line "$bin" trace --op L1.at | grep -c -v '^L1\.at')
[ "$n" -eq 0 ] || fail "--op L1.at offers names that do not start with L1.at"
has "op names after --op= (bash splits the word at =)" L1.attn.softmax < <(complete_line "$bin" trace --op = L1.attn.so)
has "training op names" grad.L0.attn.softmax < <(complete_line "$bin" trace --op grad.L0.attn.so)
has "sampling op names" sample.draw < <(complete_line "$bin" trace --op sample.d)
has "parameter names" L0.attn.wq < <(complete_line "$bin" trace --param-grad L0.attn.w)
has "lesson names" one-head < <(complete_line "$bin" lesson one)
has "--impl values" ref < <(complete_line "$bin" --impl "")
has "--palette values" light < <(complete_line "$bin" --palette l)
has "--format values" llmc < <(complete_line "$bin" convert a.sfm b.bin --format l)
has "screenshot --format values" svg < <(complete_line "$bin" screenshot --format s)
has "--zoom values" next-token < <(complete_line "$bin" screenshot --zoom ne)
has "screenshot's options" --colours < <(complete_line "$bin" screenshot --co)
has "lesson names after --lesson" one-head < <(complete_line "$bin" screenshot --lesson one)
has "commands starting co" convert < <(complete_line "$bin" "co")
ok "commands, op names after --op, parameter and lesson names, option values"

# Op names follow the --model on the line: a model with other names offers them.
has "op names of --model" head.logits < <(complete_line "$bin" trace --model "$model" --op head.l)

# File names after the options that take a file.
rm -rf "$scratch" && mkdir -p "$scratch" || fail "cannot make $scratch"
touch "$scratch/corpus.txt" "$scratch/mine.md"
has "--data file names" "$scratch/corpus.txt" < <(complete_line "$bin" train --data "$scratch/corp")
has "--model file names" "$scratch/corpus.txt" < <(complete_line "$bin" --model "$scratch/co")
has "--record file names" "$scratch/mine.md" < <(complete_line "$bin" lesson --record "$scratch/mi")
has "lesson files" "$scratch/mine.md" < <(complete_line "$bin" check "$scratch/mi")
has "convert's IN" "$scratch/corpus.txt" < <(complete_line "$bin" convert "$scratch/co")
has "convert's OUT" "$scratch/mine.md" < <(complete_line "$bin" convert a.sfm "$scratch/mi")
ok "file names after --model, --data, for lesson files and convert's IN and OUT"

# Every option a command's --help names is completed, and the manual page names it.
for cmd in "" lesson lessons check trace generate train corpus eval convert screenshot bench; do
    # shellcheck disable=SC2086
    help=$("$bin" $cmd --help) || fail "stepformer $cmd --help fails"
    offered=$(complete_line "$bin" $cmd --)
    for opt in $(echo "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
        echo "$offered" | grep -qxF -- "$opt" || fail "stepformer $cmd: $opt is not completed"
        grep -q -- "\*$opt\*" "$manual" || fail "stepformer $cmd: $opt is not in the manual"
    done
    [ -z "$cmd" ] || grep -q "^\*$cmd\*" "$manual" || fail "no $cmd in the manual's commands"
done
ok "every option of every command's --help is completed and in the manual"

rm -rf "$scratch"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
