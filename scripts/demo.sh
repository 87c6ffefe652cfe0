#!/usr/bin/env bash
# Sets up Weft on this machine and starts it on a demo community with a year of history.
# The data lives in ./.demo (WEFT_DEMO_DIR overrides); run it again to continue where you were.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${WEFT_DEMO_DIR:-$root/.demo}

echo "== building Weft (the first build takes a few minutes)"
cargo build --workspace --locked --quiet
weft() { "$root/target/debug/weft" --data-dir "$data" "$@"; }

if [ -z "$(weft --json community list 2>/dev/null | tr -d '[:space:]' | sed 's/^\[\]$//')" ]; then
  echo "== creating a demo community in $data"
  weft demo --members 120 --seed 1
fi

echo
weft progress
echo
echo "== the most pressing open tasks"
weft task list --open | head -n 12
echo
cat <<MSG
Weft is running on the demo community (data in $data).
In another terminal, act as its founder, e.g.:
  alias weft='$root/target/debug/weft --data-dir $data'
  weft task list --open        weft pledge TASK        weft log --hours 2 --task TASK
  weft hours                   weft progress           weft members
  weft suggest                 weft plan               weft simulate --members 100
Stop with Ctrl-C. (The desktop app will start here once it exists: see the issues.)
MSG
exec "$root/target/debug/weft" --data-dir "$data" serve
