#!/usr/bin/env bash
# Benchmark two commits against each other in one session (issue 11: "the benchmark does not
# get worse"): each commit is checked out in its own git worktree under a temp folder, built
# there (its own engine, bench scripts and, for W5, its own JupyterLab extension), then
# bench/compare.ts runs W1–W5 for both, alternating run by run, and prints per figure the
# medians, the median of the paired ratios (after / before, per round) and a verdict (±5%).
#
#   bash bench/compare.sh <before> <after> [--rounds N] [--w5-rounds N] [--only W1,W5] [--quick] [--keep]
#   npm run bench:compare -- <before> <after> [...]
#
# Reuses the main checkout's node_modules (a hard-linked copy, when scripts/setup.sh installed it
# from the commit's package-lock.json; otherwise npm ci in the worktree) and .venv (a symlink:
# JupyterLab, nbclient and jupyter-builder only). The commit's extension and a tslab kernel spec go into a
# Jupyter data folder of its own (JUPYTER_PATH, searched before .venv's), so W5 draws with that
# commit's extension, never the one installed in .venv. Worktrees are removed at the end
# (--keep leaves them for a look). Writes bench/results/compare-<before>-<after>.{json,md}.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

usage() { sed -n '8,9p' "$0" | sed 's/^# *//' >&2; exit 2; }
[[ $# -ge 2 ]] || usage
BEFORE_REV=$1 AFTER_REV=$2
shift 2
KEEP=0
HARNESS_ARGS=()
ONLY=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --keep) KEEP=1 ;;
    --quick) HARNESS_ARGS+=("$1") ;;
    --rounds | --w5-rounds) HARNESS_ARGS+=("$1" "$2"); shift ;;
    --only) ONLY=$2; HARNESS_ARGS+=("$1" "$2"); shift ;;
    -h | --help) usage ;;
    *) echo "compare: unknown argument $1" >&2; usage ;;
  esac
  shift
done
BEFORE=$(git rev-parse --verify "$BEFORE_REV^{commit}")
AFTER=$(git rev-parse --verify "$AFTER_REV^{commit}")
# W5 (and W6) need JupyterLab: build extensions only when one of them runs.
NEED_LAB=1
if [[ -n $ONLY ]] && ! [[ ${ONLY^^} =~ W5|W6 ]]; then NEED_LAB=0; fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gradlab-compare.XXXXXX")
cleanup() {
  local code=$?
  if [[ $KEEP == 1 ]]; then
    echo "compare: kept the worktrees in $TMP (remove: git worktree remove --force $TMP/before; … $TMP/after; git worktree prune)"
  else
    for side in before after; do
      [[ -d $TMP/$side ]] && git worktree remove --force "$TMP/$side" 2>/dev/null || true
    done
    rm -rf "$TMP"
    git worktree prune
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "compare: $*"; }
log_or_fail() { # log_or_fail LOGFILE CMD...: runs CMD quietly, shows the log's end on failure
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then tail -40 "$log" >&2; echo "compare: failed: $* (log $log)" >&2; return 1; fi
}

# The key scripts/setup.sh writes into node_modules/.gradlab-stamp for an installed lock file.
node_key() { sha256sum package-lock.json | sha256sum | cut -c1-64; node --version; }

