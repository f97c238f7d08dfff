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
CONFIG_VERSION = re.search(r'^version\s*=\s*"([^"]+)"',
                           (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M).group(1)
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
    from utils.grading.exercises import install_cell
    from utils.site_config import repository_url, wheel_name

    url = (CONFIG["repository"]["url"] or "").rstrip("/")
    assert REPOSITORY_URL == url == repository_url()
    assert INSTALL_CELL == install_cell(url, wheel_name())
    wheel = wheel_name()
    assert wheel == f"gru_course-{CONFIG_VERSION}-py3-none-any.whl"
    # The same lines for a reader who installs by hand, generated from the same setting.
    for doc in ("README.md", "intro.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert f"pip install {wheel}" in text, f"{doc} does not give the wheel's install line"
        assert (f'pip install "gru-course @ git+{url}"' in text) == bool(url), (
            f"{doc}: the repository install line must appear exactly when the URL is set")


def test_install_cell_follows_the_setting():
    """Unset: no repository line at all; set: the cell installs from it. Either way the cell
    ends by raising one error that names the wheel (no ModuleNotFoundError later on)."""
    from utils.grading.exercises import NOT_INSTALLED, install_cell

    unset = install_cell("", "gru_course-9.9-py3-none-any.whl")
    assert "git+" not in unset and "github" not in unset
    assert 'glob.glob("gru_course-*.whl")' in unset and "%pip install -q {wheels[-1]}" in unset
    set_ = install_cell("https://github.com/someone/gru", "gru_course-9.9-py3-none-any.whl")
    assert '%pip install -q "gru-course @ git+https://github.com/someone/gru"' in set_
    for cell in (unset, set_):
        last = cell[cell.rindex("    except ImportError:"):]
        assert "raise RuntimeError(" in last and NOT_INSTALLED in last
        assert "gru_course-9.9-py3-none-any.whl" in last
        assert max(map(len, cell.splitlines())) <= 99


PLACEHOLDERS = ("github.com/gru-course", "hub.example.org", "gru-course/gru-course")


def test_no_placeholder_url_anywhere():
    """While the repository URL is unset nothing may point at a made-up repository or hub."""
    from test_install import tracked_files

    files = tracked_files() or []
    if not files:
        pytest.skip("not a git checkout")
    found = []
    for rel in files:
        path = ROOT / rel
        if path.suffix not in (".py", ".md", ".ipynb", ".yml", ".yaml", ".toml", ".txt", "") \
                or not path.is_file() or rel == "tests/test_notebooks_meta.py":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{rel}: {p}" for p in PLACEHOLDERS if p in text]
    assert not found, found


def test_launch_links_only_when_they_can_work(tmp_path):
    from utils.site_config import launch_links

    def links(url, hub=""):
        (tmp_path / "_config.yml").write_text(yaml.safe_dump({
            "repository": {"url": url, "branch": "main"},
            "launch_buttons": {"binderhub_url": "https://mybinder.org", "jupyterhub_url": hub,
                               "colab_url": "https://colab.research.google.com"}}))
        return launch_links("exercises/ch1_exercises.ipynb", tmp_path)

    assert links("") == {}
    got = links("https://github.com/someone/gru")
    assert set(got) == {"Binder", "Colab"}
    assert got["Colab"] == ("https://colab.research.google.com/github/someone/gru/blob/main/"
                            "exercises/ch1_exercises.ipynb")
    assert got["Binder"].startswith("https://mybinder.org/v2/gh/someone/gru/main?urlpath=")
    assert set(links("https://gitlab.com/someone/gru")) == set()
    assert set(links("https://github.com/someone/gru", "https://hub.uni.edu")) == {
        "Binder", "Colab", "JupyterHub"}
    # the exercise pages carry exactly the configured links (none while unset)
    for page in sorted((ROOT / "exercises").glob("ch*.md")):
        text = page.read_text(encoding="utf-8")
        master = page.stem + "_exercises.ipynb"
        expected = launch_links(f"exercises/{master}")
        assert ("Open it live:" in text) == bool(expected), page.name
        for url in expected.values():
            assert url in text, (page.name, url)


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


# ------------------------------------------------- one reading in every front end (issue 19)

# MyST that only the book renders: roles ({doc}`x`, {ref}`x`, ...), `(label)=` targets and
# directives (```{note} / :::{dropdown}). JupyterLab, Notebook and Colab show them raw.
MYST_ONLY = re.compile(r"\{[a-z][\w:-]*\}`|^\([\w.-]+\)=[ \t]*$|^(?:`{3,}|:{3,})[ \t]*\{[\w-]+\}",
                       re.M)
NOTEBOOKS = sorted(set(CHAPTERS) | set(EXERCISES) | set(MASTERS))


def _markdown_cells(path: Path) -> list[tuple[str, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(f"{_rel(path)} cell {i}", c.source) for i, c in enumerate(nb.cells)
            if c.cell_type == "markdown"]


# The same roles in the md(f"...") prose of a code cell (an f-string doubles the braces).
CODE_ROLE = re.compile(r"\{\{?(?:doc|ref|numref|eq|download|term|cite|abbr|math)\}\}?`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_no_myst_only_markup_in_notebook_markdown(path):
    found = [(where, m.group(0)) for where, text in _markdown_cells(path)
             for m in MYST_ONLY.finditer(text)]
    nb = nbformat.read(path, as_version=4)
    found += [(f"{_rel(path)} cell {i}", m.group(0)) for i, c in enumerate(nb.cells)
              if c.cell_type == "code" for m in CODE_ROLE.finditer(c.source)]
    assert not found, (
        f"{len(found)} MyST roles/labels/directives, shown raw in JupyterLab and Colab: use "
        "plain Markdown links to the notebooks ([chapter 2](ch2_two_gates.ipynb#heading)), "
        "<details> for dropdowns, or run `python scripts/notebooks.py normalise`: "
        f"{found[:10]}")


def test_myst_pattern_catches_every_form():
    assert CODE_ROLE.search('md(f"the {{ref}}`below <x>`")')
    assert not CODE_ROLE.search('md(f"`{name}` is {value}")')
    for bad in ("{doc}`ch1`", "see {ref}`x <y>`", "(ch3-leaky)=", ":::{dropdown} More",
                "```{note}", "{numref}`fig`", "{download}`a.ipynb`"):
        assert MYST_ONLY.search(bad), bad
    for good in ("[chapter 1](ch1_why_grus.ipynb#why)", "$b_{hz}$", "f(x) = {x}",
                 "<details>\n<summary>More</summary>", "```python"):
        assert not MYST_ONLY.search(good), good


def _prose_cells(path: Path) -> list:
    """Code cells that write prose with ``md(...)`` (anywhere in the cell)."""
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code" and re.search(r"^md\(", c.source, re.M)]


@pytest.mark.parametrize("path", CHAPTERS, ids=_rel)
def test_prose_cells_show_their_prose_not_their_source(path):
    """The book removes these cells' input (remove-input); JupyterLab and Notebook collapse
    it (jupyter.source_hidden) and Colab shows the form title instead (cellView: form and a
    #@title line). A cell that also shows code (hide-input) must not write prose: the reader
    would read each sentence twice."""
    cells = _prose_cells(path)
    assert cells, f"{_rel(path)} writes no prose with md()?"
    for cell in cells:
        tags = cell.metadata.get("tags", [])
        where = f"{_rel(path)} cell {cell.get('id')}: {cell.source[:60]!r}"
        assert "remove-input" in tags, where
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, where
        assert cell.metadata.get("cellView") == "form", where
        assert cell.source.startswith("#@title "), where


def test_normalise_script_leaves_nothing_to_do():
    """Chapters, README.md and intro.md are what `python scripts/notebooks.py normalise`
    writes (rerun it after editing or merging chapters)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "scripts/notebooks.py", "check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _notebooks_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_notebooks",
                                                  ROOT / "scripts" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_normalise_rewrites_myst_and_hides_prose_code():
    nbm = _notebooks_module()
    where = ROOT / "chapters" / "ch3_interpolation.ipynb"
    known = {"ch2-reset": ("ch2_two_gates.ipynb", "where-the-reset-gate-acts", "Where it acts"),
             "ch3-x": ("ch3_interpolation.ipynb", "a-b", "A $z$ b")}
    text = ("(ch3-x)=\n## A $z$ b\n\nSee {ref}`ch2-reset`, {ref}`here <ch3-x>`, "
            "{doc}`chapter 2 <ch2_two_gates>` and {doc}`../exercises/ch3`.\n\n"
            ":::{dropdown} More\nbody *text*\n:::\n")
    out = nbm.plain_markdown(text, where, known)
    assert out == ("<!-- label: ch3-x -->\n## A $z$ b\n\nSee [Where it acts](ch2_two_gates.ipynb#where-the-reset-gate-"
                   "acts), [here](#a-b), [chapter 2](ch2_two_gates.ipynb) and "
                   "[Chapter 3 exercises: interpolation and gradient flow](../exercises/ch3.md)."
                   "\n\n<details>\n<summary>More</summary>\n\nbody *text*\n\n</details>\n")
    assert nbm.plain_markdown(out, where, known) == out  # idempotent
    assert nbm.heading_slug("## Why $z$ keeps `h_prev`: a test") == "why--keeps-h_prev-a-test"
    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[
        v4.new_markdown_cell("# T"),
        v4.new_code_cell("x = 1\nmd(f\"\"\"\n    x is {x}.\n    \"\"\")",
                         metadata={"tags": ["hide-input"]}),
        v4.new_code_cell("md('y')", metadata={"tags": ["remove-input"]})])
    once = nbm.normalise_notebook(nb, where.with_name("x.ipynb"), known)
    assert [c.source for c in once.cells[1:]] == [
        "x = 1", f"{nbm.TITLE}\nmd(f\"\"\"\n    x is {{x}}.\n    \"\"\")",
        f"{nbm.TITLE}\nmd('y')"]
    assert [c.metadata.get("tags") for c in once.cells[1:]] == [
        ["hide-input"], ["remove-input"], ["remove-input"]]
    assert all(c.metadata["jupyter"]["source_hidden"] for c in once.cells[2:])
    twice = nbm.normalise_notebook(once, where.with_name("x.ipynb"), known)
    assert nbformat.writes(twice) == nbformat.writes(once)
