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

# The extension may import from engine/ only the display contract and browser-safe display
# code (engine/display/figures/: a figure model shared with the static fallback) that itself
# imports nothing from the engine outside engine/display/: no tensors, no Node built-ins in the browser bundle.
node - <<'JS'
const fs = require('fs');
const path = require('path');
const bad = [];
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
for (const file of walk('lib/engine').filter((f) => f.endsWith('.js'))) {
  const rel = path.relative('lib', file);
  if (!rel.startsWith(path.join('engine', 'display') + path.sep)) { bad.push(`${rel}: outside engine/display/`); continue; }
  const source = fs.readFileSync(file, 'utf8');
  for (const [, spec] of source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
    // a relative import is compiled into lib/engine too, so this same walk checks it
    const ok = spec.startsWith('.') || (!spec.startsWith('node:') && !require('module').builtinModules.includes(spec));
    if (!ok) bad.push(`${rel}: imports ${spec}`);
  }
}
if (bad.length) {
  console.error('build-extension: the extension reaches into the engine beyond the display contract:');
  for (const b of bad) console.error(`  ${b}`);
  process.exit(1);
}
JS

log=$(mktemp)
if ! "$builder" build . >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
test -f gradlab/labextension/package.json
echo "build-extension: built gradlab/labextension ($(du -sh gradlab/labextension | cut -f1))"
