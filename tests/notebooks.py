"""Running a chapter notebook headless, as the book build runs it: the one helper the chapter
notebook tests share (imported as ``from notebooks import ...``, like ``gru_reference``)."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest


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
