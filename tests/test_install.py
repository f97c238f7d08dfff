"""The course as a Colab or JupyterHub user gets it: ``pip install`` of the repository (not
editable), then every chapter and every student exercise notebook run from a folder that is
not the repository.

The wheel is built from the git-tracked files and installed with ``--no-deps`` into a fresh
virtual environment that sees this environment's third-party packages (a ``.pth`` file; torch
is not downloaded again) but not its editable install of ``gru-course``, nor PYTHONPATH: so
``utils`` really comes from the wheel (checked in the kernel itself). The notebooks are copied
alone (``.ipynb`` only) into a temporary folder and executed there by nbclient in a kernel of
the fresh environment, ``GRU_DEMO_MODE=static`` as in the book build. Chapters must run
without error; exercise notebooks must not miss a module or a file (their unanswered stubs
may fail their checks, as they should).

Instructors grade from the install too (:func:`graded_outside`): submissions laid out as the
README says (``submissions/NAME/chN_exercises.ipynb``) in a folder outside the repository,
graded by ``python -m utils.grade`` of the fresh environment (as root, and as an unprivileged
user when the test runs as root) and by ``otter run`` with each chapter's autograder bundle.

Colab is simulated too: each exercise notebook, answered with its master's solutions, runs in
a kernel that otter takes for Colab's (a stand-in ``google.colab`` shell class on the kernel's
PYTHONPATH), from a working directory without the notebook file, as on Colab; its
``grader.check`` cells must pass, and a wrong answer must fail.
"""

from __future__ import annotations

import email.parser
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*_exercises.ipynb"))
KERNEL = "gru-course-wheel"
MISSING = {"ModuleNotFoundError", "ImportError", "FileNotFoundError"}

pytestmark = pytest.mark.slow  # a few minutes; part of `make test` and CI all the same


