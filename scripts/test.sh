#!/usr/bin/env bash
# Runs every test of the project, as CI does. Installs what the tests need on a fresh machine
# (Debian, root, with Rust, Node and npm) and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo --version

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build"
cargo build --workspace --all-targets --locked

step "tests (unit, property, integration, CLI, crash)"
cargo test --workspace --locked

step "benchmarks compile and run once"
cargo test --workspace --benches --locked

step "Automerge interop: exported documents load in @automerge/automerge"
bash scripts/interop.sh

step "all tests passed"
