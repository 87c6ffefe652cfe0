#!/usr/bin/env bash
# Exports a demo community's raw documents with the real `weft` binary and loads them with the
# JavaScript Automerge implementation (DESIGN: every document is a standard Automerge document).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
weft() { "$root/target/debug/weft" --data-dir "$work/data" "$@"; }
cargo build --workspace --locked --quiet
weft demo --members 30 --seed 3 >/dev/null
# The ledger with the most changes (this year's, unless the year has only just begun).
ledger=$(weft --json status | node -e '
  const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const l = s.documents.filter((d) => d.name.startsWith("ledger/")).sort((a, b) => b.changes - a.changes)[0];
  console.log(l.name);')
weft export --format automerge --doc board --out "$work/board.automerge" >/dev/null
weft export --format automerge --doc "$ledger" --out "$work/ledger.automerge" >/dev/null
weft export --format automerge --doc people --out "$work/people.automerge" >/dev/null
weft --json task list > "$work/tasks.json"
weft --json members > "$work/members.json"
node tests/interop/check.mjs "$work/board.automerge" "$work/tasks.json" "$work/ledger.automerge" "$work/people.automerge" "$work/members.json"