def tracked_files(*paths: str) -> list[str] | None:
    """``git ls-files PATHS`` (None outside a git checkout)."""
    if shutil.which("git") is None:
        return None
    proc = subprocess.run(["git", "ls-files", "--", *paths], cwd=ROOT, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        return None
    return [line for line in proc.stdout.splitlines() if line]


def _source_files() -> list[str]:
    """What the build sees: the tracked files (about 1 MB), or outside a git checkout
    pyproject.toml, README.md and utils/ without caches."""
    tracked = tracked_files()
    if tracked is not None:
        return [f for f in tracked if (ROOT / f).is_file()]
    return ["pyproject.toml", "README.md",
            *(str(p.relative_to(ROOT)) for p in (ROOT / "utils").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")]


def _modern_setuptools() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 77


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel the built site serves (``make test`` sets ``GRU_BOOK_HTML``), else ``pip
    wheel --no-deps`` of a copy of the tracked files (so that nothing untracked in the work
    tree can slip in, and the build leaves nothing in it)."""
    from test_site_wheel import site_wheel

    served = site_wheel()
    if served is not None:
        return served
    src = tmp_path_factory.mktemp("src")
    for rel in _source_files():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, src / rel)
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-q",
           "-w", str(out), str(src)]
    if _modern_setuptools():  # setuptools from this environment, else from PyPI
        cmd.insert(4, "--no-build-isolation")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    [whl] = out.glob("gru_course-*.whl")
    return whl


def test_wheel_holds_every_tracked_file_under_utils(wheel):
    tracked = tracked_files("utils")
    if tracked is None:
        pytest.skip("not a git checkout: the tracked files are unknown")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(set(tracked) - names)
    assert not missing, f"the wheel lacks {missing}: see [tool.setuptools] in pyproject.toml"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_wheel_declares_what_the_notebooks_import(wheel):
    with zipfile.ZipFile(wheel) as z:
        [meta] = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        headers = email.parser.Parser().parsestr(z.read(meta).decode())
    requires = {r.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip()
                .lower() for r in headers.get_all("Requires-Dist")}
    needed = {"otter-grader", "torch", "numpy", "matplotlib", "ipywidgets", "pandas", "sympy",
              "tqdm", "myst-nb", "nbformat", "pyyaml", "scikit-learn", "sktime", "statsmodels"}
    assert needed <= requires, needed - requires
    torch = [r for r in headers.get_all("Requires-Dist") if r.startswith("torch")]
    assert torch and "==" not in torch[0], f"torch must not be pinned exactly here: {torch}"
    otter = [r for r in headers.get_all("Requires-Dist") if r.startswith("otter-grader")]
    assert "grading" in otter[0], otter  # `otter run` needs the [grading] extra


def _shared_site_dirs() -> list[str]:
    dirs = [*site.getsitepackages(), sysconfig.get_paths()["purelib"],
            sysconfig.get_paths()["platlib"]]
    if site.ENABLE_USER_SITE:  # packages installed with `pip install --user`
        dirs.append(site.getusersitepackages())
    return [d for d in dict.fromkeys(dirs) if Path(d).is_dir()]


def _is_project_pth(path: Path) -> bool:
    """This environment's own install of the course (editable finder or path file)."""
    return "gru_course" in path.name or "gru-course" in path.name or (
        "__editable__" in path.name)


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh environment with the wheel installed, and this environment's other packages."""
    return _make_venv(wheel, tmp_path_factory.mktemp("venv") / "env")


def share_site_packages(python: Path) -> None:
    """Make this environment's third-party packages importable in the environment of
    ``python``, without the course: its site directories on the path ("00-" sorts first, so
    the .pth files copied next can import from them), and the .pth files of those
    directories (with absolute paths), except the course's own install."""
    purelib = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    shared = _shared_site_dirs()
    (purelib / "00-shared-site-packages.pth").write_text("\n".join(shared) + "\n")
    for d in shared:
        for pth in sorted(Path(d).glob("*.pth")):
            if _is_project_pth(pth):
                continue
            lines = []
            for line in pth.read_text().splitlines():
                if line.strip() and not line.startswith(("import ", "import\t", "#")):
                    line = str((Path(d) / line.strip()).resolve())
                lines.append(line)
            (purelib / f"zz-{pth.name}").write_text("\n".join(lines) + "\n")


def _make_venv(wheel: Path, env_dir: Path) -> Path:
    """:func:`venv` in ``env_dir``."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True,
                   timeout=120)
    python = env_dir / "bin" / "python"
    # Install first, while the new environment sees nothing else (so pip does not look at the
    # editable install of the same project).
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "--no-deps", "--no-index", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    share_site_packages(python)
    subprocess.run([str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL,
                    "--display-name", "GRU course (wheel)"], check=True, capture_output=True,
                   timeout=120)
    return env_dir


def _env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH")
           and not k.startswith(("JUPYTER_", "VIRTUAL_ENV"))}
    env.update(GRU_DEMO_MODE="static", VIRTUAL_ENV=str(venv),
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               JUPYTER_PATH=str(venv / "share" / "jupyter"), MPLBACKEND="Agg")
    return env


# Run by the fresh environment's Python: executes each notebook (argv[2:]) in its own folder
# with allow_errors, and writes {name: {"seconds", "errors": [{"cell", "ename", "evalue"}]}}.
RUNNER = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    import nbclient, nbformat

    out, paths = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    # the simulated Colab: another kernel class, and a working directory of its own
    kernel_class, cwd = os.environ.get("KERNEL_CLASS"), os.environ.get("KERNEL_CWD")
    extra = [f"--IPKernelApp.kernel_class={kernel_class}"] if kernel_class else []
    results = {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(
            nb, timeout=600, startup_timeout=180, kernel_name=%(kernel)r, allow_errors=True,
            extra_arguments=extra, resources={"metadata": {"path": cwd or str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
        errors = [{"cell": i, "ename": o.get("ename"), "evalue": str(o.get("evalue"))[:500]}
                  for i, c in enumerate(nb.cells) if c.cell_type == "code"
                  for o in c.get("outputs", []) if o.get("output_type") == "error"]
        streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                          for o in c.get("outputs", []) if o.get("output_type") == "stream")
        # what each `grader.check("q...")` cell showed (otter found its tests, or not)
        checks = {c.source.strip(): "".join(
            o.get("data", {}).get("text/plain", "") for o in c.get("outputs", [])
            if o.get("output_type") == "execute_result")
            for c in nb.cells if c.cell_type == "code" and c.source.startswith("grader.check(")}
        results[path.name] = {"seconds": seconds, "errors": errors, "stdout": streams[-4000:],
                              "checks": checks}
        nbformat.write(nb, path.with_suffix(".executed.ipynb"))
        out.write_text(json.dumps(results, indent=1))
""") % {"kernel": KERNEL}

PROBE = textwrap.dedent("""
    import importlib.metadata, json, sys
    import utils, utils.checks, utils.demos, utils.grading, utils.report
    print(json.dumps({"utils": utils.__file__, "executable": sys.executable,
                      "prefix": sys.prefix,
                      "dist": str(importlib.metadata.distribution("gru-course").locate_file("")),
                      "finders": [type(f).__module__ for f in sys.meta_path]}))
""")


@pytest.fixture(scope="module")
def executed(venv, tmp_path_factory) -> dict:
    """Every chapter and exercise notebook (copied alone into a temporary folder), executed
    in a kernel of the fresh environment; plus a probe notebook saying where utils comes from."""
    import nbformat

    work = tmp_path_factory.mktemp("outside")
    assert not (work / "utils").exists() and ROOT not in work.parents
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}
    paths = [work / "probe" / "probe.ipynb"]
    paths[0].parent.mkdir()
    nbformat.write(probe, paths[0])
    for nb in [*CHAPTERS, *EXERCISES]:
        folder = work / nb.stem  # one folder each, as a downloaded notebook would sit
        folder.mkdir()
        shutil.copy2(nb, folder / nb.name)
        paths.append(folder / nb.name)
    runner = work / "runner.py"
    runner.write_text(RUNNER)
    results_file = work / "results.json"
    start = time.perf_counter()
    proc = subprocess.run([str(venv / "bin" / "python"), str(runner), str(results_file),
                           *map(str, paths)], cwd=work, env=_env(venv), capture_output=True,
                          text=True, timeout=3600)
    total = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(results_file.read_text())
    print(f"all notebooks from the wheel in {total:.0f} s: "
          + ", ".join(f"{k} {v['seconds']:.0f} s" for k, v in results.items()))
    return results


def test_utils_comes_from_the_wheel(executed, venv):
    probe = executed["probe.ipynb"]
    assert not probe["errors"], probe
    info = json.loads(probe["stdout"].strip().splitlines()[-1])
    env = venv.resolve()
    assert Path(info["prefix"]).resolve() == env, info
    assert Path(info["utils"]).resolve().is_relative_to(env), info
    assert Path(info["dist"]).resolve().is_relative_to(env), info
    assert not [f for f in info["finders"] if "__editable__" in f], info


def test_notebooks_are_present():
    assert CHAPTERS and EXERCISES


@pytest.mark.parametrize("name", [p.name for p in CHAPTERS])
def test_chapter_runs_outside_the_repository(executed, name):
    result = executed[name]
    assert not result["errors"], f"{name} failed outside the repository: {result['errors']}"


@pytest.mark.parametrize("name", [p.name for p in EXERCISES])
def test_exercise_notebook_finds_every_module_and_file(executed, name):
    result = executed[name]
    missing = [e for e in result["errors"] if e["ename"] in MISSING]
    assert not missing, f"{name} outside the repository: {missing}"
    # Anything else that fails is an unanswered stub (graded "not attempted yet"), never the
    # install cell, the imports or otter's init cell.
    assert all(e["ename"] == "NotImplementedError" for e in result["errors"]), result["errors"]
    # otter found every question's tests (stored in the notebook, read from its own folder)
    # and graded the stub: a result for each check cell, no "does not exist"
    assert result["checks"], f"{name}: no grader.check cells"
    for cell, shown in result["checks"].items():
        question = cell.split('"')[1]
        assert question in shown and "does not exist" not in shown, (cell, shown)


# A stand-in for Colab, on the kernel's PYTHONPATH only: otter
# (otter.check.utils.IPythonInterpreter.COLAB) recognises Colab by its IPython shell,
# google.colab._shell.Shell, and there refuses the tests stored in the notebook file.
FAKE_COLAB = {
    "google/colab/__init__.py": '"""Stand-in for Colab\'s package (tests/test_install.py)."""\n',
    "google/colab/_shell.py": textwrap.dedent("""
        from ipykernel.zmqshell import ZMQInteractiveShell


        class Shell(ZMQInteractiveShell):
            \"\"\"Named like Colab's shell, which is what otter looks at.\"\"\"
        """),
    "google/colab/_kernel.py": textwrap.dedent("""
        from ipykernel.ipkernel import IPythonKernel
        from traitlets import Type

        from google.colab._shell import Shell


        class Kernel(IPythonKernel):
            shell_class = Type(Shell)
        """),
}
WRONG = "# a wrong answer"


def _answered(path: Path):
    """The student notebook ``path`` with its master's solutions in the answer cells, then a
    wrong answer to the first question (returns None) and its check again, and a probe of
    what otter saw."""
    import nbformat

    from utils.checks import questions
    from utils.grading.exercises import _master_parts

    nb = nbformat.read(path, as_version=4)
    _, items, _ = _master_parts(nbformat.read(ROOT / "solutions" / path.name, as_version=4))
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) == len(items), path
    for cell, item in zip(answers, items):
        cell.source = item["solution"]
    first = questions(path.stem)[0]
    nb.cells += [
        nbformat.v4.new_code_cell(f"def {first.func_name}(*args, **kwargs):  {WRONG}\n"
                                  "    return None"),
        nbformat.v4.new_code_cell(f'grader.check("{first.name}")  {WRONG}'),
        nbformat.v4.new_code_cell(
            "import json\n"
            'print("OTTER", json.dumps({"interpreter": getattr(grader.interpreter, "name", None),'
            ' "notebook": grader._notebook, "tests_dir": grader._tests_dir,'
            f' "wrong_grade": grader.check("{first.name}").grade}}))')]
    return nb


