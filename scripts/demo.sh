#!/usr/bin/env bash
# Sets up Weft on this machine and starts the desktop app on a demo community with a year of
# history. The data lives in ./.demo (WEFT_DEMO_DIR overrides); run it again to continue
# where you were.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${WEFT_DEMO_DIR:-$root/.demo}

bash scripts/setup.sh

echo "== building the app's UI"
(cd ui && npm run --silent build >/dev/null)
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
cat <<MSG
The demo community is in $data; you are its founder.
While the app runs, any \`weft\` command on that directory is carried out by it, e.g.:
  alias weft='$root/target/debug/weft --data-dir $data'
  weft task list --open        weft suggest        weft hours        weft peers
MSG

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat <<MSG

There is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so the desktop app
cannot open a window. On a machine with a desktop, run this script again there; here you can
start the app on a virtual display with:
  xvfb-run -a $root/target/debug/weft-app --data-dir $data
Meanwhile Weft runs headless on the demo community (the always-on peer: sync, and the
\`weft\` commands above). Stop with Ctrl-C.
MSG
  exec "$root/target/debug/weft" --data-dir "$data" serve
fi

echo
echo "== starting the Weft desktop app (close its window to stop)"
exec "$root/target/debug/weft-app" --data-dir "$data"
