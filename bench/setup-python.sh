#!/usr/bin/env bash
# npm run bench:python — the optional Python columns of the benchmark (never run by npm test):
# bench/.venv with torch 2.13.0 (the CPU build pip finds on these machines; an unpinned torch
# would pull gigabytes of CUDA wheels) and micrograd, every package pinned in
# bench/requirements-python.txt. Redone only when that file or the Python version changed.
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
want="$(sha256sum requirements-python.txt | cut -c1-16) $($python -c 'import sys; print(sys.version.split()[0])')"
stamp=.venv/.bench-stamp
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "bench/.venv is up to date ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
  exit 0
fi
rm -rf .venv
"$python" -m venv .venv
# torch==2.13.0 resolves to the +cpu wheel here; pip's "Location ... is ignored" lines go to the log
if ! .venv/bin/pip install --disable-pip-version-check -r requirements-python.txt >.venv/pip-install.log 2>&1; then
  tail -30 .venv/pip-install.log >&2
  echo "bench:python: pip failed (full log: bench/.venv/pip-install.log)" >&2
  exit 1
fi
.venv/bin/python -c 'import torch, micrograd; assert torch.__version__.startswith("2.13.0"), torch.__version__; print("bench/.venv: torch", torch.__version__, "(CUDA:", torch.version.cuda, ") + micrograd")'
echo "$want" >"$stamp"
