#!/usr/bin/env bash
# Draws the pictures of the screen that README.md and lessons/README.md show
# (assets/screens/*.svg) with `stepformer screenshot`: the shipped model, the reference loops
# (the same digits on every machine), each at 120 x 40. tests/e2e/screens.sh draws them again
# and compares, so a change to a screen fails the tests until they are drawn anew:
#     ninja -C build screens          (or: tests/tools/make_screens.sh build/stepformer)
# usage: make_screens.sh [STEPFORMER [OUT_DIR]]   (default: build/stepformer, assets/screens)
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$src/build/stepformer}
out=${2:-$src/assets/screens}
# The shipped model and the default palette, whatever the environment says.
unset STEPFORMER_MODEL STEPFORMER_MODELS STEPFORMER_PALETTE
mkdir -p "$out"

shot() { # name, then the options of the screen (a later --palette wins)
    local name=$1
    shift
    "$bin" screenshot --impl ref --size 120x40 --palette dark "$@" --out "$out/$name.svg" >/dev/null
}

# Layer 1's head 3 in colours: "to", "cabinet", "on" and "table" attend most to "keys".
shot attention-heatmap --op L1.attn.softmax --colours --keys hhh
# The next-token distribution after "the keys to the cabinet": "are", not "is".
shot next-token --prompt "the keys to the cabinet" --op head.probs --zoom next-token
# LayerNorm: mean and standard deviation per token, the values before and after.
shot layernorm --op L0.ln1.norm
# One training iteration: the gradient of the loss at the attention weights.
shot training --train --op grad.L1.attn.softmax --colours
# The presenter view on a projector's white background.
shot presenter --palette light --present --op L1.attn.softmax --colours --keys hhh
