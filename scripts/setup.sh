#!/usr/bin/env bash
# Sets up everything gradlab's notebooks, tests and JupyterLab need, inside the project:
#   node_modules (npm ci), node_modules/gradlab → the project (so notebooks `import "gradlab"`),
#   the engine (dist/engine), .venv with the pinned requirements.txt, the extension
#   (gradlab/labextension), both installed into .venv (extension + tslab kernel), and
#   JupyterLab settings for that environment (no debugger, no news or update checks).
# Every step is keyed on a hash of its inputs, so a second run only checks.
#
#   scripts/setup.sh             set up
#   scripts/setup.sh --browser   also install Debian's chromium when missing (browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# One setup at a time per checkout: two runs building dist/ or lib/ at once would mix their outputs.
exec 9>"$ROOT/.setup.lock"
flock 9

WITH_BROWSER=0
for arg in "$@"; do
  case $arg in
    --browser) WITH_BROWSER=1 ;;
    *) echo "setup: unknown argument $arg" >&2; exit 2 ;;
  esac
done

STAMPS=$ROOT/.venv/.gradlab-stamps
say() { echo "setup: $*"; }

# Hash of the named files and of every file under the named folders (missing paths hash as absent).
hash_inputs() {
  local p
  for p in "$@"; do
    if [[ -d $p ]]; then
      find "$p" -type f ! -name '*.tsbuildinfo' -print0 | sort -z | xargs -0 -r sha256sum
    elif [[ -f $p ]]; then
      sha256sum "$p"
    else
      echo "absent $p"
    fi
  done | sha256sum | cut -c1-64
}
# stamp_ok NAME HASH: true when step NAME last ran on inputs with this hash.
stamp_ok() { [[ -f $STAMPS/$1 && $(cat "$STAMPS/$1") == "$2" ]]; }
stamp_set() { mkdir -p "$STAMPS"; echo "$2" >"$STAMPS/$1"; }

# --- Node packages -------------------------------------------------------------------
node_key=$(hash_inputs package-lock.json; node --version)
if [[ ! -f node_modules/.gradlab-stamp || $(cat node_modules/.gradlab-stamp) != "$node_key" ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$node_key" >node_modules/.gradlab-stamp
fi

# npm 11 runs no install scripts unless allowed. zeromq (tslab's transport) and esbuild
# (vitest) ship prebuilt binaries and load without theirs; check, and run a script only if not.
if ! node -e 'require("zeromq")' 2>/dev/null; then
  say "zeromq's addon does not load; running its install script"
  (cd node_modules/zeromq && node script/install.js)
  node -e 'require("zeromq")'
fi
if ! node -e 'require("esbuild").transformSync("")' 2>/dev/null; then
  say "esbuild's binary does not load; running its install script"
  (cd node_modules/esbuild && node install.js)
  node -e 'require("esbuild").transformSync("")'
fi

# Notebooks under notebooks/ resolve `import * as gl from "gradlab"` through this link,
# for Node at run time and for tslab's TypeScript 5.0 at type-check time.
if [[ $(readlink node_modules/gradlab 2>/dev/null) != ".." ]]; then
  rm -rf node_modules/gradlab
  ln -s .. node_modules/gradlab
fi

# --- Python environment ----------------------------------------------------------------
venv_key=$(hash_inputs requirements.txt; python3 --version)
if ! stamp_ok venv "$venv_key" || [[ ! -x .venv/bin/jupyter-lab ]]; then
  say "creating .venv from requirements.txt"
  rm -rf .venv
  python3 -m venv .venv
  if ! .venv/bin/pip install --disable-pip-version-check -q -r requirements.txt >.venv/pip-install.log 2>&1; then
    grep -v "is ignored: it is neither a file nor a directory" .venv/pip-install.log >&2 || true
    echo "setup: pip install failed (log: .venv/pip-install.log)" >&2
    exit 1
  fi
  .venv/bin/pip check --disable-pip-version-check >/dev/null
  stamp_set venv "$venv_key"
fi

# --- Engine ------------------------------------------------------------------------------
engine_key=$(hash_inputs engine tsconfig.json package-lock.json)
if ! stamp_ok engine "$engine_key" || [[ ! -f dist/engine/index.js ]]; then
  say "building the engine (npm run build)"
  rm -rf dist/engine
  npm run --silent build
  stamp_set engine "$engine_key"
fi

# --- Extension ---------------------------------------------------------------------------
ext_key=$(hash_inputs extension style engine/display tsconfig.json tsconfig.extension.json \
  extension.webpack.js scripts/build-extension.sh package.json package-lock.json requirements.txt)
if ! stamp_ok extension "$ext_key" || [[ ! -f gradlab/labextension/package.json ]]; then
  say "building the extension"
  bash scripts/build-extension.sh
  stamp_set extension "$ext_key"
fi

# Extension and tslab kernel into .venv only, the way users install them (bin/gradlab.js).
install_key=$(hash_inputs gradlab/labextension install.json bin/gradlab.js node_modules/tslab/package.json; echo "$ROOT")
if ! stamp_ok install "$install_key" || [[ ! -f .venv/share/jupyter/kernels/tslab/kernel.json ]]; then
  say "installing the extension and the tslab kernel into .venv"
  node bin/gradlab.js install --python .venv/bin/python >/dev/null
  stamp_set install "$install_key"
fi

# JupyterLab settings for .venv: no debugger, no news, no update checks, read-only extension manager.
bash scripts/lab-settings.sh .venv

# --- Browser (tests only) ---------------------------------------------------------------
if [[ $WITH_BROWSER == 1 ]] && ! command -v chromium >/dev/null; then
  say "installing Debian's chromium (apt-get)"
  if [[ $(id -u) != 0 ]]; then
    echo "setup: chromium is missing and only root can apt-get install it" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
fi

say "ready"
