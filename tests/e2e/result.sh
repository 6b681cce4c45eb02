# cmocka-style result lines for the end-to-end scripts. Source it after setting `name` (the
# test's name in result lines). fail runs the script's on_fail first, when it has one (to show
# the screen or a log), then exits 1.
fail() {
    echo "[  FAILED  ] 1 test(s), listed below:"
    echo "[  FAILED  ] $name: $1"
    if declare -F on_fail >/dev/null; then on_fail; fi
    exit 1
}
ok() { echo "[       OK ] $name: $1"; }
