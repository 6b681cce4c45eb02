# bash completion for stepformer(1): the commands, each command's options, the op names after
# --op (asked of the program: stepformer trace --names, for the --model on the line), the
# parameter names after --param-grad, the lesson names after lesson and check, the values of
# --impl, --palette, --only, --config, --format and --zoom, and file names after the options that take
# a file and for convert's IN and OUT.

# The options of a command ("" is the step-through screen), as its --help lists them.
_stepformer_options()
{
    case $1 in
    "") echo "--model --tokenizer --prompt --ids --train --present --impl --palette --record --help" \
        "--version --learn --seed --steps" ;;
    lesson) echo "--present --restart --beat --impl --palette --record --help" ;;
    lessons | check | help) echo "--help" ;;
    trace) echo "--model --tokenizer --prompt --ids --list --names --tokens --vocab --limit --op" \
        "--out --impl" \
        "--train --targets --generate --param-grad --help" ;;
    generate) echo "--model --tokenizer --prompt --ids --greedy --temperature --top-k --top-p" \
        "--seed --beam --max-tokens --help" ;;
    train) echo "--data --out --model --config --batch --seq --steps --lr --weight-decay" \
        "--beta1 --beta2 --eps --seed --shuffle --val-data --eval-every --save-every --resume" \
        "--impl --help" ;;
    eval) echo "--model --data --items --windows --help" ;;
    corpus) echo "--out --seed --sentences --heldout --help" ;;
    convert) echo "--format --tokenizer --help" ;;
    bench) echo "--runs --only --help" ;;
    screenshot) echo "--model --tokenizer --prompt --ids --op --train --present --zoom --colours" \
        "--keys --lesson --beat --palette --size --format --impl --out --help" ;;
    esac
}

# The value of option $1 given earlier on the line, or nothing.
_stepformer_given()
{
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == "$1" && ${COMP_WORDS[i + 1]} == "=" ]]; then
            echo "${COMP_WORDS[i + 2]}"
            return
        elif [[ ${COMP_WORDS[i]} == "$1" ]]; then
            echo "${COMP_WORDS[i + 1]}"
            return
        fi
    done
}

# The program on the line, with the --model given there (the op names depend on the model).
_stepformer_ask()
{
    local prog=${COMP_WORDS[0]} model
    prog=${prog/#\~/$HOME}
    model=$(_stepformer_given --model)
    model=${model/#\~/$HOME}
    if [[ -n $model ]]; then
        "$prog" "$@" --model "$model" 2>/dev/null
    else
        "$prog" "$@" 2>/dev/null
    fi
}

_stepformer()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd="" words=""
    COMPREPLY=()
    # --op=NAME: bash splits the word at '='.
    if [[ $cur == "=" ]]; then
        cur=""
        prev=${COMP_WORDS[COMP_CWORD - 1]}
    elif [[ $prev == "=" && COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    # The command is the first argument unless it is an option, as stepformer reads it.
    if ((COMP_CWORD > 1)) && [[ ${COMP_WORDS[1]} != -* ]]; then
        cmd=${COMP_WORDS[1]}
    fi

    case $prev in
    --op)
        words=$(_stepformer_ask trace --names)
        ;;
    --param-grad)
        words=$(_stepformer_ask trace --train --list | awk '/parameter tensors/ { p = 1; next }
            p && !/^#/ { print $1 }')
        ;;
    --impl) words="fast ref" ;;
    --palette) words="light dark 8 mono" ;;
    --only) words="tiny gpt2 train lessons hf learn" ;;
    --lesson) # screenshot: the names `stepformer lessons` lists
        words=$("${COMP_WORDS[0]/#\~/$HOME}" lessons 2>/dev/null |
            sed -n 's/.*by name: //p' | tr ',' '\n' | awk '{ sub(/\.$/, "", $2); print $2 }')
        ;;
    --config) words="textbook notebook gpt2" ;;
    --format)
        if [[ $cmd == screenshot ]]; then words="svg ansi text"; else words="sfm llmc"; fi
        ;;
    --zoom) words="tokens timeline equation qkv attention layernorm residual ffn next-token
        logit-lens training activations heads model finder worked" ;;
    --model | --tokenizer | --data | --val-data | --items | --out | --record)
        compopt -o filenames 2>/dev/null
        if [[ $cmd == corpus ]]; then
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        return 0
        ;;
    --prompt | --ids | --targets | --beat | --seed | --temperature | --top-k | --top-p | \
        --keys | --size | --beam | --max-tokens | --batch | --seq | --steps | --lr | --weight-decay | --beta1 | \
        --beta2 | --eps | --eval-every | --save-every | --runs | --sentences | --heldout)
        return 0
        ;;
    esac
    if [[ -z $words ]]; then
        if ((COMP_CWORD == 1)) && [[ $cur != -* ]]; then
            words="lesson lessons check trace generate train corpus eval convert screenshot bench"
            words+=" help"
        elif [[ $cur == -* ]]; then
            words=$(_stepformer_options "$cmd")
        elif [[ $cmd == convert ]]; then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return 0
        elif [[ $cmd == lesson || $cmd == check ]]; then
            # The names `stepformer lessons` lists ("... by name: 1 one-pass, 2 context, ..."),
            # and lesson files (and directories, once something is typed).
            words=$("${COMP_WORDS[0]/#\~/$HOME}" lessons 2>/dev/null |
                sed -n 's/.*by name: //p' | tr ',' '\n' | awk '{ sub(/\.$/, "", $2); print $2 }')
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(
                compgen -W "$words" -- "$cur"
                compgen -f -X '!*.md' -- "$cur"
                [[ -n $cur ]] && compgen -d -- "$cur"
            )
            return 0
        fi
    fi
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    return 0
}
complete -F _stepformer stepformer
