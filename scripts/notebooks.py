"""Keep the chapter notebooks readable in every front end, and the install lines in step.

``python scripts/notebooks.py normalise``  rewrite ``chapters/*.ipynb``, ``README.md`` and
                                           ``intro.md`` in place (idempotent)
``python scripts/notebooks.py check``      exit 1, naming the files, if ``normalise`` would
                                           change anything (``tests/test_notebooks_meta.py``)

What ``normalise`` does to each chapter (JupyterLab, the classic Notebook and Colab do not
read the book's MyST, nor its cell tags):

* the first code cell is :data:`utils.grading.exercises.INSTALL_CELL` (tag ``remove-cell``),
  generated from the repository URL setting (:mod:`utils.site_config`);
* a code cell the book shows collapsed (``hide-input``) that ends with a ``md(...)`` sentence
  is split in two: the code, and the sentence in a cell of its own (``remove-input``), so that
  a reader of the notebook does not read the sentence twice (in the code and in its output);
* every ``remove-input`` cell gets its input hidden where the reader is: ``jupyter.
  source_hidden`` (JupyterLab, Notebook 7) and Colab's form view (``cellView: form`` and a
  ``#@title`` first line, without which Colab shows the code);
* MyST-only markup in Markdown cells (and in the ``md(...)`` prose of code cells) becomes
  plain Markdown that every front end renders and the book resolves: a ``(label)=`` target
  becomes an HTML comment (``<!-- label: name -->``, shown nowhere, kept so that a ``{ref}``
  merged in later still resolves), ``{ref}`` a link to the heading's anchor
  (``myst_heading_anchors`` in ``_config.yml``), ``{doc}`` a link to the notebook or page
  file, ``:::{dropdown}`` an HTML ``<details>`` block;
* no outputs, no execution counts (what ``nbstripout`` keeps in the index).

The exercise masters (``solutions/``) only get the current install cell (``make exercises``
then regenerates ``exercises/``).

The README's and the landing page's install lines sit between ``<!-- install:start -->`` and
``<!-- install:end -->`` and are rewritten from the same setting; the landing page's chapter
map (``<!-- chapter-map:start -->``) and each chapter's second cell (id ``orientation``) give
the reading and exercise times (:mod:`utils.orientation`) and what the reader will be able to
do afterwards (``scripts/orientation.yml``).
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402
from mdit_py_plugins.dollarmath import dollarmath_plugin  # noqa: E402

from utils.grading.exercises import INSTALL_CELL, INSTALL_TAGS, is_install_cell  # noqa: E402
from utils.orientation import (  # noqa: E402
    CODE_LINES_PER_MINUTE, MEASURED_READING, MINUTES_PER_FIGURE, ORIENTATION_ID,
    WORDS_PER_MINUTE, exercise_minutes, hours_minutes, outcomes, reading)
from utils.site_config import repository_url, wheel_name  # noqa: E402

CHAPTERS = ROOT / "chapters"
TITLE = "#@title Computed output (its code is hidden)"
LABEL = re.compile(r"^\(([\w.-]+)\)=[ \t]*$", re.M)
# A label kept for later references as an HTML comment, which no front end shows.
LABELLED_HEADING = re.compile(
    r"^(?:\(([\w.-]+)\)=|<!-- label: ([\w.-]+) -->)[ \t]*\n+(#{1,6}[ \t]+.+)$", re.M)
ROLE = re.compile(r"\{(doc|ref)\}`([^`<]*?)(?:\s*<([^`>]+)>)?`")
# the same in a code cell's md(f"...") prose, where an f-string doubles the braces
CODE_ROLE = re.compile(r"\{\{?(doc|ref)\}\}?`([^`<]*?)(?:\s*<([^`>]+)>)?`")
DROPDOWN = re.compile(r"^(:{3,})\{dropdown\}[ \t]*([^\n]*)\n(.*?)^\1[ \t]*$", re.M | re.S)
_MD = MarkdownIt("commonmark").use(dollarmath_plugin)


def heading_slug(heading_line: str) -> str:
    """The anchor MyST gives a heading (``myst_heading_anchors``): its text and inline code,
    math left out, lower case, spaces to ``-``, other punctuation dropped."""
    inline = [t for t in _MD.parse(heading_line) if t.type == "inline"][0]
    title = "".join(c.content for c in inline.children or []
                    if c.type in ("text", "code_inline"))
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", title.lower().replace(" ", "-"))


def heading_text(heading_line: str) -> str:
    return heading_line.lstrip("#").strip()


def labels(paths: list[Path]) -> dict[str, tuple[str, str, str]]:
    """``label -> (notebook file name, heading anchor, heading text)`` for every ``(label)=``
    placed right above a heading."""
    found = {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for m in LABELLED_HEADING.finditer(cell.source):
                    found[m.group(1) or m.group(2)] = (path.name, heading_slug(m.group(3)),
                                                       heading_text(m.group(3)))
    return found


def _doc_file(where: Path, target: str) -> str:
    """``{doc}`` target -> the file it names, relative to ``where``'s folder."""
    base = (where.parent / target) if not target.startswith("/") else ROOT / target[1:]
    for suffix in (".ipynb", ".md"):
        if base.with_suffix(suffix).is_file():
            rel = Path(target).with_suffix(suffix)
            return rel.as_posix().lstrip("/")
    raise ValueError(f"{where.name}: {{doc}}`{target}` names no notebook or page")


