#!/usr/bin/env bash
# The long soak: months of a 120-member community's work on 20 simulated peers, killed and
# started again, partitioned and healed, over lossy links, until the hours are spent. Prints
# each month's figures and the totals; fails at the first change lost or peer diverged.
#   scripts/soak.sh --hours 2          # as many months as fit in two hours
#   scripts/soak.sh --months 3 --seed 7
# (CI runs a week of it: `cargo test -p weft-harness --test soak`.)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -gt 0 ]] || set -- --hours 1
exec cargo run --release --locked -q -p weft-harness --bin soak -- "$@"
