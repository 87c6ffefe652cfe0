#!/usr/bin/env bash
# Runs every test of the project, as CI does. Installs what the tests need on a fresh machine
# (Debian, root, with Rust, Node and npm) and nothing else (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# A clean run builds everything once; incremental caches would only add gigabytes to target/.
if [[ "${CI:-}" == "true" ]]; then
    export CARGO_INCREMENTAL=0
fi

# Each step says how long the one before it took and how much disk is left, so a slow or
# full CI run shows where it went.
STEP_NAME="" STEP_START=$SECONDS
step() {
    [[ -z "$STEP_NAME" ]] || printf -- '\n-- %s: %d s (disk free: %s)\n' "$STEP_NAME" \
        "$((SECONDS - STEP_START))" "$(df -h --output=avail . | tail -1 | tr -d ' ')"
    STEP_NAME="$*" STEP_START=$SECONDS
    printf '\n== %s\n' "$*"
}

step "toolchain"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo --version

step "system packages, the UI's npm packages, tauri-driver"
bash scripts/setup.sh

# The UI comes first: the desktop app embeds ui/dist when it is compiled.
has_script() { (cd ui && node -e 'process.exit(require("./package.json").scripts?.[process.argv[1]] ? 0 : 1)' "$1"); }
if has_script check; then
    step "UI: type check"
    (cd ui && npm run --silent check)
fi
step "UI: unit tests"
(cd ui && npm test --silent)
step "UI: build"
(cd ui && npm run --silent build)

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

# `cargo test` builds every binary, test and example it runs, the desktop app and `weft`
# among them, so there is no separate build step.
step "tests (unit, property, integration, CLI, crash)"
cargo test --workspace --locked

step "benchmarks compile and run once"
# (`--benches` runs the libraries' unit tests once more, ~20 s; `--bench '*'` would not,
# but it leaves packages without benches out of feature resolution and recompiles
# libp2p's dependencies.)
cargo test --workspace --benches --locked

step "Automerge interop: exported documents load in @automerge/automerge"
bash scripts/interop.sh

step "Debian package: built from the debug build, checked"
WEFT_PACKAGE_PROFILE=debug bash scripts/package.sh
bash tests/package/check.sh target/package/weft_*_"$(dpkg --print-architecture)".deb

step "peers in network namespaces: mDNS discovery, convergence, 20% loss + 200 ms latency"
if ! command -v ip >/dev/null || ! command -v tc >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
fi
if ip netns add weft-probe 2>/dev/null; then
    ip netns del weft-probe
    WEFT=target/debug/weft bash tests/netns/run.sh
    step "members behind NAT: reached through a relay, DCUtR hole punch over TCP and QUIC"
    WEFT=target/debug/weft bash tests/netns/nat.sh
    step "neighbouring communities on two LANs, linked over a routed link: the commons crosses, nothing else"
    WEFT=target/debug/weft bash tests/netns/neighbours.sh
    step "a real full disk (a small tmpfs) under a running peer: refused in words, nothing lost, works once freed"
    WEFT=target/debug/weft bash tests/faults/disk-full.sh
elif [[ "${CI:-}" == "true" ]]; then
    echo "network namespaces are not available here (needs root and CAP_NET_ADMIN)" >&2
    exit 1
else
    echo "SKIPPED: network namespaces need root; run as root to include this test"
    echo "SKIPPED: the full-disk test mounts a tmpfs, which needs root; run as root to include it"
fi

step "desktop app end to end: the built app driven through WebDriver under Xvfb"
# The e2e test binary was built above with the whole workspace's features. Asking cargo for
# `--test app` alone would resolve fewer features and compile ~50 crates again, so it is run
# directly.
E2E="$(cargo test --workspace --locked --no-run --message-format=json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){try{const m=JSON.parse(l);if(m.reason==="compiler-artifact"&&m.target.name==="app"&&m.target.kind.includes("test")&&m.executable)console.log(m.executable)}catch{}}})')"
[[ -x "$E2E" ]] || { echo "the e2e test binary was not built" >&2; exit 1; }
xvfb-run -a -s "-screen 0 1400x1000x24" "$E2E" --ignored --test-threads=1
echo "screenshots: target/e2e-artifacts/"

step "all tests passed"
printf -- '-- in all: %d s\n' "$SECONDS"
