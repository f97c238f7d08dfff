"""How long a chapter takes to read and an exercise set to work, computed from the notebooks.

Cold readers (learners new to the course, timed on the site) took 25–45 minutes to read a
chapter and about an hour for its exercises (:data:`MEASURED_READING`,
:data:`MEASURED_EXERCISES`). A chapter's reading time is estimated from what it shows a
reader, at speeds chosen so that the five chapters' estimates span those measurements
(``tests/test_orientation.py`` checks that every estimate stays within 5 minutes of the
measured range, so that a chapter that grows or shrinks a lot is noticed):

* prose: the words of its Markdown cells and of the sentences its code writes (``md(...)``),
  at :data:`WORDS_PER_MINUTE` words a minute (technical text, with equations);
* code on the page (cells without a ``remove-*`` tag, collapsed ones included), skimmed at
  :data:`CODE_LINES_PER_MINUTE` lines a minute;
* each figure and each interactive demo: :data:`MINUTES_PER_FIGURE` minutes.

An exercise set takes :data:`MINUTES_PER_QUESTION` minutes per question (read, write,
check), which gives the measured hour for five or six questions, and
:data:`MINUTES_PER_PREDICTION` minutes per graded prediction (think, answer, read the
explanation) — an estimate, not yet measured on cold readers.

What each chapter and exercise set leads to ("after this chapter you can ...") is in
``scripts/orientation.yml`` (:func:`outcomes`); ``scripts/notebooks.py`` and the exercise
generator put both on the pages.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

MEASURED_READING = (25, 45)  # minutes per chapter, cold readers
MEASURED_EXERCISES = (45, 75)  # "about an hour" per chapter's exercises, cold readers
WORDS_PER_MINUTE = 150
CODE_LINES_PER_MINUTE = 30
MINUTES_PER_FIGURE = 1.0
MINUTES_PER_QUESTION = 10
MINUTES_PER_PREDICTION = 3
HIDDEN = {"remove-input", "remove-cell"}
ORIENTATION_FILE = Path(__file__).resolve().parents[1] / "scripts" / "orientation.yml"
ORIENTATION_ID = "orientation"  # the id of the cell scripts/notebooks.py puts in chapters
_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
_FIGURE = re.compile(r"plt\.show\(|_explorer\(|\.build\(")


def _words(text: str) -> int:
    """Words of Markdown ``text``: each inline or display equation counts as one word."""
    equations = len(_MATH.findall(text))
    return len(_WORD.findall(_MATH.sub(" ", re.sub(r"<[^>]+>", " ", text)))) + equations


def _md_text(source: str) -> str:
    """The literal text of the ``md(...)`` sentences a code cell writes."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    parts = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "md" and node.args):
            for sub in ast.walk(node.args[0]):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    parts.append(sub.value)
                elif isinstance(sub, ast.FormattedValue):
                    parts.append(" 0 ")  # a computed number: one word
    return " ".join(parts)


@dataclass(frozen=True)
class Reading:
    words: int
    code_lines: int
    figures: int

    @property
    def minutes(self) -> float:
        return (self.words / WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE
                + self.figures * MINUTES_PER_FIGURE)

    @property
    def rounded(self) -> int:
        """Minutes, to the nearest 5."""
        return max(5, 5 * round(self.minutes / 5))


def reading(path: Path) -> Reading:
    nb = nbformat.read(path, as_version=4)
    words = code_lines = figures = 0
    for cell in nb.cells:
        if cell.get("id") == ORIENTATION_ID:  # what this module writes does not count
            continue
        if cell.cell_type == "markdown":
            words += _words(cell.source)
        elif cell.cell_type == "code":
            tags = set(cell.metadata.get("tags", []))
            words += _words(_md_text(cell.source))
            figures += len(_FIGURE.findall(cell.source))
            if not tags & HIDDEN:
                code_lines += sum(1 for line in cell.source.splitlines()
                                  if line.strip() and not line.lstrip().startswith("#"))
    return Reading(words, code_lines, figures)


def exercise_minutes(n_questions: int, n_predictions: int = 0) -> int:
    """Minutes for a set of ``n_questions`` and ``n_predictions``, up to the next 5."""
    work = n_questions * MINUTES_PER_QUESTION + n_predictions * MINUTES_PER_PREDICTION
    return 5 * math.ceil(work / 5)


def hours_minutes(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if m else f"{h} h"


def outcomes(path: Path = ORIENTATION_FILE) -> dict:
    """``scripts/orientation.yml``: ``{"chapters": {stem: {...}}, "exercises": {...}}``."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))
