#!/usr/bin/env bash
# A real full disk under a running Weft peer: a small tmpfs, most of it taken by a filler
# file, and a member logging hours (through `weft serve`, as the desktop app would) until the
# file system says ENOSPC:
#   1. the write that does not fit is refused in words (and with the `disk_full` detail in
#      --json), the command exits with status 1, and the peer's log says so;
#   2. every entry reported done is still there, read while the disk is still full;
#   3. a new data directory cannot be started on the full disk either, and says why;
#   4. the filler is deleted: the same running peer takes the next write, and after it stops
#      a one-off command opens the directory again and finds everything.
# Needs root (mount). Every loop is bounded; the mount is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

WEFT="${WEFT:-target/debug/weft}"
[[ -x "$WEFT" ]] || cargo build -p weft-cli --locked --quiet
WEFT="$(realpath "$WEFT")"
SIZE_MB="${SIZE_MB:-12}"
# What the filler leaves: enough for the WAL to reach its checkpoint (4 MiB) on the way, so
# the disk also fills while pages are copied into the database file.
LEFT_KIB="${LEFT_KIB:-5000}"
MNT="$(mktemp -d)"
RUN="$(mktemp -d)" # logs and notes, off the small disk
D="$MNT/data"
SERVE=""
MOUNTED=""

say() { printf '[disk-full] %s\n' "$*"; }
fail() {
    say "FAILED: $*"
    [[ -f "$RUN/serve.log" ]] && { say "--- the peer's log (last lines)"; tail -n 20 "$RUN/serve.log"; }
    exit 1
}

cleanup() {
    if [[ -n "$SERVE" ]]; then
        kill -TERM "$SERVE" 2>/dev/null || true
        wait "$SERVE" 2>/dev/null || true
    fi
    if [[ -n "$MOUNTED" ]]; then umount "$MNT" || umount -l "$MNT" || true; fi
    rmdir "$MNT" 2>/dev/null || true
    rm -rf "$RUN"
}
trap cleanup EXIT

weft() { "$WEFT" --data-dir "$D" "$@"; }
# Entry ids in a command's JSON output (an entry's only field called "id").
ids() { grep -o '"id": "[a-z0-9]*"' | cut -d'"' -f4; }
free_kib() { df --output=avail -k "$MNT" | tail -1 | tr -d ' '; }

mount -t tmpfs -o "size=${SIZE_MB}m,mode=0700" weft-disk-full "$MNT"
MOUNTED=1
say "a ${SIZE_MB} MiB tmpfs at $MNT"
weft init --name Ana >/dev/null
weft community create Riverside >/dev/null

"$WEFT" --data-dir "$D" serve --listen /ip4/127.0.0.1/tcp/0 --no-mdns >>"$RUN/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 100); do [[ -S "$D/control.sock" ]] && break; sleep 0.1; done
[[ -S "$D/control.sock" ]] || fail "the peer did not start"

# Most of the disk goes to a filler file.
dd if=/dev/zero of="$MNT/filler" bs=1024 count="$(($(free_kib) - LEFT_KIB))" status=none
say "filler written: $(free_kib) KiB left"

note="watering the far beds, then turning the compost and the leaf mould; "
note="$note$note$note$note$note$note$note$note"
: >"$RUN/done"
refused=""
for i in $(seq 2000); do
    if weft --json log --hours 1 --sector food --note "$i $note" >"$RUN/out" 2>"$RUN/err"; then
        ids <"$RUN/out" >>"$RUN/done"
    else
        refused=$?
        break
    fi
done
[[ -n "$refused" ]] || fail "2000 entries fitted on the disk: it never filled"
done_count=$(wc -l <"$RUN/done")
say "$done_count entries reported done, then: exit status $refused, $(free_kib) KiB left"
say "  $(cat "$RUN/err")"

# 1. Refused in words, with its detail, and in the peer's log.
WORDS="the disk is full: this was not saved. Free some space and try again; nothing saved before is lost"
[[ "$refused" == 1 ]] || fail "exit status $refused, not 1"
grep -qF "\"message\":\"$WORDS\"" "$RUN/err" || fail "not the words: $(cat "$RUN/err")"
grep -qF '"code":"storage"' "$RUN/err" || fail "not a storage error"
grep -qF '"detail":{"kind":"disk_full"}' "$RUN/err" || fail "no disk_full detail"
# Without --json, in plain words. (A write may still fit where the refused one was rolled
# back: SQLite reuses the room its WAL took. Guilds add no entry: as many as fit.)
plain=""
for i in $(seq 50); do
    if ! weft guild add "Seed library $i" --sector food --description "$note" >/dev/null 2>"$RUN/err2"; then
        plain=1
        break
    fi
done
[[ -n "$plain" ]] || fail "50 guilds fitted on the full disk"
grep -qF "error: $WORDS" "$RUN/err2" || fail "the plain CLI does not say it: $(cat "$RUN/err2")"
grep -qF "$WORDS" "$RUN/serve.log" || fail "the peer's log does not say it"
say "refused in words (exit status 1, detail disk_full), and logged"

# 2. Everything reported done is there, read while the disk is full.
weft --json pending >"$RUN/pending" || fail "reading failed on the full disk"
ids <"$RUN/pending" | sort >"$RUN/held"
sort "$RUN/done" >"$RUN/done.sorted"
missing=$(comm -23 "$RUN/done.sorted" "$RUN/held" | wc -l)
[[ "$missing" == 0 ]] || fail "$missing entries reported done are missing"
say "all $done_count entries reported done are there (read on the full disk)"

# 3. A new data directory cannot be started on the full disk, and says so.
if "$WEFT" --data-dir "$MNT/other" --json init --name Bo >/dev/null 2>"$RUN/err3"; then
    say "(a new identity still fitted on the full disk)"
else
    grep -qF '"detail":{"kind":"disk_full"}' "$RUN/err3" || fail "a new directory failed otherwise: $(cat "$RUN/err3")"
    say "a new data directory is refused in the same words"
fi
rm -rf "$MNT/other"

# 4. Space is freed: the same running peer takes the next write.
rm "$MNT/filler"
say "filler deleted: $(free_kib) KiB free"
weft --json log --hours 1 --sector food --note "after the disk was freed" >"$RUN/out" 2>"$RUN/err" ||
    fail "a write after freeing space failed: $(cat "$RUN/err")"
ids <"$RUN/out" >>"$RUN/done"
kill -TERM "$SERVE"
wait "$SERVE" || true
SERVE=""
weft --json pending >"$RUN/pending" || fail "the directory does not open again"
ids <"$RUN/pending" | sort >"$RUN/held"
sort "$RUN/done" >"$RUN/done.sorted"
[[ "$(comm -23 "$RUN/done.sorted" "$RUN/held" | wc -l)" == 0 ]] || fail "entries are missing after the peer stopped"
say "the next write works in the running peer; after it stops, all $((done_count + 1)) entries are there"
say "passed"
