#!/usr/bin/env bash
# Compile the engine and the kernel bench scripts with tsc (CommonJS, as notebooks load
# them) into bench/results/kernels-build, then run one script with node.
# Usage: bash bench/kernels/run.sh tune|matmul|w2 [args...]   (node flags via NODE_FLAGS)
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/tsc -p bench/kernels/tsconfig.json || echo "(tsc reported errors; running what it emitted)" >&2
name="$1"; shift
exec node ${NODE_FLAGS:-} "bench/results/kernels-build/bench/kernels/$name.js" "$@"
