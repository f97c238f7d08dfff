"""The public otter tests of every assignment, shipped with the course package, so that
``grader.check("q2_1")`` works where otter cannot read the tests stored in the notebook.

Otter 7 keeps an assignment's public tests in the student notebook's metadata and reads them
from the notebook file. On Google Colab the kernel never sees that file (the notebook lives in
Drive or on GitHub, the working directory is ``/content``), so otter refuses both the
metadata tests and a missing tests directory. The same tests, as otter test files
(``utils/otter_tests/<assignment>/<question>.py``, generated from the student notebook by
``python scripts/exercises.py build`` and checked for staleness by ``... check``), come with
the package; every student notebook's init cell points otter at them::

    grader = otter.Notebook(**otter_args("ch2_exercises.ipynb"))

so a check runs the same test file in Jupyter, on a JupyterHub and on Colab. Grading
(``otter run``, Gradescope) overrides the tests directory with the hidden tests, as before.
Standard library only: the autograder bundle ships this module next to ``utils.checks``.
"""

from __future__ import annotations

import os
from importlib import resources


def tests_dir(assignment: str) -> str:
    """The folder of ``assignment``'s public otter test files, one ``<question>.py`` each."""
    return str(resources.files(__name__) / assignment)


def otter_args(notebook: str) -> dict[str, str | None]:
    """Arguments for ``otter.Notebook`` in the student notebook ``notebook``
    (``"ch2_exercises.ipynb"``): the packaged tests, and the notebook's path only if the file
    is in the working directory (on Colab it is not, and otter would fail reading it)."""
    assignment = os.path.splitext(os.path.basename(notebook))[0]
    return {"nb_path": notebook if os.path.isfile(notebook) else None,
            "tests_dir": tests_dir(assignment)}
