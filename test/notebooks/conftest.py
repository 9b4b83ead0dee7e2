"""pytest setup for the notebook tests: the harness sits next to the tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
