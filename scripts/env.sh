# Sourced by every script: pinned tool versions, local tool paths, and no network for telemetry.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export ROOT

# The exact tools the build expects. worker-build is the version matching the `worker` crate;
# wasm-bindgen-cli must equal the `wasm-bindgen` pinned in Cargo.toml (and so in Cargo.lock).
WORKER_BUILD_VERSION="0.8.7"
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
export WORKER_BUILD_VERSION WASM_BINDGEN_VERSION

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"

# worker-build would download wasm-bindgen, wasm-opt and esbuild from the internet; point it at ours.
export WASM_BINDGEN_BIN="$CARGO_BIN/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"

export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER="$ROOT/node_modules/.bin/wrangler"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