def _doc_title(where: Path, target: str) -> str:
    path = where.parent / _doc_file(where, target)
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    m = re.search(r"^#\s+(.+)$", text, re.M)
    return m.group(1).strip() if m else Path(target).stem


def plain_markdown(text: str, where: Path, known: dict[str, tuple[str, str, str]],
                   code: bool = False) -> str:
    """``text`` (a Markdown cell of ``where``) without MyST-only markup (module docstring);
    ``code``: ``text`` is a code cell, whose ``md(...)`` prose may hold roles (only those
    are rewritten)."""
    def role(m: re.Match) -> str:
        kind, shown, target = m.group(1), m.group(2).strip(), m.group(3)
        if target is None:
            target, shown = shown, ""
        target = target.strip()
        if kind == "doc":
            return f"[{shown or _doc_title(where, target)}]({_doc_file(where, target)})"
        if target not in known:
            raise ValueError(f"{where.name}: {{ref}}`{target}` names no label above a heading")
        file, slug, title = known[target]
        href = f"#{slug}" if file == where.name else f"{file}#{slug}"
        return f"[{shown or title}]({href})"

    def dropdown(m: re.Match) -> str:
        body = m.group(3).strip("\n")
        return (f"<details>\n<summary>{m.group(2).strip()}</summary>\n\n{body}\n\n"
                "</details>")

    if code:
        return CODE_ROLE.sub(role, text)
    text = ROLE.sub(role, text)
    text = DROPDOWN.sub(dropdown, text)
    return LABEL.sub(lambda m: f"<!-- label: {m.group(1)} -->", text)


def _ends_with_md(source: str) -> int | None:
    """Line (0-based) where the trailing top-level ``md(...)`` call of ``source`` starts, if
    the cell has code before it; else ``None``."""
    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython magics: leave the cell alone
        return None
    if len(body) < 2:
        return None
    last = body[-1]
    if (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name) and last.value.func.id == "md"):
        return last.lineno - 1
    return None


def _split_prose(nb: nbformat.NotebookNode) -> None:
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code" or "hide-input" not in cell.metadata.get("tags", []):
            continue
        line = _ends_with_md(cell.source)
        if line is None:
            continue
        lines = cell.source.split("\n")
        cell.source = "\n".join(lines[:line]).rstrip("\n")
        prose = nbformat.v4.new_code_cell("\n".join(lines[line:]),
                                          metadata={"tags": ["remove-input"]})
        prose["id"] = f"{cell.get('id', 'cell')}-prose"[:64]
        cells.append(prose)
    nb.cells = cells


def _hide_input(cell: nbformat.NotebookNode) -> None:
    if not cell.source.startswith("#@title"):
        cell.source = f"{TITLE}\n{cell.source}"
    cell.metadata["cellView"] = "form"
    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True


def _exercise_page(stem: str) -> str | None:
    """``exercises/chN.md`` for chapter ``chN_...`` (relative to ``chapters/``), if any."""
    page = f"{stem.split('_')[0]}.md"
    return f"../exercises/{page}" if (ROOT / "exercises" / page).is_file() else None


def _exercise_minutes(stem: str) -> int:
    """The working time of the chapter's exercise set: its questions and graded predictions."""
    from utils.checks import items
    from utils.grading.exercises import is_prediction

    graded = items(f"{stem.split('_')[0]}_exercises")  # 3.3 is an exercise graded as a choice
    n_predictions = sum(is_prediction(q) for q in graded)
    return exercise_minutes(len(graded) - n_predictions, n_predictions)


def orientation_text(path: Path) -> str:
    """The chapter's orientation: reading time, exercise time, what the reader can do after."""
    info = outcomes()["chapters"][path.stem]
    minutes = reading(path).rounded
    parts = [f"<!-- Generated by `python scripts/notebooks.py normalise` from "
             f"scripts/orientation.yml; edit there. -->",
             f"**Reading time:** about {hours_minutes(minutes)}."]
    page = _exercise_page(path.stem)
    if page:
        work = hours_minutes(_exercise_minutes(path.stem))
        parts[-1] += f" **Exercises:** about {work} ([the exercises]({page}))."
    parts += ["", "After this chapter you can", ""]
    parts += [f"- {item}" for item in info["outcomes"]]
    return "\n".join(parts)


def _with_orientation(nb: nbformat.NotebookNode, path: Path) -> None:
    nb.cells = [c for c in nb.cells if c.get("id") != ORIENTATION_ID]
    cell = nbformat.v4.new_markdown_cell(orientation_text(path))
    cell["id"] = ORIENTATION_ID
    nb.cells.insert(1, cell)


