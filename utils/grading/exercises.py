"""Generate everything learners see from the otter master notebooks in ``solutions/``.

``python scripts/exercises.py build``       student notebooks ``exercises/chN_exercises.ipynb``
                                            and site pages ``exercises/chN.md``
``python scripts/exercises.py check``       fail if the committed files differ from a fresh build
``python scripts/exercises.py autograder``  ``otter assign`` (running the tests on the solutions)
                                            into ``dist/chN_exercises/`` (the Gradescope zip)

The otter tests call ``utils.checks.run_check``, and the Gradescope image does not have this
repository. So ``otter assign`` runs on a staged copy of the master whose assignment config
also ships :data:`BUNDLE_FILES` (the course package without the batch grader; the checkers
need only NumPy) as otter ``files`` and lists :data:`BUNDLE_REQUIREMENTS`. At grading time
otter copies ``files`` into the submission directory, the notebook kernel's working
directory, so ``import utils`` finds that copy: nothing has to be installed.

Every student notebook starts with :data:`INSTALL_CELL` (before otter's init cell), so that a
notebook downloaded from the site or opened in Colab or a JupyterHub installs the course
package first; where ``utils`` imports (this repository, an autograder bundle, which ships
``utils/report.py`` for that reason) it does nothing.

Otter keeps the public tests in the student notebook's metadata, which it cannot read on
Colab (the kernel never sees the notebook file). So ``build`` also writes them as otter test
files into the package, ``utils/otter_tests/<assignment>/<question>.py`` (committed; ``check``
fails when they are stale), and the student notebook's init cell is :data:`INIT_CELL`, which
points otter at them (:func:`utils.otter_tests.otter_args`): ``grader.check("q2_1")`` runs the
same test file in Jupyter and on Colab.

Pages show the statement, the stub, the hint and the solution collapsed in a dropdown. With
``--student`` or ``GRU_COURSE_STUDENT_SITE=1``, ``build`` rewrites the pages in place without
solutions, for building a student site (``make book`` right after). Those pages must not be
committed: ``build`` without the switch restores them, and ``check`` (run by the tests) fails
while the student variant is in place, saying so.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

from utils.checks import ASSIGNMENTS, Prediction, hint_steps
from utils.checks import items as graded_items

ROOT = Path(__file__).resolve().parents[2]
STUDENT_ENV = "GRU_COURSE_STUDENT_SITE"
STUDENT_NOTE = "Solutions are not published on this site."  # marks a student-variant page


def masters(root: Path = ROOT) -> list[Path]:
    """The registered otter master notebooks, ``solutions/chN_exercises.ipynb``."""
    return [root / "solutions" / f"{name}.ipynb" for name in ASSIGNMENTS
            if (root / "solutions" / f"{name}.ipynb").exists()]


# Shipped in every autograder bundle (paths relative to the repository root): the course
# package without the batch grader (utils/grade.py, utils/grading/) and without the public
# test files (when grading, otter replaces the tests directory; utils/otter_tests/__init__.py,
# standard library only, stays for the init cell's import). So the checkers (NumPy only) run
# the otter tests, the install cell's `import utils.report` succeeds, and an answer cell that
# imports a course module to compare (`from utils.numpy_cells import GRUCell`) runs as it
# does in the notebook and in `python -m utils.grade` (exercises/README.md, trust model).
BUNDLE_FILES = ("utils",)
BUNDLE_EXCLUDE = ("utils/grade.py", "utils/grading", "utils/otter_tests/ch*_exercises")
# What an honest answer may use, so that otter run on Gradescope's image gives the verdict
# grader.check gives (the trust model): NumPy, SciPy (expit & co.) and PyTorch (an autograd
# comparison, utils.torch_cells), the CPU build, as requirements.txt pins it for the course.
BUNDLE_REQUIREMENTS = ("numpy>=1.26,<3", "scipy>=1.11",
                       "--extra-index-url https://download.pytorch.org/whl/cpu", "torch>=2.2")
_CONFIG_HEADER = "# ASSIGNMENT CONFIG"


def stage_master(master: Path, stage: Path, root: Path = ROOT) -> Path:
    """Copy ``master`` into ``stage`` next to :data:`BUNDLE_FILES`, adding them (and
    :data:`BUNDLE_REQUIREMENTS`) to its otter assignment config; return the staged master."""
    nb = nbformat.read(master, as_version=4)
    configs = [c for c in nb.cells
               if c.cell_type == "raw" and c.source.lstrip().startswith(_CONFIG_HEADER)]
    if len(configs) != 1:
        raise RuntimeError(f"{master}: expected one raw `{_CONFIG_HEADER}` cell, "
                           f"found {len(configs)}")
    config = yaml.safe_load(configs[0].source.split("\n", 1)[1]) or {}
    top = sorted({f.split("/")[0] for f in BUNDLE_FILES})
    config["files"] = list(dict.fromkeys([*config.get("files", []), *top]))
    config["requirements"] = list(dict.fromkeys([*config.get("requirements", []),
                                                 *BUNDLE_REQUIREMENTS]))
    configs[0].source = f"{_CONFIG_HEADER}\n" + yaml.safe_dump(config, sort_keys=False)
    stage.mkdir(parents=True, exist_ok=True)
    def ignore(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).resolve().relative_to(root.resolve())
        skipped = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
        return skipped | {n for n in names if any((rel / n).match(pattern) and len(
            (rel / n).parts) == len(Path(pattern).parts) for pattern in BUNDLE_EXCLUDE)}

    for rel in BUNDLE_FILES:
        src, dst = root / rel, stage / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=ignore)
        else:
            shutil.copy2(src, dst)
    staged = stage / master.name
    nbformat.write(nb, staged)
    return staged


def otter_assign(master: Path, out: Path, run_tests: bool) -> None:
    """``otter assign`` on a staged copy of ``master`` (see :func:`stage_master`):
    ``out/student/`` and ``out/autograder/`` (with the zip)."""
    with tempfile.TemporaryDirectory() as tmp:
        staged = stage_master(master, Path(tmp))
        cmd = [sys.executable, "-m", "otter", "assign", str(staged), str(out.resolve())]
        if not run_tests:
            cmd.insert(4, "--no-run-tests")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
    if proc.returncode != 0:
        raise RuntimeError(f"otter assign failed for {master}:\n{proc.stdout}\n{proc.stderr}")


# The first cell of every chapter and exercise notebook (CONTRIBUTING.md, "Notebooks"). The
# site does not show it (tag remove-cell). It installs the wheel the site serves when one sits
# next to the notebook (Colab: uploaded), else from the repository once its URL is set
# (_config.yml's repository.url, utils.site_config), and otherwise stops with what to do.
NOT_INSTALLED = "The course package (gru-course) is not installed"


def install_cell(url: str = "", wheel: str = "gru_course-0.1.0-py3-none-any.whl") -> str:
    """The install cell's source: install from a ``gru_course-*.whl`` in the working folder,
    else (only when ``url`` is set) from the repository at ``url``; if ``utils`` still does
    not import, raise one error that says how to get ``wheel`` (the site's file)."""
    lines = [
        "# Outside the course repository (Colab, a JupyterHub, a downloaded notebook)? This "
        "installs the",
        "# course package once; where `utils` already imports it does nothing. If it cannot,",
        "# it stops here and says what to do.",
        "try:",
        "    import utils.report  # noqa: F401",
        "except ImportError:",
        "    import glob, importlib",
        '    wheels = sorted(glob.glob("gru_course-*.whl"))  # downloaded from the course site',
        "    if wheels:",
        "        %pip install -q {wheels[-1]}",
    ]
    if url:
        lines += ["    else:", f'        %pip install -q "gru-course @ git+{url}"']
    lines += [
        "    importlib.invalidate_caches()",
        "    try:",
        "        import utils.report  # noqa: F401",
        "    except ImportError:",
        f'        wheel = "{wheel}"',
        "        raise RuntimeError(",
        f'            f"{NOT_INSTALLED}. Download {{wheel}} from the course "',
        '            "site (landing page or any exercise page), put it next to this notebook "',
        '            "(Colab: upload it in the Files pane) and run this cell again, or run "',
        '            f"`pip install {wheel}` and restart the kernel.") from None',
    ]
    return "\n".join(lines)


def _repository_url() -> str:
    from utils.site_config import repository_url

    return repository_url(ROOT)


def _install_cell() -> str:
    from utils.site_config import repository_url, wheel_name

    return install_cell(repository_url(ROOT), wheel_name(ROOT))


INSTALL_CELL = _install_cell()
REPOSITORY_URL = _repository_url()
INSTALL_TAGS = ("remove-cell",)


def is_install_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether ``cell`` is the install cell (a copy in a master included)."""
    first = INSTALL_CELL.split("\n", 1)[0]
    return cell.cell_type == "code" and (cell.source.strip() == INSTALL_CELL.strip()
                                         or cell.source.startswith(first))


def with_install_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with :data:`INSTALL_CELL` as its first cell, before otter's init cell (a copy
    the master carries elsewhere is moved there)."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not is_install_cell(c)]
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        INSTALL_CELL, metadata={"tags": list(INSTALL_TAGS)}))
    return nb


# otter assign's init cell (runs_on: default), and what replaces it in the student notebook:
# the same, with otter pointed at the public tests shipped in the package (utils.otter_tests),
# which it also finds on Colab. utils/grade.py recognises both (its _OTTER_CELL and identify).
OTTER_INIT_CELL = '# Initialize Otter\nimport otter\ngrader = otter.Notebook("{notebook}")'
INIT_CELL = ("# Initialize Otter\n"
             "import otter\n"
             "from utils.otter_tests import otter_args  # the tests, found on Colab too\n"
             'grader = otter.Notebook(**otter_args("{notebook}"))')
TESTS_DIR = Path("utils") / "otter_tests"  # relative to the repository root


def with_packaged_tests(nb: nbformat.NotebookNode, notebook: str) -> nbformat.NotebookNode:
    """``nb`` (otter's student notebook ``notebook``) with otter's init cell replaced by
    :data:`INIT_CELL` (same metadata: locked)."""
    nb = copy.deepcopy(nb)
    old = OTTER_INIT_CELL.format(notebook=notebook)
    inits = [c for c in nb.cells if c.cell_type == "code" and c.source.strip() == old]
    if len(inits) != 1:
        raise RuntimeError(f"{notebook}: expected one otter init cell `{old}`, "
                           f"found {len(inits)}")
    inits[0].source = INIT_CELL.format(notebook=notebook)
    return nb


def public_tests(nb: nbformat.NotebookNode) -> dict[str, str]:
    """The public tests otter stored in the student notebook's metadata, as test files:
    ``{"q2_1.py": source}``."""
    tests = nb.metadata.get("otter", {}).get("tests", {})
    if not tests:
        raise RuntimeError("the student notebook holds no otter tests in its metadata "
                           "(the master's config must keep `tests: files: false`)")
    header = "# Generated by `python scripts/exercises.py build`; do not edit.\n"
    return {f"{name}.py": header + src.rstrip("\n") + "\n" for name, src in sorted(tests.items())}


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop volatile parts: random cell ids become ``cell-NN``, no outputs or counts."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def student_notebook(master: Path, out: Path | None = None) -> nbformat.NotebookNode:
    """Run ``otter assign --no-run-tests`` (into ``out`` if given, else a temporary
    directory) and return the normalised student notebook, :data:`INSTALL_CELL` first and
    :data:`INIT_CELL` second."""
    with tempfile.TemporaryDirectory() as tmp:
        out = out or Path(tmp) / "out"
        otter_assign(master, out, run_tests=False)
        nb = nbformat.read(out / "student" / master.name, as_version=4)
    return normalise(with_install_cell(with_packaged_tests(nb, master.name)))


_PROMPT = re.compile(r"^[ \t]*\"\"\" # BEGIN PROMPT\n.*?^[ \t]*\"\"\" # END PROMPT\n", re.S | re.M)
_MARKERS = re.compile(r"^[ \t]*# (BEGIN SOLUTION( NO PROMPT)?|END SOLUTION)[ \t]*\n?", re.M)
_LINE_MARKER = re.compile(r"[ \t]*# SOLUTION[ \t]*$", re.M)  # `x = 5  # SOLUTION` -> `x = ...`


def solution_code(source: str) -> str:
    """The master's answer cell as the solution reads: prompt block and markers removed."""
    code = _MARKERS.sub("", _PROMPT.sub("", source.rstrip("\n") + "\n"))
    return _LINE_MARKER.sub("", code).rstrip("\n")


def hint_block(hint: str | tuple[str, ...]) -> list[str]:
    """A hint as the page shows it: one text, or its numbered steps."""
    steps = hint_steps(hint)
    if len(steps) == 1:
        return [steps[0]]
    return [line for i, step in enumerate(steps, 1)
            for line in ([""] if i > 1 else []) + [f"Step {i}. {step}"]]


def _master_parts(master_nb: nbformat.NotebookNode) -> tuple[str, list[dict[str, str]], str]:
    """Intro markdown, per question its statement and solution code, and closing markdown."""
    intro, items, outro, current, block = [], [], [], None, None
    for cell in master_nb.cells:
        src = cell.source
        if cell.cell_type == "raw":
            if src.startswith("# BEGIN QUESTION"):
                name = re.search(r"name:\s*(\S+)", src).group(1)
                current = {"name": name, "statement": "", "solution": ""}
                items.append(current)
            elif src.startswith("# END QUESTION"):
                current = None
            elif src.startswith("# BEGIN"):
                block = src.split()[2].lower()
            elif src.startswith("# END"):
                block = None
            continue
        if current is None:
            if cell.cell_type == "markdown":
                (outro if items else intro).append(src)
            continue
        if cell.cell_type == "markdown" and block is None:
            current["statement"] += src + "\n"
        elif cell.cell_type == "code" and block == "solution":
            current["solution"] += solution_code(src)
    return "\n\n".join(intro), items, "\n\n".join(outro)


def _orientation(master: Path, n_questions: int, n_predictions: int = 0) -> list[str]:
    """Working time and what the learner can do afterwards (``scripts/orientation.yml``)."""
    from utils.orientation import ORIENTATION_FILE, exercise_minutes, hours_minutes, outcomes

    if not ORIENTATION_FILE.is_file():
        return []
    info = outcomes().get("exercises", {}).get(master.stem)
    minutes = exercise_minutes(n_questions, n_predictions)
    guesses = (f" and {n_predictions} graded prediction{'s' * (n_predictions != 1)}"
               if n_predictions else "")
    lines = [f"**Working time:** about {hours_minutes(minutes)} "
             f"({n_questions} exercises{guesses})."]
    if info:
        lines += ["", "After these exercises you can", "",
                  *[f"- {item}" for item in info["outcomes"]]]
    return [*lines, ""]


def _launch(master: Path, root: Path) -> list[str]:
    """Links that open the exercise notebook live (none while the repository URL is unset)."""
    from utils.site_config import launch_links

    links = launch_links(f"exercises/{master.name}", root)
    if not links:
        return []
    return ["Open it live: " + " · ".join(f"[{name}]({url})" for name, url in links.items())
            + ".", ""]


def page(master: Path, student_nb: nbformat.NotebookNode, with_solutions: bool,
         root: Path = ROOT) -> str:
    """The MyST page for one assignment: statement, stub, hint, solution in a dropdown."""
    from utils.site_config import wheel_name

    master_nb = nbformat.read(master, as_version=4)
    intro, items, outro = _master_parts(master_nb)
    stubs = [c.source for c in student_nb.cells if "otter_answer_cell" in c.metadata.get(
        "tags", [])]
    qs = {q.name: q for q in graded_items(master.stem)}
    if len(stubs) != len(items):
        raise RuntimeError(f"{master}: {len(items)} questions but {len(stubs)} answer cells")
    out = [f"<!-- Generated by `python scripts/exercises.py build` from solutions/"
           f"{master.name}; edit the master notebook, not this page. -->", "",
           intro.strip(), "", *_orientation(master, sum(
               not is_prediction(qs.get(item["name"])) for item in items), sum(
               is_prediction(qs.get(item["name"])) for item in items)),
           f"{{download}}`Download the exercise notebook <{master.stem}.ipynb>` and open it in "
           "Jupyter: in a clone of the repository (`make lab`), or anywhere else, where its "
           "first cell installs the course package: put the course wheel, "
           f"{{download}}`{wheel_name(root)} </_build/wheel/{wheel_name(root)}>`, next to it "
           "(or `pip install` it). Each exercise has a `grader.check(...)` cell that tells "
           "you what is right or wrong.", "", *_launch(master, root)]
    for item, stub in zip(items, stubs):
        q = qs[item["name"]]
        out += [item["statement"].strip(), "", "```python", stub.rstrip(), "```", "",
                ":::{dropdown} Hint", "```text", *hint_block(q.hint), "```", ":::", ""]
        if with_solutions and isinstance(q, Prediction):
            out += [":::{dropdown} Answer and why", "```python", item["solution"], "```", "",
                    q.explanation.strip(), ":::", ""]
        elif with_solutions:
            out += [":::{dropdown} Solution", "```python", item["solution"], "```", ":::", ""]
    if not with_solutions:
        out += ["```{note}", STUDENT_NOTE, "```", ""]
    out += [outro.strip()]
    return "\n".join(out).rstrip("\n") + "\n"


def is_prediction(q: object) -> bool:
    """Whether a graded item is listed as a prediction (not an exercise graded as a choice)."""
    return isinstance(q, Prediction) and q.is_prediction


def page_name(master: Path) -> str:
    return master.stem.replace("_exercises", "") + ".md"


INDEX = Path("exercises") / "index.md"  # relative to the repository root
INDEX_BEGIN = ("<!-- BEGIN GENERATED by `python scripts/exercises.py build` from the masters' "
               "headings: edit solutions/, not these lines. -->")
INDEX_END = "<!-- END GENERATED -->"


def _chapter_title(root: Path, n: str) -> str:
    """The chapter's own title (its notebook's first ``#`` heading, before any colon)."""
    for path in sorted((root / "chapters").glob(f"ch{n}_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            found = re.search(r"^# (.+?)\s*$", cell.source, re.M)
            if cell.cell_type == "markdown" and found:
                return found.group(1).split(":")[0].rstrip("?").strip()
    return f"Chapter {n}"


def _short(title: str) -> str:
    """ "Exercise 2.1: both gates (derive)" -> "2.1 both gates (derive)"."""
    found = re.match(r"(?:Exercise|Prediction)\s+([\d.]+):\s*(.+)", title)
    return f"{found.group(1)} {found.group(2)}" if found else title


def headings(master: Path) -> dict[str, str]:
    """Question name -> the heading its statement opens with, as the learner reads it
    ("Exercise 2.1: ... (derive)", "Prediction 2.1: ...")."""
    out = {}
    for item in _master_parts(nbformat.read(master, as_version=4))[1]:
        found = re.search(r"^##\s+(.+?)\s*$", item["statement"], re.M)
        out[item["name"]] = found.group(1) if found else item["name"]
    return out


def index_table(root: Path = ROOT) -> str:
    """The exercise index's table, one row per assignment: each exercise and prediction by
    the heading its notebook gives it, in the notebook's order."""
    rows = ["| Chapter | Exercises | Graded predictions | Notebook |", "|---|---|---|---|"]
    for master in masters(root):
        n = master.stem[2:].split("_")[0]
        graded = graded_items(master.stem)
        title = headings(master)
        exercises = "; ".join(_short(title.get(q.name, q.title)) for q in graded
                              if not is_prediction(q))
        predictions = "; ".join(_short(title.get(q.name, q.title)) for q in graded
                                if is_prediction(q))
        rows.append(f"| {n}. {_chapter_title(root, n)} | {{doc}}`{page_name(master)[:-3]}`: "
                    f"{exercises} | {predictions or '—'} | "
                    f"{{download}}`{master.name}` |")
    return "\n".join(rows)


def with_index(text: str, table: str) -> str:
    """``text`` (exercises/index.md) with its generated part replaced by ``table``."""
    if INDEX_BEGIN not in text or INDEX_END not in text:
        raise RuntimeError(f"{INDEX}: expected the markers {INDEX_BEGIN!r} and {INDEX_END!r}")
    head, rest = text.split(INDEX_BEGIN, 1)
    return f"{head}{INDEX_BEGIN}\n{table}\n{INDEX_END}{rest.split(INDEX_END, 1)[1]}"


def build(root: Path, out_dir: Path, with_solutions: bool,
          tests_dir: Path | None = None) -> list[Path]:
    """Write the student notebooks and pages for every master into ``out_dir``, and their
    public tests into ``tests_dir/<assignment>/`` (default: the package's
    :data:`TESTS_DIR`; test files of questions that no longer exist are removed)."""
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    tests_dir = root / TESTS_DIR if tests_dir is None else tests_dir
    for master in masters(root):
        nb = student_notebook(master)
        nb_path = out_dir / master.name
        nb_path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
        page_path = out_dir / page_name(master)
        page_path.write_text(page(master, nb, with_solutions, root), encoding="utf-8")
        written += [nb_path, page_path]
        folder = tests_dir / master.stem
        folder.mkdir(parents=True, exist_ok=True)
        files = public_tests(nb)
        for old in folder.glob("*.py"):
            if old.name not in files:
                old.unlink()
        for name, src in files.items():
            (folder / name).write_text(src, encoding="utf-8")
            written.append(folder / name)
    index = root / INDEX
    if index.is_file():  # the index, written next to the pages (a copy in ``out_dir``)
        target = out_dir / INDEX.name
        target.write_text(with_index(index.read_text(encoding="utf-8"), index_table(root)),
                          encoding="utf-8")
        written.append(target)
    return written


def check(root: Path) -> list[str]:
    """Names of committed generated files that differ from a fresh build (empty: up to date):
    ``exercises/`` and the packaged public tests (:data:`TESTS_DIR`)."""
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        out, tests = Path(tmp) / "exercises", Path(tmp) / "otter_tests"
        fresh_files = build(root, out, with_solutions=True, tests_dir=tests)
        for fresh in fresh_files:
            rel = (Path("exercises") / fresh.relative_to(out) if fresh.is_relative_to(out)
                   else TESTS_DIR / fresh.relative_to(tests))
            committed = root / rel
            if not committed.exists():
                stale.append(f"{rel.as_posix()} (missing)")
            elif committed.read_text(encoding="utf-8") != fresh.read_text(encoding="utf-8"):
                student = STUDENT_NOTE in committed.read_text(encoding="utf-8")
                stale.append(rel.as_posix() + (
                    " (the student variant, without solutions)" if student else ""))
        for folder in sorted(tests.iterdir()) if tests.is_dir() else []:
            for extra in sorted((root / TESTS_DIR / folder.name).glob("*.py")):
                if not (folder / extra.name).exists():
                    stale.append(f"{(TESTS_DIR / folder.name / extra.name).as_posix()} "
                                 "(no such question)")
    return stale


def autograder(root: Path, dist: Path) -> list[Path]:
    """``otter assign`` with the tests run on the solutions; outputs in ``dist/<name>/``,
    the bundle also at the stable path ``dist/<name>/autograder.zip`` (otter's own file name
    carries a timestamp)."""
    outs = []
    for master in masters(root):
        out = dist / master.stem
        if out.exists():
            shutil.rmtree(out)
        otter_assign(master, out, run_tests=True)
        zips = sorted((out / "autograder").glob("*.zip"))
        if len(zips) != 1:
            raise RuntimeError(f"otter assign made {len(zips)} bundles in {out / 'autograder'}")
        shutil.copy2(zips[0], out / "autograder.zip")
        outs.append(out)
    return outs


def student_mode(flag: bool = False) -> bool:
    """Whether to build the student site (no solutions): ``--student`` or the env switch."""
    return flag or os.environ.get(STUDENT_ENV, "").strip().lower() not in ("", "0", "false")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/exercises.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write exercises/chN_exercises.ipynb and exercises/chN.md")
    b.add_argument("--student", action="store_true",
                   help=f"pages without solutions (also: {STUDENT_ENV}=1)")
    sub.add_parser("check", help="exit 1 if the committed exercises are out of date")
    a = sub.add_parser("autograder", help="build the otter autograder into dist/")
    a.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    if args.command == "build":
        with_solutions = not student_mode(args.student)
        for path in build(ROOT, ROOT / "exercises", with_solutions=with_solutions):
            print(f"wrote {path.relative_to(ROOT)}")
        if not with_solutions:
            print("\nStudent site: the exercises/chN.md pages above now have NO solutions. "
                  "Build the book now; do not commit these pages. Restore them with\n"
                  "    python scripts/exercises.py build\n"
                  f"(without {STUDENT_ENV} or --student; `git status exercises/` shows "
                  "what changed).", file=sys.stderr)
        return 0
    if args.command == "check":
        stale = check(ROOT)
        if stale:
            print("Out of date (run `python scripts/exercises.py build`): " + ", ".join(stale),
                  file=sys.stderr)
            return 1
        print("exercises/ is up to date")
        return 0
    for out in autograder(ROOT, args.dist):
        print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0
