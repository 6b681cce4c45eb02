#!/usr/bin/env bash
# The pictures of the screen in assets/screens are what the program draws now: they are drawn
# again (tests/tools/make_screens.sh, the reference loops, so the same on every CPU) and must
# be the same bytes, the same set of files, and each shown by README.md or lessons/README.md
# (and every picture they show exists). Prints cmocka-style result lines.
# usage: screens.sh STEPFORMER SOURCE_DIR SCRATCH_DIR
set -u
bin=$1
src=$2
scratch=$3/e2e-screens
name=screen_pictures
echo "[==========] Running 1 test(s)."
. "$(dirname "$0")/result.sh"

rm -rf "$scratch" && mkdir -p "$scratch" || fail "cannot make $scratch"
bash "$src/tests/tools/make_screens.sh" "$bin" "$scratch" || fail "make_screens.sh failed"
redo="draw them again with \`ninja -C build screens\` and commit assets/screens"
for f in "$scratch"/*.svg; do
    base=$(basename "$f")
    [ -f "$src/assets/screens/$base" ] || fail "assets/screens/$base is missing: $redo"
    cmp -s "$f" "$src/assets/screens/$base" ||
        fail "assets/screens/$base is not what the program draws now ($f): $redo"
done
for f in "$src"/assets/screens/*.svg; do
    base=$(basename "$f")
    [ -f "$scratch/$base" ] || fail "assets/screens/$base is not drawn by tests/tools/make_screens.sh"
    grep -q "assets/screens/$base)" "$src/README.md" "$src/lessons/README.md" ||
        fail "assets/screens/$base is shown neither in README.md nor in lessons/README.md"
done
ok "assets/screens holds what the program draws now"

for doc in README.md lessons/README.md; do
    dir=$(dirname "$src/$doc")
    for ref in $(grep -o '](\([./]*\)assets/screens/[^)]*)' "$src/$doc" | sed 's/^](//; s/)$//'); do
        [ -f "$dir/$ref" ] || fail "$doc shows $ref, which does not exist"
    done
done
ok "every picture README.md and lessons/README.md show exists"

rm -rf "$scratch"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
