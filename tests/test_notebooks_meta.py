"""What every chapter, exercise notebook and page shares, so that each runs and reads the same
in JupyterLab, classic Notebook, Colab and on the site:

* no MyST ``{glue}`` / ``{glue:...}`` / ``{eval}`` role or directive: only the book renders
  them (elsewhere the reader sees raw markup where the numbers should be); sentences that
  carry computed numbers are Markdown outputs of ``utils.report.md`` instead;
* the first code cell of every chapter and the first cell of every student exercise notebook
  is the install cell, tagged ``remove-cell``, installing from ``_config.yml``'s
  ``repository.url``; the README and the landing page give the same install line.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from utils.grading.exercises import INSTALL_CELL, INSTALL_TAGS, REPOSITORY_URL

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*_exercises.ipynb"))
MASTERS = sorted((ROOT / "solutions").glob("*_exercises.ipynb"))
# A role `{glue}`, `{glue:text}`, `{glue:}`, `{eval}`, or a directive ```{glue:figure} / :::{glue}
GLUE = re.compile(r"\{(?:glue(?::[\w-]*)?|eval)\}")


def toc_pages() -> list[Path]:
    """Every page source the book reads (_toc.yml), as .md or .ipynb."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", toc.get("chapters", [])))
    pages = []
    for f in files:
        found = [ROOT / f"{f}{ext}" for ext in (".md", ".ipynb") if (ROOT / f"{f}{ext}").exists()]
        assert found, f"_toc.yml names {f}, which has no .md or .ipynb"
        pages += found
    return pages


SOURCES = sorted(set(toc_pages()) | set(CHAPTERS) | set(EXERCISES) | set(MASTERS))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _prose(path: Path) -> list[tuple[str, str]]:
    """(where, text) of the Markdown a reader sees: a page, or a notebook's Markdown cells."""
    if path.suffix == ".md":
        return [(_rel(path), path.read_text(encoding="utf-8"))]
    nb = nbformat.read(path, as_version=4)
    return [(f"{_rel(path)} cell {i}", c.source) for i, c in enumerate(nb.cells)
            if c.cell_type in ("markdown", "raw")]


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_no_glue_or_eval_markup(path):
    found = [(where, m.group(0)) for where, text in _prose(path) for m in GLUE.finditer(text)]
    assert not found, (
        f"{len(found)} MyST glue/eval uses, which JupyterLab and Colab show as raw markup; "
        "write the sentence with utils.report.md in the code cell that computes the numbers "
        f"(README, 'How numbers appear in the prose'): {found[:10]}")


def test_install_cell_installs_from_the_configured_repository():
    url = CONFIG["repository"]["url"].rstrip("/")
    assert REPOSITORY_URL == url
    assert INSTALL_CELL == (
        "# Outside the course repository (Colab, a JupyterHub, a downloaded notebook)? This "
        "installs the\n"
        "# course package once; where `utils` already imports it does nothing.\n"
        "try:\n"
        "    import utils.report  # noqa: F401\n"
        "except ImportError:\n"
        f'    %pip install -q "gru-course @ git+{url}"')
    # The same line for a reader who installs by hand.
    for doc in ("README.md", "intro.md"):
        assert f'pip install "gru-course @ git+{url}"' in (ROOT / doc).read_text(
            encoding="utf-8"), f"{doc} does not give the install line for {url}"


def _assert_install_cell(cell, where):
    assert cell.cell_type == "code" and cell.source == INSTALL_CELL, (
        f"{where} is not the install cell (CONTRIBUTING.md, 'Notebooks'):\n{cell.source[:300]}")
    assert set(INSTALL_TAGS) <= set(cell.metadata.get("tags", [])), (
        f"{where}: the install cell needs the tags {INSTALL_TAGS} (the site does not show it)")


@pytest.mark.parametrize("path", CHAPTERS, ids=_rel)
def test_chapter_starts_with_the_install_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{_rel(path)} has no code cell"
    _assert_install_cell(code[0], f"the first code cell of {_rel(path)}")
    assert sum(c.source == INSTALL_CELL for c in code) == 1


@pytest.mark.parametrize("path", EXERCISES, ids=_rel)
def test_exercise_notebook_starts_with_the_install_cell(path):
    nb = nbformat.read(path, as_version=4)
    _assert_install_cell(nb.cells[0], f"the first cell of {_rel(path)}")
    assert sum(c.source == INSTALL_CELL for c in nb.cells) == 1
    # otter's init cell comes next, so the package is there before `import otter`
    init = next(c for c in nb.cells if c.cell_type == "code" and "otter.Notebook(" in c.source)
    assert nb.cells.index(init) > 0


def test_there_are_notebooks():
    assert CHAPTERS and EXERCISES and MASTERS


def test_generator_puts_the_install_cell_first_once():
    """Generic for every master: otter's init cell comes second, and a master that carries the
    install cell itself does not get two."""
    from utils.grading.exercises import with_install_cell

    v4 = nbformat.v4
    init = v4.new_code_cell('# Initialize Otter\nimport otter\ngrader = otter.Notebook("x.ipynb")')
    for extra in ([], [v4.new_code_cell(INSTALL_CELL)]):
        nb = v4.new_notebook(cells=[init, *extra, v4.new_code_cell("import numpy as np")])
        out = with_install_cell(nb)
        assert out.cells[0].source == INSTALL_CELL and out.cells[1].source == init.source
        assert sum(c.source == INSTALL_CELL for c in out.cells) == 1
        assert "remove-cell" in out.cells[0].metadata["tags"]
        assert nb.cells[0].source == init.source  # the input is not modified