prepare() { # prepare SIDE COMMIT
  local side=$1 commit=$2 dir=$TMP/$1 t0=$SECONDS
  say "$side = $(git log -1 --format='%h %s' "$commit" | cut -c1-100)"
  git worktree add --quiet --detach "$dir" "$commit"
  # node_modules: the main checkout's when scripts/setup.sh installed it from this commit's lock file
  # (hard links: a later npm ci in the main checkout does not pull the files from under a running
  # benchmark), else the commit's own npm ci.
  if [[ -f node_modules/.gradlab-stamp && $(cat node_modules/.gradlab-stamp) == $(cd "$dir" && node_key) ]]; then
    say "$side: package-lock.json is the one node_modules was installed from: a hard-linked copy"
    cp -al node_modules "$dir/node_modules" 2>/dev/null || cp -a node_modules "$dir/node_modules"
  else
    say "$side: node_modules was installed from another package-lock.json: npm ci in the worktree"
    (cd "$dir" && log_or_fail "$TMP/$side-npm.log" npm ci --no-audit --no-fund --loglevel=error)
    # as scripts/setup.sh: zeromq (tslab's transport) and esbuild (vite-node) must load without install scripts
    (cd "$dir" && { node -e 'require("zeromq")' 2>/dev/null || (cd node_modules/zeromq && node script/install.js); } \
      && { node -e 'require("esbuild").transformSync("")' 2>/dev/null || (cd node_modules/esbuild && node install.js); }) >/dev/null
  fi
  rm -rf "$dir/node_modules/gradlab"
  ln -s .. "$dir/node_modules/gradlab" # notebooks' `import "gradlab"` → this worktree
  # The commit's engine (dist/engine, its own build script) and bench scripts (bench/results/build).
  (cd "$dir" && log_or_fail "$TMP/$side-build.log" npm run --silent build)
  if ! (cd "$dir" && node_modules/.bin/tsc -p bench/tsconfig.json >"$TMP/$side-bench-tsc.log" 2>&1); then
    say "$side: tsc reported errors in bench/ (running what it emitted, as bench/run.sh does):"
    head -20 "$TMP/$side-bench-tsc.log" >&2
  fi
  [[ -f $dir/bench/results/build/bench/worker.js ]] || { echo "compare: $side: no bench/results/build/bench/worker.js" >&2; return 1; }
  if [[ $NEED_LAB == 1 && -x .venv/bin/jupyter ]]; then
    cmp -s requirements.txt "$dir/requirements.txt" || say "$side: note: requirements.txt differs from the one .venv was made from"
    ln -s "$ROOT/.venv" "$dir/.venv"
    (cd "$dir" && log_or_fail "$TMP/$side-extension.log" bash scripts/build-extension.sh)
    # The commit's extension and a kernel spec running the worktree's tslab, in a Jupyter data folder
    # of its own, as bin/gradlab.js install lays them out in .venv.
    local jp=$TMP/$side-jupyter
    mkdir -p "$jp/labextensions" "$jp/kernels/tslab"
    cp -r "$dir/gradlab/labextension" "$jp/labextensions/gradlab"
    cp "$dir/install.json" "$jp/labextensions/gradlab/install.json"
    printf '{"argv": ["%s", "kernel", "--config-path", "{connection_file}"], "display_name": "TypeScript", "language": "typescript"}\n' \
      "$dir/node_modules/tslab/bin/tslab" >"$jp/kernels/tslab/kernel.json"
    # Check that this JupyterLab will serve that extension and start that kernel.
    local found
    found=$(JUPYTER_PATH=$jp .venv/bin/python - <<'PY'
from jupyter_core.paths import jupyter_path
from jupyterlab_server.config import get_federated_extensions
from jupyter_client.kernelspec import KernelSpecManager
print(get_federated_extensions(jupyter_path("labextensions"))["gradlab"]["ext_path"])
print(KernelSpecManager().find_kernel_specs()["tslab"])
PY
)
    if [[ $found != "$jp/labextensions/gradlab"$'\n'"$jp/kernels/tslab" ]]; then
      echo "compare: $side: JupyterLab would not use the worktree's extension and kernel:"$'\n'"$found" >&2
      return 1
    fi
  elif [[ $NEED_LAB == 1 ]]; then
    say "no .venv in the main checkout (npm start or npm test makes it): W5 will show as not set up"
  fi
  say "$side ready in $((SECONDS - t0)) s"
}

say "worktrees in $TMP"
prepare before "$BEFORE"
prepare after "$AFTER"

# The harness (bench/compare.ts and the suite's case list it reads) from this checkout, into
# bench/results/compare-build; it runs the workloads each worktree built above.
node_modules/.bin/tsc -p bench/tsconfig.compare.json
node bench/results/compare-build/compare.js \
  --before "$BEFORE" --before-dir "$TMP/before" --before-jupyter "$TMP/before-jupyter" \
  --after "$AFTER" --after-dir "$TMP/after" --after-jupyter "$TMP/after-jupyter" \
  "${HARNESS_ARGS[@]}"
