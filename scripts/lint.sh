#!/usr/bin/env bash
# `npm run lint`: every static check, each with its own output, and a non-zero exit when any fails.
#   tsc        the engine (tsconfig.json), the extension (tsconfig.extension.json), and the tests,
#              benchmarks and configs (tsconfig.lint.json) type-check (--noEmit)
#   eslint     typescript-eslint with type information (eslint.config.mjs); warnings count
#   prettier   the formatting (.prettierrc.json; `npm run format` rewrites)
#   knip       no unused files, exports or dependencies (knip.jsonc)
#
#   scripts/lint.sh                       all checks
#   scripts/lint.sh eslint knip           only these
#   scripts/lint.sh --report FILE [...]   also write a JUnit XML report, one test case per check
#                                         (scripts/test.sh counts it in "N passed, N failed")
set -uo pipefail
cd "$(dirname "$0")/.."

report=
checks=()
while (($#)); do
  case $1 in
    --report) report=${2:?--report needs a file}; shift 2 ;;
    tsc | eslint | prettier | knip) checks+=("$1"); shift ;;
    *) echo "lint: unknown argument $1 (checks: tsc eslint prettier knip; --report FILE)" >&2; exit 2 ;;
  esac
done
((${#checks[@]})) || checks=(tsc eslint prettier knip)

# The globs prettier owns (package.json "format" and "format:check" name the same).
FORMAT_GLOBS=('**/*.{ts,js,mjs,cjs,css}')

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
results=()

# check NAME COMMAND...: runs one check, shows its output, records pass/fail, its time and its log.
check() {
  local name=$1
  shift
  echo
  echo "--- lint: $name: $*"
  local start=$SECONDS
  "$@" 2>&1 | tee -a "$logs/$name.log"
  local rc=${PIPESTATUS[0]}
  echo "$rc" >"$logs/$name.rc"
  echo "$((SECONDS - start))" >"$logs/$name.time"
  if ((rc == 0)); then echo "--- lint: $name: ok ($((SECONDS - start)) s)"; else echo "--- lint: $name: FAILED (exit $rc)"; fi
  return "$rc"
}

# tsc runs three programs; one test case, failed when any fails.
run_tsc() {
  local rc=0 p
  for p in tsconfig.json tsconfig.extension.json tsconfig.lint.json; do
    echo "tsc -p $p --noEmit"
    npx --no-install tsc -p "$p" --noEmit --pretty false || rc=1
  done
  return "$rc"
}

for c in "${checks[@]}"; do
  case $c in
    tsc) check tsc run_tsc ;;
    eslint) check eslint npx --no-install eslint --max-warnings 0 . ;;
    prettier) check prettier npx --no-install prettier --check --log-level warn "${FORMAT_GLOBS[@]}" ;;
    knip) check knip npx --no-install knip --no-progress ;;
  esac
  results+=("$c")
done

failed=()
for c in "${results[@]}"; do [[ $(cat "$logs/$c.rc") == 0 ]] || failed+=("$c"); done

if [[ -n $report ]]; then
  mkdir -p "$(dirname "$report")"
  node - "$report" "$logs" "${results[@]}" <<'JS'
const fs = require('fs');
const path = require('path');
const [report, logs, ...names] = process.argv.slice(2);
const esc = (s) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
let failures = 0;
let total = 0;
const cases = names.map((n) => {
  const read = (ext) => fs.readFileSync(path.join(logs, `${n}.${ext}`), 'utf8').trim();
  const rc = Number(read('rc'));
  const time = Number(read('time'));
  total += time;
  if (rc === 0) return `  <testcase classname="lint" name="${n}" time="${time}"/>`;
  failures++;
  const lines = read('log').split('\n');
  const tail = lines.length > 400 ? [`(last 400 of ${lines.length} lines)`, ...lines.slice(-400)] : lines;
  return `  <testcase classname="lint" name="${n}" time="${time}">\n    <failure message="${n} failed (exit ${rc})">${esc(tail.join('\n'))}</failure>\n  </testcase>`;
});
fs.writeFileSync(report, `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="lint" tests="${names.length}" failures="${failures}" errors="0" skipped="0" time="${total}">\n${cases.join('\n')}\n</testsuite>\n`);
JS
fi

echo
if ((${#failed[@]})); then
  echo "lint: FAILED: ${failed[*]} (of ${results[*]})"
  exit 1
fi
echo "lint: ok (${results[*]})"
