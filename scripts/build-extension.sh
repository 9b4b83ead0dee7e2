#!/usr/bin/env bash
# Builds the prebuilt JupyterLab extension into gradlab/labextension/:
# tsc (extension/ + the display contract → lib/), then `jupyter-builder build .`
# (rspack through the npm devDependency @jupyter/builder).
# Needs node_modules and the builder from .venv (scripts/setup.sh makes both).
set -euo pipefail
cd "$(dirname "$0")/.."

builder=${JUPYTER_BUILDER:-.venv/bin/jupyter-builder}
if [[ ! -x $builder ]] && ! command -v "$builder" >/dev/null; then
  echo "build-extension: $builder not found; run scripts/setup.sh (it creates .venv with jupyter_builder)" >&2
  exit 1
fi
# The builder resolves the package's "main" (the engine) before it builds; extension.webpack.js
# then swaps it out of the bundle. So the engine must have been built once.
if [[ ! -f dist/engine/index.js ]]; then
  echo "build-extension: dist/engine/index.js is missing; run npm run build first" >&2
  exit 1
fi

rm -rf lib
npx tsc -p tsconfig.extension.json

# The extension may import nothing from the engine but the display contract.
stray=$(cd lib && find engine -name '*.js' ! -path engine/display/contract.js)
if [[ -n $stray ]]; then
  echo "build-extension: the extension imports engine files other than engine/display/contract.ts:" >&2
  echo "$stray" >&2
  exit 1
fi

log=$(mktemp)
if ! "$builder" build . >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
test -f gradlab/labextension/package.json
echo "build-extension: built gradlab/labextension ($(du -sh gradlab/labextension | cut -f1))"
