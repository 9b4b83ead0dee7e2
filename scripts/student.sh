#!/usr/bin/env bash
# `npm run student [-- [--course DIR] [hw1 hw2 ...]]`: the student (release) version of every assignment of the
# nbgrader course (course/, or DIR), or of those named, written by nbgrader itself:
#   nbgrader generate_assignment <hw> --force      (in the course folder)
# → <course>/release/<hw>/<notebook>.ipynb: each `// BEGIN SOLUTION … // END SOLUTION` region replaced by
# ClearSolutions.code_stub ("// YOUR CODE HERE" + "return gl.todo();"), outputs cleared, test cells locked.
# The hints stay (they are written above each region). docs/teaching.md has the whole course loop.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
course=$ROOT/course
assignments=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --course) course=$(cd "$2" && pwd); shift ;;
    -h | --help) sed -n 2,6p "$0" | sed 's/^# *//'; exit 0 ;;
    -*) echo "student: unknown option $1" >&2; exit 2 ;;
    *) assignments+=("$1") ;;
  esac
  shift
done
NBGRADER=${NBGRADER:-$ROOT/.venv/bin/nbgrader} # binder/postBuild passes the image environment's
export PATH="$(dirname "$NBGRADER"):$PATH"     # nbgrader runs alembic (its database migrations) from the PATH
[[ -x $NBGRADER ]] || { echo "student: $NBGRADER is missing: run bash scripts/setup.sh first (it installs requirements.txt)" >&2; exit 1; }
[[ -f $course/nbgrader_config.py ]] || { echo "student: $course has no nbgrader_config.py" >&2; exit 1; }
if [[ ${#assignments[@]} -eq 0 ]]; then
  for d in "$course"/source/*/; do assignments+=("$(basename "$d")"); done
fi
cd "$course"
for hw in "${assignments[@]}"; do
  [[ -d source/$hw ]] || { echo "student: no assignment $hw in $course/source" >&2; exit 2; }
  "$NBGRADER" generate_assignment "$hw" --force --log-level=WARN
  echo "student: $course/release/$hw/$(cd "release/$hw" && ls -- *.ipynb | tr '\n' ' ')"
done
