"""Generate the student exercise notebooks and pages from ``solutions/`` (see
:mod:`utils.grading.exercises`): ``python scripts/exercises.py build|check|autograder``."""

import sys

from utils.grading.exercises import main

if __name__ == "__main__":
    sys.exit(main())
