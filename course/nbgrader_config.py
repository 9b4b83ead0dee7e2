# nbgrader's configuration for the gradlab homework course (docs/teaching.md).
#
# The course folder is this folder: source/hwN/ holds each assignment's source notebook (a link to
# notebooks/0N-*.ipynb, the one file an instructor edits), and nbgrader writes release/, submitted/,
# autograded/, feedback/ and gradebook.db beside it (git ignores them).
#
#   .venv/bin/nbgrader generate_assignment hw1        (or: npm run student — every assignment)
#   .venv/bin/nbgrader release_assignment hw1         (to the exchange; students fetch and submit)
#   .venv/bin/nbgrader collect hw1 && .venv/bin/nbgrader autograde hw1 && .venv/bin/nbgrader generate_feedback hw1
#
# Run the commands in this folder (nbgrader reads ./nbgrader_config.py). Test: test/course/test_course.py.
import os
import sys

c = get_config()  # noqa: F821 — nbgrader's config loader defines it

c.CourseDirectory.course_id = "gradlab"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# Where releases and submissions meet. nbgrader's default is /srv/nbgrader/exchange (a folder every
# user of the machine or hub can write, mode 0777 with the sticky bit); GRADLAB_EXCHANGE overrides it.
c.Exchange.root = os.environ.get("GRADLAB_EXCHANGE", "/srv/nbgrader/exchange")

# The release version of a solution region (between `// BEGIN SOLUTION` and `// END SOLUTION`,
# always inside a function body). One text for every exercise: gl.todo() names the function that
# called it ("topoOrder is not implemented yet"), and the exercise's hint stays above the region.
c.ClearSolutions.code_stub = {
    "typescript": "// YOUR CODE HERE\nreturn gl.todo();",
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}

# Seconds a cell may run when grading; then nbgrader interrupts the kernel and records a
# CellTimeoutError in that cell (its exercise scores 0, the rest of the notebook still runs).
# The slowest homework cell (training in hw6) takes a few seconds here.
c.Execute.timeout = 30

# Autograde with gradlab's Execute (grading.py): a cell that tslab aborts (it does that to the
# requests arriving within 200 ms of a failed cell, when gradlab is not loaded yet) is run again, so
# no graded cell comes back empty — nbgrader would score an empty test cell full marks.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grading import autograde_preprocessors  # noqa: E402

c.Autograde.autograde_preprocessors = autograde_preprocessors()