def normalise_notebook(nb: nbformat.NotebookNode, where: Path,
                       known: dict[str, tuple[str, str, str]]) -> nbformat.NotebookNode:
    """The normalised copy of chapter ``nb`` (read from ``where``)."""
    nb = copy.deepcopy(nb)
    if where.stem in outcomes()["chapters"]:
        _with_orientation(nb, where)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code and is_install_cell(code[0]):
        code[0].source = INSTALL_CELL
        tags = code[0].metadata.setdefault("tags", [])
        tags += [t for t in INSTALL_TAGS if t not in tags]
    _split_prose(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = plain_markdown(cell.source, where, known)
        elif cell.cell_type == "code":
            cell.source = plain_markdown(cell.source, where, known, code=True)
            cell.outputs = []
            cell.execution_count = None
            if "remove-input" in cell.metadata.get("tags", []):
                _hide_input(cell)
    return nb


# ------------------------------------------------------------------ README and landing page

def install_block(doc: str) -> str:
    """The generated install lines of ``doc`` (``README.md`` or ``intro.md``)."""
    url, wheel = repository_url(ROOT), wheel_name(ROOT)
    cpu = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    lines = []
    if doc == "intro.md":
        lines += [f"Download the course package, {{download}}`{wheel} </_build/wheel/{wheel}>`, "
                  "and install it (in a notebook: `%pip install ...`):", ""]
    lines += ["```bash",
              "# without a GPU, first the CPU build of PyTorch (else pip fetches the CUDA build):",
              cpu,
              f"pip install {wheel}   # the course wheel, downloaded from the course site"]
    if url:
        lines += ["# or straight from the repository:", f'pip install "gru-course @ git+{url}"']
    lines.append("```")
    return "\n".join(lines)


def chapter_map() -> str:
    """The landing page's chapter map: question, reading time, exercise time."""
    info = outcomes()["chapters"]
    rows = ["| chapter | the question it answers | reading | exercises |", "|---|---|---|---|"]
    for path in chapters(ROOT):
        if path.stem not in info:
            continue
        ch = info[path.stem]
        page = _exercise_page(path.stem)
        work = (f"[{hours_minutes(_exercise_minutes(path.stem))}]"
                f"({page.removeprefix('../')})" if page else "")
        rows.append(f"| [{ch['short']}](chapters/{path.name}) | {ch['question']} | "
                    f"{hours_minutes(reading(path).rounded)} | {work} |")
    rows += ["| [Exercises](exercises/index.md) | Graded exercises for each chapter, checked "
             "as you go. | | |",
             "| [Benchmarks](benchmarks.md) | How fast are the course's cells compared with "
             "`torch.nn`? | | |",
             "",
             "Reading times are estimated from each chapter's length: "
             f"{WORDS_PER_MINUTE} words a minute, {CODE_LINES_PER_MINUTE} lines of code a "
             f"minute, {MINUTES_PER_FIGURE:g} minute per figure or demo. Readers new to the "
             f"course took {MEASURED_READING[0]} to {MEASURED_READING[1]} minutes per chapter, "
             "and about an hour per exercise set."]
    return "\n".join(rows)


BLOCKS = {"install": install_block, "chapter-map": lambda doc: chapter_map()}
DOC_BLOCKS = {"README.md": ("install",), "intro.md": ("chapter-map", "install")}


def normalise_doc(text: str, doc: str) -> str:
    for name in DOC_BLOCKS[doc]:
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
        if not pattern.search(text):
            raise ValueError(f"{doc} has no {start} ... {end} block")
        block = BLOCKS[name](doc)
        text = pattern.sub(lambda _: f"{start}\n{block}\n{end}", text)
    return text


# ----------------------------------------------------------------------------------- main

def chapters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "chapters").glob("*.ipynb"))


def planned(root: Path = ROOT) -> dict[Path, str]:
    """Every file ``normalise`` writes, with the text it would write."""
    paths = chapters(root)
    known = labels(paths)
    out = {}
    for path in paths:
        nb = normalise_notebook(nbformat.read(path, as_version=4), path, known)
        out[path] = nbformat.writes(nb) + "\n"
    for path in sorted((root / "solutions").glob("*.ipynb")):
        # the exercise masters carry the install cell too (the generator moves it first)
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if is_install_cell(cell):
                cell.source = INSTALL_CELL
        out[path] = nbformat.writes(nb) + "\n"
    for doc in ("README.md", "intro.md"):
        path = root / doc
        out[path] = normalise_doc(path.read_text(encoding="utf-8"), doc)
    return out


def stale(root: Path = ROOT) -> list[str]:
    """Files that ``normalise`` would change (relative paths)."""
    return [str(p.relative_to(root)) for p, text in planned(root).items()
            if p.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/notebooks.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("normalise", "check"))
    args = parser.parse_args(argv)
    if args.command == "check":
        bad = stale()
        if bad:
            print("Not normalised (run `python scripts/notebooks.py normalise`): "
                  + ", ".join(bad), file=sys.stderr)
            return 1
        print("chapters, README.md and intro.md are normalised")
        return 0
    for path, text in planned().items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