@pytest.fixture(scope="module")
def on_colab(venv, tmp_path_factory) -> dict:
    """Every exercise notebook, answered (:func:`_answered`), executed in a kernel of the
    fresh environment that otter takes for Colab's, whose working directory does not hold
    the notebook (Colab's ``/content``)."""
    import nbformat

    work = tmp_path_factory.mktemp("colab")
    for rel, src in FAKE_COLAB.items():
        (work / "fake" / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / "fake" / rel).write_text(src)
    (work / "content").mkdir()
    (work / "drive").mkdir()
    paths = []
    for path in EXERCISES:
        nbformat.write(_answered(path), work / "drive" / path.name)
        paths.append(work / "drive" / path.name)
    runner = work / "runner.py"
    runner.write_text(RUNNER)
    env = dict(_env(venv), PYTHONPATH=str(work / "fake"), KERNEL_CWD=str(work / "content"),
               KERNEL_CLASS="google.colab._kernel.Kernel")
    proc = subprocess.run([str(venv / "bin" / "python"), str(runner), str(work / "out.json"),
                           *map(str, paths)], cwd=work, env=env, capture_output=True,
                          text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not list((work / "content").glob("*.ipynb"))
    return json.loads((work / "out.json").read_text())


@pytest.mark.parametrize("name", [p.name for p in EXERCISES])
def test_grader_check_works_on_colab(on_colab, venv, name):
    """Otter's init cell and ``grader.check`` work on Colab: the tests come from the package
    (otter cannot read the notebook file there), right answers pass, a wrong one fails."""
    result = on_colab[name]
    assert not result["errors"], f"{name} on (simulated) Colab: {result['errors']}"
    probe = json.loads(result["stdout"].split("OTTER ", 1)[1].splitlines()[0])
    assert probe["interpreter"] == "COLAB", probe  # otter believed it runs on Colab
    assert probe["notebook"] is None, probe  # and had no notebook file to read
    assert Path(probe["tests_dir"]).resolve().is_relative_to(venv.resolve()), probe
    right = {c: shown for c, shown in result["checks"].items() if WRONG not in c}
    assert right and all("All test cases passed!" in shown for shown in right.values()), right
    [wrong] = [shown for c, shown in result["checks"].items() if WRONG in c]
    assert "All test cases passed" not in wrong and "results:" in wrong, wrong
    assert probe["wrong_grade"] == 0, probe


# ----------------------------------------------------------------------------------------
# Grading outside the repository, from the install

LEARNERS = ("full", "blank", "partial", "honest")
# what an honest learner adds to the first answer cell to compare while debugging
HONEST_IMPORT = ("from utils.numpy_cells import GRUCell  # to compare while debugging\n"
                 "import utils.budget, utils.params, utils.conventions  # noqa: F401\n")
NOBODY = 65534


def _submission(path: Path, learner: str):
    """The student notebook ``path`` as ``learner`` submits it: every answer (``full``),
    none (``blank``), all but the last (``partial``), or every answer with a course module
    imported in the first answer cell to compare (``honest``)."""
    import nbformat

    from utils.grading.exercises import _master_parts

    nb = nbformat.read(path, as_version=4)
    if learner == "blank":
        return nb
    _, items, _ = _master_parts(nbformat.read(ROOT / "solutions" / path.name, as_version=4))
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) == len(items), path
    for cell, item in zip(answers[:-1] if learner == "partial" else answers, items):
        cell.source = item["solution"]
    if learner == "honest":
        answers[0].source = HONEST_IMPORT + answers[0].source
    return nb


