#!/usr/bin/env bash
# End to end, on a small file system of its own (tmpfs in a private mount namespace): a
# `stepformer train` whose checkpoint cannot fit says so before the first step, and a disk that
# fills up during a run is reported as full, leaves the last checkpoint whole, and --resume
# then ends where an uninterrupted run does. Prints cmocka-style result lines.
# usage: train_disk_full.sh STEPFORMER TMPDIR
set -u
bin=$1
dir=$2/e2e_disk_full
name=train_disk_full
if [ -z "${SF_DISK_NAMESPACE:-}" ]; then
    # Mounting needs a namespace of our own: root gets one with unshare -m, anyone else may
    # with unshare -rm (a user namespace); the mount ends with it.
    rm -rf "$dir" && mkdir -p "$dir/disk"
    for how in "unshare -m" "unshare -rm"; do
        if $how true 2>/dev/null; then
            SF_DISK_NAMESPACE=1 exec $how bash "$0" "$@"
        fi
    done
    echo "[==========] Running 1 test(s)."
    echo "[  SKIPPED ] $name: no mount namespace (unshare) here to make a small disk in"
    exit 77
fi
echo "[==========] Running 1 test(s)."
on_fail() { [ -f "$dir/log" ] && sed 's/^/    | /' "$dir/log"; }
. "$(dirname "$0")/result.sh"
disk=$dir/disk
mount -t tmpfs -o size=256k tmpfs "$disk" || fail "cannot mount a tmpfs"
"$bin" corpus --out "$dir" --sentences 2000 --heldout 10 >/dev/null || fail "corpus"
small="--data $dir/train.txt --config textbook,layers=1,heads=2,dim=16,ctx=16 --seq 16 --batch 2"

# A checkpoint larger than the disk: refused before the first step, nothing left behind.
"$bin" train --data "$dir/train.txt" --config textbook,layers=1,heads=2,dim=64,ctx=16 --seq 16 \
    --steps 5 --out "$disk/big.sfm" >"$dir/log" 2>&1
status=$?
[ $status -eq 2 ] || fail "a checkpoint larger than the disk: status $status, not 2"
grep -q "big.sfm.state: the disk is full: writing it needs .* are free" "$dir/log" ||
    fail "no message saying the disk is full"
grep -q "step 1/" "$dir/log" && fail "it trained before noticing"
[ -z "$(ls -A "$disk")" ] || fail "files were left: $(ls -A "$disk")"

# The disk fills up while training: the run stops with the reason, the checkpoint stays whole.
"$bin" train $small --steps 100000000 --save-every 1 --out "$disk/m.sfm" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 1 400); do
    grep -q "^step 5/" "$dir/log" && break
    sleep 0.05
done
grep -q "^step 5/" "$dir/log" || { kill -9 $pid; fail "training did not start"; }
# Fill the disk, and again whenever a checkpoint's rename frees the space of the one it
# replaced, until the run notices (one fill can leave exactly a checkpoint's room).
for i in $(seq 1 200); do
    kill -0 $pid 2>/dev/null || break
    dd if=/dev/zero of="$disk/filler$i" bs=4k 2>/dev/null
    sleep 0.05
done
kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "the run went on with the disk full"; }
wait $pid
status=$?
[ $status -eq 2 ] || fail "the disk filled up: status $status, not 2"
grep -q "the disk is full (No space left on device): free some space" "$dir/log" ||
    fail "the message does not say the disk is full"
grep -q "unchanged\|continues from it" "$dir/log" || fail "the message does not say what was kept"
ls -A "$disk" | grep -q tmp- && fail "temporary files were left: $(ls -A "$disk")"
rm -f "$disk"/filler*
step=$("$bin" train --data "$dir/train.txt" --steps 0 --out "$disk/m.sfm" --resume 2>&1 |
    sed -n 's/^resuming .* at step \([0-9]*\).*/\1/p')
[ -n "$step" ] || fail "the checkpoint does not resume"
"$bin" train --data "$dir/train.txt" --steps $((step + 3)) --out "$disk/m.sfm" --resume \
    >"$dir/log" 2>&1 || fail "resuming after the disk was freed"
"$bin" train $small --steps $((step + 3)) --out "$dir/ref.sfm" >"$dir/log" 2>&1 ||
    fail "the uninterrupted run"
cmp -s "$disk/m.sfm" "$dir/ref.sfm" || fail "the resumed model differs from an uninterrupted run"
echo "[       OK ] $name: refused before the first step; stopped at step $step with the checkpoint whole"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
