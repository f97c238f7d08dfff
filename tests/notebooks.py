"""Notebook helpers the tests share (imported as ``from notebooks import ...``, like
``gru_reference``): run a chapter headless as the book build runs it; load the functions
an exercise master's solution cells define."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from utils.grading.exercises import solution_code

# a cell that defines a function (comment lines may come first), not an otter test
_DEFINES = re.compile(r"\s*(#[^\n]*\n)*def (?!test_)")


def code_cells(nb: nbformat.NotebookNode) -> list:
    """The notebook's code cells, in order."""
    return [c for c in nb.cells if c.cell_type == "code"]


def execute_chapter(path: Path, *, name: str, bound: float,
                    timeout: int = 300) -> nbformat.NotebookNode:
    """``path`` executed in a real ``python3`` kernel with nbclient, in the book's static demo
    mode (``GRU_DEMO_MODE=static``, which the kernel inherits), from the notebook's folder.

    Prints the wall time and asserts it is under ``bound`` seconds (each chapter keeps its
    own bound); ``timeout`` is nbclient's limit per cell. Skips when nbclient is missing.
    """
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(Path(path).parent)}})
    mp = pytest.MonkeyPatch()
    mp.setenv("GRU_DEMO_MODE", "static")  # the kernel inherits the environment
    try:
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        mp.undo()
    print(f"{name} executed in {seconds:.1f} s")
    assert seconds < bound, (
        f"{name} took {seconds:.0f} s to execute, expected well under {bound:g} s")
    return nb


def master_solutions(master: Path) -> dict:
    """The functions of an exercise master (``solutions/chN_exercises.ipynb``): every code
    cell that is not an otter answer cell and defines a function (answers with their
    solutions, and the given cells) executed in order into one namespace, with ``np``."""
    nb = nbformat.read(master, as_version=4)
    ns: dict = {"np": np}
    for cell in nb.cells:
        if cell.cell_type == "code" and "otter_answer_cell" not in cell.metadata.get("tags", []):
            src = solution_code(cell.source)
            if _DEFINES.match(src):
                exec(compile(src, "<solution>", "exec"), ns)
    return ns


def grade_solution_and_untouched(master: Path, student: Path, assignment: str, out: Path,
                                 subs: Path, *, timeout: int = 120) -> tuple:
    """Run ``python -m utils.grade`` on the master (every answer filled in) and on the
    untouched student notebook, as two submissions; returns ``(process, reports)`` with the
    ``results.json`` of each under ``"solution"`` and ``"untouched"``."""
    import json
    import subprocess
    import sys

    paths = {"solution": subs / "solution" / f"{assignment}.ipynb",
             "untouched": subs / "untouched" / f"{assignment}.ipynb"}
    for name, src in (("solution", master), ("untouched", student)):
        paths[name].parent.mkdir()
        paths[name].write_bytes(src.read_bytes())
    proc = subprocess.run([sys.executable, "-m", "utils.grade", *map(str, paths.values()),
                           "--out", str(out), "--timeout", str(timeout), "--jobs", "2"],
                          capture_output=True, text=True, timeout=900,
                          cwd=Path(__file__).resolve().parents[1])
    import csv

    reports = {}  # the report folders are named after the submissions' paths (summary.csv)
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            data = json.loads((out / row["report"] / "results.json").read_text())
            reports[Path(row["submission"]).parent.name] = data
    return proc, reports


def sentences_with_many_numbers(texts: list[str], limit: int = 4) -> list[str]:
    """Sentences of prose (tables, headings, display math and code, inline or fenced, left
    out) that carry ``limit`` or more numbers; years of citations are not counted (the
    chapters' tests use it: numbers go in tables, at most three in a sentence of prose)."""
    found = []
    for block in texts:
        block = block.split("## References")[0]
        block = re.sub(r"\$\$.*?\$\$", "\n\n", block, flags=re.S)
        block = re.sub(r"```.*?```", "\n\n", block, flags=re.S)  # printed code
        block = re.sub(r"<!--.*?-->", " ", block, flags=re.S)
        paragraphs, current = [], []
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith(("|", "#")):
                paragraphs.append(" ".join(current))
                current = []
            else:
                current.append(line)
        paragraphs.append(" ".join(current))
        for p in paragraphs:
            p = re.sub(r"`[^`]*`", " ", p)
            p = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", p)
            p = re.sub(r"_\{[^}]*\}|_\w|\^\{[^}]*\}|\^\w", " ", p)  # sub- and superscripts
            p = re.sub(r"\b(?:19|20)\d\d[a-z]?\b", " ", p)
            for sentence in re.split(r"(?<=[.!?])\s+", p):
                if len(re.findall(r"(?<![\w.])[-+−]?\d+(?:[.,/]\d+)?", sentence)) >= limit:
                    found.append(sentence.strip())
    return found


def prose_texts(executed) -> list[str]:
    """An executed chapter's prose: its markdown cells and the Markdown its code cells print."""
    texts = [c.source for c in executed.cells if c.cell_type == "markdown"]
    texts += [o["data"]["text/markdown"] for c in executed.cells if c.cell_type == "code"
              for o in c.outputs if "text/markdown" in o.get("data", {})]
    return texts
