#!/usr/bin/env bash
# Makes the data-directory fixture again with the current code:
# crates/weft-node/tests/fixtures/data-dir-<schema>/, the data directory of a member of a
# small community, as the `weft` command line leaves it. The upgrade test
# (crates/weft-node/tests/upgrade.rs) opens it with whatever the code has become since.
#
# Only to be run for a new schema version (a new migration): a fixture made by a release
# stays as that release made it, so the next releases keep proving they open it. The
# directory name takes the schema version (the number of migrations) given as the first
# argument, 4 by default.
#
# Names, hours, dates and amounts are fixed; keys, ids and timestamps differ on every run.
# The dates must still be valid on the day it runs: hours are dated in May 2026 (an entry may
# be at most 400 days old) and a deadline in 2030 (at most five years ahead). Run after mid
# 2027, move them, and the values the upgrade test checks with them.
# A second member (Ben) joins over loopback so that the fixture holds a member admitted by
# invitation, another member's hours confirmed by the fixture's member, and sync states.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
version=${1:-4}
out=crates/weft-node/tests/fixtures/data-dir-v$version

cargo build -p weft-cli --locked --quiet
bin=$root/target/debug/weft
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ana() { "$bin" --data-dir "$work/ana" "$@"; }
ben() { "$bin" --data-dir "$work/ben" "$@"; }
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# Waits (at most 30 s) until a command succeeds.
until_ok() {
  for _ in $(seq 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for: $*" >&2
  return 1
}

echo "== Ana founds Riverside"
ana init --name "Ana Fixture" >/dev/null
ana community create "Riverside" >/dev/null
ana guild add --sector food --description "Beds, compost and the orchard" "Growers" >/dev/null
ana profile set --skill gardening:4 --skill carpentry:2 --interest food=5 --interest maintenance=3 \
  --hours-per-week 3 --travel yes --learn beekeeping >/dev/null
weed=$(ana --json task add --title "Weed the beds" --sector food --guild Growers --skill gardening \
  --hours 2 --slots 2 --location "Mill Lane garden" --description "Bring gloves" | field id)
roof=$(ana --json task add --title "Fix the shed roof" --sector maintenance --skill carpentry \
  --hours 3 --slots 1 --urgency urgent | field id)
apples=$(ana --json task add --title "Harvest the apples" --sector food --hours 1.5 --slots 3 \
  --deadline 2030-09-30 | field id)
ana pledge "$weed" >/dev/null
ana pledge "$apples" >/dev/null
ana pledge "$apples" --on 2030-09-27 >/dev/null
ana log --task "$weed" --hours 2 --date 2026-05-20 --note "Front beds done" >/dev/null
ana log --sector governance --hours 1.5 --date 2026-05-21 --note "Meeting notes" >/dev/null
ana flag --task "$roof" --note "The ladder is not safe" >/dev/null
ana proposal open "Buy a safe ladder" --details "For the shed and the orchard" --task "$roof" >/dev/null

# A board past 500 changes is folded into a snapshot when the node next stops: the fixture
# holds a document stored as snapshot + log as well as documents stored as a log only.
echo "== 170 delivery rounds, each posted, pledged and done"
for i in $(seq 170); do
  round=$(ana --json task add --title "Delivery round $i" --sector food --hours 1 --slots 1 | field id)
  ana pledge "$round" >/dev/null
  ana pledge "$round" --done >/dev/null
done

echo "== Ben joins over loopback and logs hours; Ana confirms them"
"$bin" --data-dir "$work/ana" serve --listen /ip4/127.0.0.1/tcp/0 --no-mdns >"$work/ana.log" 2>&1 &
pids+=($!)
until_ok test -S "$work/ana/control.sock"
# Two uses: one for Ben, one left open (an invitation the fixture still holds).
link=$(ana --json invite --uses 2 --expires 365d | field link)
ben join "$link" --name "Ben Fixture" >/dev/null
ben log --sector food --hours 1 --date 2026-05-22 --note "Compost turned" >/dev/null
address=$(ana --json peers | python3 -c '
import json, sys
print(next(a for a in json.load(sys.stdin)["listening"] if a.startswith("/ip4/127.0.0.1/tcp/")))')
"$bin" --data-dir "$work/ben" serve --connect "$address" --listen /ip4/127.0.0.1/tcp/0 --no-mdns >"$work/ben.log" 2>&1 &
pids+=($!)
until_ok test -S "$work/ben/control.sock"
entry_of_ben() {
  ana --json pending | python3 -c '
import json, sys
found = [e["id"] for e in json.load(sys.stdin)["to_confirm"] if e["member_name"] == "Ben Fixture"]
print(found[0]) if found else sys.exit(1)'
}
until_ok entry_of_ben
ana confirm "$(entry_of_ben)" >/dev/null
for pid in "${pids[@]}"; do kill -TERM "$pid"; done
wait "${pids[@]}" 2>/dev/null || true
pids=()

echo "== checkpointed, closed, and copied without what belongs to one machine"
# A last one-off command opens and closes the directory: closing the database folds the WAL
# into it (the board, past 500 changes, was compacted into a snapshot on the way).
ana status >/dev/null
for f in weft.sqlite3-wal weft.sqlite3-shm; do
  if [[ -s "$work/ana/$f" ]]; then
    echo "$f was left with data in it: the database is not checkpointed" >&2
    exit 1
  fi
done
schema=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$work/ana/weft.sqlite3")
if [[ "$schema" != "$version" ]]; then
  echo "this code writes schema $schema, not $version: run it as $0 $schema" >&2
  exit 1
fi
rm -rf "$out/identity" "$out/weft.sqlite3"
mkdir -p "$out/identity"
cp "$work/ana/weft.sqlite3" "$out/"
cp "$work/ana/identity/member.key" "$work/ana/identity/device.key" "$out/identity/"
ls -la "$out" "$out/identity"
du -sh "$out"
echo "commit: $(git rev-parse HEAD)"
ana whoami
ana community list