def _open_dir(prefix: str) -> Path:
    """A temporary directory every user can read (pytest's are private to their owner)."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def _closed_ancestor(path: Path) -> Path | None:
    """The first directory above ``path`` that other users cannot enter (``/root``)."""
    for parent in reversed(path.parents):
        if not os.stat(parent).st_mode & 0o001:
            return parent
    return None


def _as_nobody(cmd: list[str], scratch: Path) -> list[str]:
    """``cmd`` as the unprivileged user ``nobody``, in a mount namespace of its own where the
    interpreter is reachable even if it lives under a private directory (``/root/.pyenv``):
    that directory is shown through a readable tmpfs holding only the interpreter's tree, in
    this namespace only (nothing changes on the machine)."""
    import shlex

    mounts = ["mount --make-rprivate /"]
    base = Path(sys.base_prefix).resolve()
    closed = _closed_ancestor(base)
    if closed is not None:
        keep = scratch / "closed"
        keep.mkdir()
        rel = base.relative_to(closed)
        mounts += [f"mount --bind {shlex.quote(str(closed))} {shlex.quote(str(keep))}",
                   f"mount -t tmpfs -o mode=0755 none {shlex.quote(str(closed))}",
                   f"mkdir -p {shlex.quote(str(closed / rel))}",
                   f"mount --bind {shlex.quote(str(keep / rel))} "
                   f"{shlex.quote(str(closed / rel))}"]
    script = " && ".join(mounts) + (f' && exec setpriv --reuid={NOBODY} --regid={NOBODY} '
                                    '--clear-groups -- "$@"')
    return ["unshare", "--mount", "--", "sh", "-c", script, "sh", *cmd]


def _bundles(tmp: Path) -> dict[str, Path]:
    """Each chapter's autograder bundle, as ``make autograder`` builds it (from the
    repository: that is where an instructor builds it; it is then run from the install)."""
    from utils.grading.exercises import otter_assign

    out = {}
    for path in EXERCISES:
        otter_assign(ROOT / "solutions" / path.name, tmp / path.stem, run_tests=False)
        [out[path.stem]] = (tmp / path.stem / "autograder").glob("*.zip")
    return out


@pytest.fixture(scope="module")
def graded_outside(wheel, venv, tmp_path_factory) -> dict:
    """Every chapter's submissions by the four :data:`LEARNERS`, in a course folder outside
    the repository, graded from the install: ``utils.grade`` as root (or as the test's user)
    and, when the test runs as root, as ``nobody``; ``otter run`` with each bundle.

    Returns ``{"utils.grade as <user>": {"returncode", "stdout", "reports": {path: report}},
    "otter run": {(learner, assignment): results.json}}``."""
    import nbformat
    from concurrent.futures import ThreadPoolExecutor

    course = _open_dir("gru-course-outside-")
    made = [course]  # world-readable temporary directories, removed at the end
    try:
        for learner in LEARNERS:
            (course / "submissions" / learner).mkdir(parents=True)
            for path in EXERCISES:
                nbformat.write(_submission(path, learner),
                               course / "submissions" / learner / path.name)
        for p in [course, *course.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        subs = sorted(str(p.relative_to(course)) for p in course.glob("submissions/*/*.ipynb"))
        results: dict = {}
        users = ["root", "nobody"] if os.geteuid() == 0 and shutil.which("setpriv") and \
            shutil.which("unshare") else [f"uid {os.geteuid()}"]
        for user in users:
            env_dir = venv
            made.append(scratch := _open_dir("gru-grade-scratch-"))
            reports = course / f"reports-{user.replace(' ', '-')}"
            env = dict(_env(venv), HOME=str(scratch))
            cmd = [str(venv / "bin" / "python"), "-m", "utils.grade", *subs, "--out",
                   str(reports), "--jobs", "2", "--timeout", "120"]
            if user == "nobody":
                made.append(readable := _open_dir("gru-venv-"))
                env_dir = _make_venv(wheel, readable / "env")  # a venv every user can read
                env = dict(_env(env_dir), HOME=str(scratch))
                cmd[0] = str(env_dir / "bin" / "python")
                reports.mkdir()
                os.chown(reports, NOBODY, NOBODY)
                os.chown(scratch, NOBODY, NOBODY)
                made.append(namespace := _open_dir("gru-ns-"))
                cmd = _as_nobody(cmd, namespace)
            proc = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True,
                                  timeout=3600)
            found = {str(p.parent.relative_to(reports)): json.loads(p.read_text())
                     for p in reports.rglob("results.json")}
            results[f"utils.grade as {user}"] = {"returncode": proc.returncode,
                                                 "stdout": proc.stdout + proc.stderr,
                                                 "reports": found}
        bundles = _bundles(tmp_path_factory.mktemp("bundles"))

        def otter_run(sub: str) -> tuple[tuple[str, str], dict]:
            learner, name = Path(sub).parts[-2], Path(sub).stem
            work = course / "otter" / learner / name
            work.mkdir(parents=True)
            proc = subprocess.run([str(venv / "bin" / "python"), "-m", "otter", "run", "-a",
                                   str(bundles[name]), str(course / sub), "-o", str(work)],
                                  cwd=work, env=_env(venv), capture_output=True, text=True,
                                  timeout=1800)
            found = work / "results.json"
            return (learner, name), (json.loads(found.read_text()) if found.exists() else
                                     {"error": proc.stdout[-2000:] + proc.stderr[-2000:]})

        with ThreadPoolExecutor(max_workers=2) as pool:
            results["otter run"] = dict(pool.map(otter_run, subs))
        return results
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)


def _expected(learner: str, assignment: str) -> tuple[float, float]:
    """(points, max points) the learner's submission deserves."""
    from utils.checks import items

    qs = items(assignment)  # questions and graded predictions: the last answer cell is last
    full = sum(q.max_points for q in qs)
    return {"full": full, "blank": 0.0, "partial": full - qs[-1].max_points,
            "honest": full}[learner], full


@pytest.mark.parametrize("name", [p.stem for p in EXERCISES])
def test_grading_from_the_install_gives_what_each_learner_earned(graded_outside, name):
    """Outside the repository, from the installed wheel: the full submission every point,
    the untouched one zero without a crash, all-but-the-last partial marks, an honest
    answer importing a course module every point; the report folders name the learners;
    the same through ``utils.grade`` (as root and as an unprivileged user) and ``otter run``."""
    for grader, run in graded_outside.items():
        if grader == "otter run":
            continue
        assert run["returncode"] == 0, run["stdout"][-3000:]
        for learner in LEARNERS:
            report = run["reports"].get(f"{learner}/{name}")
            assert report is not None, (grader, sorted(run["reports"]))  # named after learner
            status = report["extra_data"]["status"]
            points, full = _expected(learner, name)
            assert status == "graded", (grader, learner, report["output"][-2000:])
            assert sum(t["max_score"] for t in report["tests"]) == full
            assert report["score"] == points, (grader, learner, json.dumps(report)[-3000:])
    for learner in LEARNERS:
        report = graded_outside["otter run"][(learner, name)]
        assert "tests" in report, (learner, report)
        assert "Autograder Failed" not in json.dumps(report), (learner, report)
        points, full = _expected(learner, name)
        score = sum(t.get("score", 0) for t in report["tests"])
        assert score == points, ("otter run", learner, json.dumps(report)[-3000:])
