#!/usr/bin/env bash
# `npm test`: sets up (scripts/setup.sh --browser), then runs every suite and ends with one
# line "N passed, N failed" (what CI reads). Exits non-zero when anything failed.
#   npm test                          all suites
#   npm test -- unit notebooks        only these (lint, unit, notebooks, package, browser, hub)
# Reports land in test-output/, screenshots in screenshots/ (both git-ignored).
set -uo pipefail
cd "$(dirname "$0")/.."

stages=("$@")
[[ ${#stages[@]} -eq 0 ]] && stages=(lint unit notebooks package browser hub)
wants() { [[ " ${stages[*]} " == *" $1 "* ]]; }

out=test-output
mkdir -p "$out"
rm -f "$out"/lint.xml "$out"/unit.json "$out"/notebooks.xml "$out"/package.xml "$out"/browser.json "$out"/hub.xml "$out"/hub-browser.json

passed=0
failed=0
skipped=0
summary() {
  echo
  if ((skipped > 0)); then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
}

setup_args=()
{ wants browser || wants hub; } && setup_args+=(--browser)
if ! bash scripts/setup.sh "${setup_args[@]}"; then
  echo "test: setup failed" >&2
  failed=1
  summary
  exit 1
fi

# count_vitest FILE: adds a vitest JSON report's counts (a file that failed to load counts as a failure).
count_vitest() {
  local counts
  counts=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    // a file that failed outside its tests (a beforeAll, an import) counts once: its tests show as skipped or none
    const broken = r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
    console.log(r.numPassedTests, r.numFailedTests + broken, r.numPendingTests + r.numTodoTests);
  ' "$1") || return 1
  read -r p f s <<<"$counts"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# count_junit FILE: adds a pytest JUnit report's counts.
count_junit() {
  local counts
  counts=$(.venv/bin/python - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
total = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
print(total["tests"] - total["failures"] - total["errors"] - total["skipped"], total["failures"] + total["errors"], total["skipped"])
PY
  ) || return 1
  read -r p f s <<<"$counts"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# stage NAME REPORT COUNTER COMMAND...: runs a suite; a suite that leaves no report counts as one failure.
stage() {
  local name=$1 report=$2 counter=$3
  shift 3
  echo
  echo "=== $name"
  local start=$SECONDS
  "$@"
  local rc=$?
  if [[ -s $report ]] && $counter "$report"; then
    echo "=== $name: exit $rc, $((SECONDS - start)) s"
  else
    echo "=== $name: no report (exit $rc), counted as one failure"
    failed=$((failed + 1))
  fi
}

if wants lint; then
  # one test case per check (tsc, eslint, prettier, knip); a violation fails it
  stage "lint (tsc, eslint, prettier --check, knip)" "$out/lint.xml" count_junit \
    bash scripts/lint.sh --report "$out/lint.xml"
fi
if wants unit; then
  stage "unit tests (vitest)" "$out/unit.json" count_vitest \
    npx vitest run --reporter=default --reporter=json --outputFile.json="$out/unit.json"
fi
if wants notebooks; then
  stage "notebooks through the tslab kernel (pytest + nbclient)" "$out/notebooks.xml" count_junit \
    .venv/bin/python -m pytest -p no:cacheprovider -q test/notebooks --junitxml="$out/notebooks.xml"
fi
if wants package; then
  stage "the npm tarball in a user's folder and Jupyter (pytest)" "$out/package.xml" count_junit \
    .venv/bin/python -m pytest -p no:cacheprovider -q test/package --junitxml="$out/package.xml"
fi
if wants browser; then
  stage "JupyterLab in Chromium (vitest + playwright-core)" "$out/browser.json" count_vitest \
    npx vitest run -c test/browser/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$out/browser.json"
fi

if wants hub; then
  # The class image (binder/'s steps, scripts/class-image.sh) under /opt/gradlab-class with its image
  # user, then a real JupyterHub with students who are real Unix users (test/hub/classhub.py):
  # all of it made here and removed afterwards, also when interrupted.
  echo
  echo "=== the class image (scripts/class-image.sh build, log: $out/class-image.log)"
  trap 'bash scripts/class-image.sh remove >/dev/null 2>&1' EXIT
  start=$SECONDS
  if bash scripts/class-image.sh build >"$out/class-image.log" 2>&1; then
    echo "=== the class image: $((SECONDS - start)) s"
    stage "the class hub: JupyterHub, Unix users, nbgitpuller, culler (pytest)" "$out/hub.xml" count_junit \
      .venv/bin/python -m pytest -p no:cacheprovider -q test/hub --junitxml="$out/hub.xml"
    stage "the class hub: three students in Chromium (vitest + playwright-core)" "$out/hub-browser.json" count_vitest \
      npx vitest run -c test/hub/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$out/hub-browser.json"
  else
    tail -30 "$out/class-image.log"
    echo "=== the class image did not build, counted as one failure"
    failed=$((failed + 1))
  fi
  bash scripts/class-image.sh remove
  trap - EXIT
fi

summary
((failed == 0))
