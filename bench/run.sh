#!/usr/bin/env bash
# Compile the engine and the bench scripts with tsc (the same CommonJS output that
# notebooks load from dist/) and run one script with node.
# Usage: bash bench/run.sh w1|w3|matmul|profile [args...]   (node flags via NODE_FLAGS)
set -euo pipefail
cd "$(dirname "$0")/.."
node_modules/.bin/tsc -p bench/tsconfig.json || echo "(tsc reported errors; running what it emitted)" >&2
name="$1"; shift
exec node ${NODE_FLAGS:-} "bench/results/build/bench/$name.js" "$@"
