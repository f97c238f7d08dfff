"""The hardened batch grader.

    python -m utils.grade SUBMISSION.ipynb [MORE ...] --out DIR [--timeout S] [--jobs N]
                          [--seed N] [--hide DIR ...] [--assignment NAME]

For each submission: identify the assignment (notebook metadata, then cell contents, then the
file name), run its code cells and the grader's probes in a sandboxed subprocess
(:mod:`utils.grading.runner`: own session, wall-clock limit, ``RLIMIT_AS`` memory limit,
``RLIMIT_FSIZE``, an empty working directory, an import path with the third-party packages
and a copy of the public course modules but not the answer key (:data:`ANSWER_KEY`; a stub
``utils.checks`` instead) and, when run as root, own mount/network/PID namespaces with the
course, the submissions and the reports hidden and a user of its own), bring the outcomes
back as JSON data and run each question's ``diagnose`` here, in the grader's process. The
sandbox traces calls into the public modules as ``grader.check`` does, so an answer that
imports one to compare keeps its points and one that returns its output loses them, in both
alike. The hidden probes are drawn from a fresh seed per run (``--seed`` reproduces one),
recorded in every report. A static scan of the answer functions adds a note when they name a
reference implementation; points come only from what the functions return.

Writes ``DIR/<name>/results.json`` (Gradescope format: ``score`` and ``tests``, a list of
``{name, score, max_score, output}``), ``DIR/<name>/summary.txt`` and ``DIR/summary.csv``
(``<name>``: named after the submission's path, ``alice/ch3_exercises``, see
:func:`_out_names`). Every question of the assignment appears in every report, with its
points and a reason. Exit status 0 when every submission got a report (a zero score, or a
submission that crashed, is a report), 1 when the grader itself failed (its sandbox did not
start, for one), 2 for a usage error. The trust model: ``exercises/README.md``.
"""

from __future__ import annotations

import argparse
import ast
import csv
import dataclasses
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat

from utils.checks import ASSIGNMENTS, Prediction, items, questions
from utils.checks.core import (Outcome, Question, Verdict, _encode_array, decode_outcomes,
                               hidden_seed, set_hidden_seed)

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_PROGRESS_BYTES = 64 * 1024 * 1024
FILE_SIZE_LIMIT = 32 * 1024 * 1024

# Cells otter adds to the student notebook; they are not run during batch grading.
_OTTER_CELL = re.compile(
    r"^\s*(#\s*Initialize Otter\s*\n)?\s*import otter\s*\n(from utils\.otter_tests .*\n)?"
    r"\s*grader\s*=\s*otter\.Notebook\((\*\*\w+\([^)]*\))?"
    r"[^)]*\)\s*$|^\s*grader\.(check\(\s*['\"]\w+['\"]\s*\)|check_all\(\s*\)|export\([^)]*\))"
    r"\s*$")
# Names that mean "the reference implementation": the course's cells and PyTorch's GRU.
_FORBIDDEN_MODULES = ("utils.numpy_cells", "utils.torch_cells", "utils.variants",
                      "utils.checks", "utils.grading", "utils.grade")
_FORBIDDEN_NAMES = {"numpy_cells", "torch_cells", "variants", "GRUCell", "GRU", "gru_cell",
                    "_VF", "checks", "grading"}


@dataclasses.dataclass
class Report:
    """One submission's grading result."""

    submission: str
    assignment: str | None
    status: str
    tests: list[dict[str, Any]]
    notes: list[str]
    seed: int | None = None  # the hidden probes' seed of this run

    @property
    def score(self) -> float:
        return float(sum(t["score"] for t in self.tests))

    @property
    def max_score(self) -> float:
        return float(sum(t["max_score"] for t in self.tests))


# ----------------------------------------------------------------------------------------
# Reading and identifying submissions


def identify(nb: Any, path: Path, default: str | None) -> str | None:
    """The assignment name: metadata, then cell contents, then file name, then ``default``."""
    if isinstance(nb, dict):
        meta = nb.get("metadata", {}) if isinstance(nb.get("metadata"), dict) else {}
        for value in (meta.get("gru_course", {}).get("assignment")
                      if isinstance(meta.get("gru_course"), dict) else None,
                      meta.get("otter", {}).get("assignment_name")
                      if isinstance(meta.get("otter"), dict) else None):
            if value in ASSIGNMENTS:
                return str(value)
        text = "\n".join(str(c.get("source", "")) for c in nb.get("cells", [])
                         if isinstance(c, dict))
        for name in ASSIGNMENTS:
            if f'"{name}.ipynb")' in text or f"name: {name}" in text:  # the init cell
                return name
        for name in ASSIGNMENTS:
            funcs = [q.func_name for q in questions(name)]
            if sum(f"def {f}(" in text for f in funcs) >= max(1, len(funcs) // 2):
                return name
    for name in ASSIGNMENTS:
        if name in path.name or name.split("_")[0] in path.stem.split("_"):
            return name
    if default:
        return default
    return next(iter(ASSIGNMENTS)) if len(ASSIGNMENTS) == 1 else None


def code_cells(nb: Any) -> list[str]:
    """Sources of the code cells to run, without otter's init/check/export cells."""
    return [src for src, _ in labelled_code_cells(nb)]


def _heading(markdown: str) -> str | None:
    """The last Markdown heading in ``markdown`` ("Exercise 2.1: both gates"), if any."""
    found = re.findall(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", markdown, re.M)
    return found[-1].strip() if found else None


def labelled_code_cells(nb: Any) -> list[tuple[str, str]]:
    """The code cells to run (as :func:`code_cells`), each with how the learner finds it in
    Jupyter: its position among all the notebook's cells, counted from 1 as the notebook
    shows them, and the heading it sits under (``cell 12, under "Exercise 2.1: both gates"``).
    """
    cells, heading = [], None
    for position, c in enumerate(nb.get("cells", []), start=1):
        if not isinstance(c, dict):
            continue
        src = c.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        if c.get("cell_type") == "markdown":
            heading = _heading(src) or heading
            continue
        if c.get("cell_type") != "code" or _OTTER_CELL.match(src):
            continue
        label = f"cell {position}" + (f', under "{heading[:80]}"' if heading else "")
        cells.append((src, label))
    return cells


def _referenced_names(node: ast.AST, own: frozenset[str] = frozenset()) -> set[str]:
    """Names ``node`` uses: attribute names, imported names, and plain names that are not
    the learner's own (``own``: functions, classes, variables and parameters the notebook
    defines). Strings, comments and dict keys are not code and are never looked at."""
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id not in own:
            names.add(n.id)
        elif isinstance(n, ast.Attribute):
            names.add(n.attr)
        elif isinstance(n, ast.alias):
            names.update(n.name.split("."))
            if n.asname:
                names.add(n.asname)
        elif isinstance(n, ast.ImportFrom) and n.module:
            names.update(n.module.split("."))
    return names


def static_flags(cells: list[str], func_names: list[str],
                 modules: tuple[str, ...] | None = None,
                 names: set[str] | None = None) -> dict[str, str]:
    """Answer functions whose code (or a notebook function they call) names a reference.

    Looks for names from :data:`_FORBIDDEN_NAMES` and aliases bound by importing
    :data:`_FORBIDDEN_MODULES` anywhere in the notebook; a name the learner defines
    (a helper called ``gru_cell``) and text in strings or comments do not count. This is a
    remark for the report only: points come from what the function returns when run.
    ``modules`` and ``names`` replace those two lists (:func:`answer_key_flags`).
    """
    modules = _FORBIDDEN_MODULES if modules is None else modules
    names = _FORBIDDEN_NAMES if names is None else names
    defs: dict[str, ast.AST] = {}
    aliases: set[str] = set()
    own: set[str] = set()
    trees = []
    for src in cells:
        try:
            trees.append(ast.parse(src))
        except SyntaxError:
            continue  # IPython magics, or a syntax error the runner will report
    for tree in trees:
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(n.name)
                if not isinstance(n, ast.ClassDef):
                    defs[n.name] = n
            elif isinstance(n, ast.arg):
                own.add(n.arg)
            elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                own.add(n.id)
    for tree in trees:
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith(modules):
                aliases.update(a.asname or a.name for a in n.names)
            if isinstance(n, ast.Import):
                for a in n.names:
                    if a.name.startswith(modules):
                        aliases.add(a.asname or a.name.split(".")[0])
            if isinstance(n, ast.Assign) and isinstance(n.value, (ast.Attribute, ast.Name)) \
                    and _referenced_names(n.value, frozenset(own)) & names:
                aliases.update(t.id for t in n.targets if isinstance(t, ast.Name))
    learner = frozenset(own - aliases)
    flags = {}
    for func in func_names:
        if func not in defs:
            continue
        seen, todo, hits = set(), [func], set()
        while todo:  # follow calls to other functions defined in the notebook
            name = todo.pop()
            if name in seen or name not in defs:
                continue
            seen.add(name)
            refs = _referenced_names(defs[name], learner)
            hits |= (refs & names) | (refs & aliases)
            todo += [r for r in _referenced_names(defs[name]) if r in defs and r not in seen]
        if hits:
            flags[func] = ", ".join(sorted(hits))
    return flags


# The answer key's modules (:data:`ANSWER_KEY`): out of the submission's reach while grading.
_ANSWER_KEY_MODULES = ("utils.checks.", "utils.grading", "utils.grade", "utils.otter_tests")


def answer_key_flags(cells: list[str], func_names: list[str]) -> dict[str, str]:
    """Answer functions whose code uses something imported from the answer key
    (``from utils.checks.ch2 import gate``): that import fails while grading, so the
    question's result says why (:func:`static_flags` with the answer key's modules)."""
    return static_flags(cells, func_names, _ANSWER_KEY_MODULES, set())


# ----------------------------------------------------------------------------------------
# Sandbox

# The course package, ``utils/``. Its parent is a checkout, or (a regular install)
# ``site-packages``, full of third-party packages the submission needs: see _course_parts.
PACKAGE = Path(__file__).resolve().parent
# The answer key: these parts of the package never enter the sandbox (the checkers' probes,
# references and known mistakes; the otter tests; the grader itself). Every other course
# module (the cells, budget, params, conventions, ...) is public: the learner reads it in the
# chapters, and may import it to compare while debugging. The sandbox gets a copy of those,
# so that an honest import works as in the notebook, and the reference tracer
# (:func:`utils.checks.core.capture`) runs there as in ``grader.check``.
ANSWER_KEY = ("checks", "grading", "otter_tests", "grade.py")
# What the student notebooks import from ``utils.checks`` while being graded: stand-ins.
_STUB_CHECKS = '''"""Grading-time stand-in for ``utils.checks``: the batch grader checks the
answers itself, in another process, so nothing here knows a question, a probe or an answer."""

__all__ = ["NotAttemptedYet", "check", "hint", "run_check"]


class NotAttemptedYet(AssertionError):
    """Kept so that code catching it still runs."""


def hint(name, *args, **kwargs):
    print(f"Hints are not available while grading ({name!r}).")


def check(name, fn=None, level="public"):
    """Does nothing while grading."""
    return None


def run_check(name, fn=None, level="public"):
    """Does nothing while grading."""
    return None
'''
_BOOT = """import os, resource, sys
RUNTIME, PATH, UID, BINDS = {runtime!r}, {path!r}, {uid!r}, {binds!r}
for mod in list(sys.modules.values()):  # packages loaded at start-up from a bound directory
    p = getattr(mod, "__path__", None)
    if isinstance(p, list):
        for src, alias in BINDS:
            p[:] = [alias + q[len(src):] if q == src or q.startswith(src + os.sep) else q
                    for q in p]
sys.path_importer_cache.clear()
if UID is not None and os.getuid() == 0:  # own unprivileged user: cannot read the course
    resource.setrlimit(resource.RLIMIT_NPROC, ({nproc}, {nproc}))
    os.setgroups([])
    os.setgid(UID)
    os.setuid(UID)
os.umask(0o077)
sys.path[:] = [RUNTIME] + PATH
sys.argv[:] = ["runner"]
import runpy
runpy.run_module("_gru_sandbox.runner", run_name="__main__", alter_sys=True)
"""
SANDBOX_NOTES = {
    "full": "sandbox: own user, course repository and other submissions hidden, no network, "
            "own process namespace.",
    "network": "sandbox: no network, answer key off the import path; but the submission ran "
               "as the grader's user and could READ the course repository, and so load its "
               "modules by file path (run the grader as root for the full sandbox).",
    "none": "sandbox: answer key off the import path; network isolation unavailable, and the "
            "submission ran as the grader's user and could READ the course repository, and "
            "so load its modules by file path (run the grader as root for the full "
            "sandbox)."}
SANDBOX_UID_BASE = 1_500_000_000  # each job runs as its own uid above this (root only)
SANDBOX_NPROC = 256


@lru_cache(maxsize=1)
def _sandbox_mode() -> str:
    """``"full"`` (root: own mount, network and PID namespaces, the course hidden, own user),
    ``"network"`` (only ``unshare -n`` is allowed) or ``"none"``."""
    exe = shutil.which("unshare")
    if exe is None:
        return "none"

    def works(*args: str) -> bool:
        try:
            return subprocess.run([exe, *args], capture_output=True,
                                  timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False

    if os.geteuid() == 0 and shutil.which("mount") and works(
            "--mount", "--net", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c",
            "mount --make-rprivate / && mount -t tmpfs none /mnt"):
        return "full"
    return "network" if works("-n", "true") else "none"


def _no_network_prefix() -> tuple[str, ...]:
    """Non-empty if submissions run without network (kept for callers and tests)."""
    return ("unshare", "-n") if _sandbox_mode() != "none" else ()


def _course_parts(pkg: Path) -> set[Path]:
    """What to hide for the course package at ``pkg``: its whole checkout when it is one
    (``pyproject.toml`` or ``.git`` next to it); in ``site-packages`` (a regular or
    ``--user`` install) only the package and its install metadata, never the directory
    itself, which holds the third-party packages the submission needs."""
    parent = pkg.parent
    if (parent / "pyproject.toml").exists() or (parent / ".git").exists():
        return {parent}
    found = {pkg}
    for entry in parent.glob("gru_course-*"):  # gru_course-1.0.dist-info, .egg-info
        found.add(entry)
    for entry in parent.glob("__editable__*gru_course*"):  # an editable install's finder
        found.add(entry)
    return found


@lru_cache(maxsize=1)
def _course_roots() -> tuple[Path, ...]:
    """Where the course's code lives on this machine (see :func:`_course_parts`): the package
    this grader runs from, and wherever the interpreter would import ``utils`` from without
    PYTHONPATH (an editable install maps it to a checkout; a regular install puts it in
    site-packages)."""
    roots = _course_parts(PACKAGE)
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", "import importlib.util as u, json; "
             "s = u.find_spec('utils'); print(json.dumps(list("
             "s.submodule_search_locations or []) if s else []))"],
            capture_output=True, text=True, timeout=60, cwd=tempfile.gettempdir())
        found = json.loads(proc.stdout or "[]")
    except (OSError, ValueError, subprocess.SubprocessError):
        found = []
    for loc in found:
        roots |= _course_parts(Path(loc).resolve())
    return tuple(sorted(roots))


def _keep() -> list[Path]:
    """Paths the sandbox needs: the interpreter's environment and the temporary directory."""
    return sorted({Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
                   Path(tempfile.gettempdir()).resolve()})


def _hide_targets(extra: list[Path]) -> list[Path]:
    """Everything to hide: the entries of each course root (minus what leads to the
    interpreter), and ``extra`` directories (the submission's, the reports, ``--hide``)."""
    keep = _keep()
    out: list[Path] = []

    def cover(path: Path) -> None:
        if any(k == path or path in k.parents for k in keep):  # leads to something we need
            if path.is_dir() and not path.is_symlink() and path not in keep:
                for entry in sorted(path.iterdir()):
                    cover(entry)
            return
        if path.exists() and not path.is_symlink():
            out.append(path)

    for root in _course_roots():
        cover(root)
    for path in extra:
        path = path.resolve()
        if path != Path("/") and path.exists():
            cover(path)
    found = set(out)  # a path inside another hidden one is covered already
    return sorted(p for p in found if not any(a in found for a in p.parents))


@lru_cache(maxsize=1)
def _import_path() -> tuple[str, ...]:
    """The runner's import path: the standard library, then every directory on this
    grader's own import path (site-packages, the user site of ``pip install --user``,
    directories that ``.pth`` files or PYTHONPATH add): the third-party packages, wherever
    they are installed. Left out: the working directory, and the course's checkouts (except
    the interpreter's environment when it lives inside one). No ``.pth`` hook runs in the
    sandbox (``-S``), so the course's editable-install finder is not loaded; the course
    package inside a site-packages directory is shadowed by the runtime's public copy, and
    hidden when the grader runs as root."""
    import site

    proc = subprocess.run([sys.executable, "-I", "-S", "-c",
                           "import sys, json; print(json.dumps(sys.path))"],
                          capture_output=True, text=True, timeout=60,
                          cwd=tempfile.gettempdir())
    env = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    roots = [r for r in _course_roots() if r.is_dir()]
    cwd = Path.cwd().resolve()

    def allowed(entry: str) -> bool:
        path = Path(entry).resolve()
        if path == cwd or not path.is_dir():
            return False
        in_env = any(e == path or e in path.parents for e in env)
        return in_env or not any(r == path or r in path.parents for r in roots)

    paths = [p for p in json.loads(proc.stdout) if p] + site.getsitepackages()
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        paths.append(site.getusersitepackages())
    paths += [p for p in sys.path if p]
    return tuple(p for p in dict.fromkeys(paths) if allowed(p))


def _readable_by_others(path: Path) -> bool:
    """Whether any user can read ``path`` (and reach it through its parents)."""
    try:
        if not os.stat(path).st_mode & 0o004:
            return False
        return all(os.stat(p).st_mode & 0o001 for p in path.parents)
    except OSError:
        return False


def _sandbox_command(runtime: Path, hide: list[Path],
                     binds: list[tuple[str, Path]] = ()) -> list[str]:
    """The command that runs the runner: Python isolated from the environment (``-I``), no
    site hooks (``-S``: the course's editable-install finder is not loaded), in new
    namespaces with ``hide`` covered by empty mounts when the mode is ``"full"``."""
    import shlex

    py = [sys.executable, "-I", "-S", str(runtime / "boot.py")]
    mode = _sandbox_mode()
    unshare = shutil.which("unshare") or "unshare"
    if mode == "full":
        mounts = ["mount --make-rprivate /"]
        for src, alias in binds:  # e.g. a Python installed under /root: readable copy
            mounts.append(f"mount --bind -o ro {shlex.quote(src)} {shlex.quote(str(alias))}")
        for path in hide:
            q = shlex.quote(str(path))
            mounts.append(f"mount -t tmpfs -o size=4k,mode=0555 none {q}" if path.is_dir()
                          else f"mount --bind /dev/null {q}")
        script = " && ".join(mounts) + ' && exec "$@"'
        return [unshare, "--mount", "--net", "--pid", "--fork", "--mount-proc", "/bin/sh",
                "-c", script, "sandbox", *py]
    if mode == "network":
        return [unshare, "-n", *py]
    return py


def _public_modules() -> dict[str, str]:
    """The course package without its answer key (:data:`ANSWER_KEY`): relative path →
    text, Python files only (``__init__.py`` of ``utils`` included)."""
    files = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ANSWER_KEY or "__pycache__" in rel.parts:
            continue
        files["utils/" + rel.as_posix()] = path.read_text("utf-8")
    return files


def _build_runtime(runtime: Path, uid: int | None, path: list[str],
                   binds: list[tuple[str, Path]] = ()) -> None:
    """The runtime directory: the public course modules as package ``utils`` (with a stub
    ``utils.checks``), the runner and the checker framework as package ``_gru_sandbox``, and
    the boot script."""
    files = {**_public_modules(), "utils/checks/__init__.py": _STUB_CHECKS,
             "_gru_sandbox/__init__.py": "",
             "_gru_sandbox/core.py": (PACKAGE / "checks/core.py").read_text("utf-8"),
             "_gru_sandbox/runner.py": (PACKAGE / "grading/runner.py").read_text("utf-8")}
    files["boot.py"] = _BOOT.format(runtime=str(runtime), path=path, uid=uid,
                                    binds=[(src, str(a)) for src, a in binds],
                                    nproc=SANDBOX_NPROC)
    for rel, text in files.items():
        path = runtime / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for path in [runtime, *runtime.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _limits(memory_mb: int) -> Any:
    def apply() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _child_env(home: Path) -> dict[str, str]:
    """A minimal environment: no PYTHONPATH, no path into the course; ``home`` is a
    throw-away directory of the job."""
    env = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TZ")}
    env.update(PATH=os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin",
                                     "/usr/bin", "/bin"]),
               HOME=str(home), PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="Agg", MPLCONFIGDIR=str(home), IPYTHONDIR=str(home / ".ipy"))
    return env


def _run_sandboxed(job_dir: Path, job: dict[str, Any], timeout: float, memory_mb: int,
                   nonce: str, hide: list[Path]) -> tuple[int | None, bool]:
    """Run the runner on ``job`` in a sandbox under ``job_dir``; return (exit code or None,
    timed out). Events go to ``job_dir/progress.jsonl`` through an inherited descriptor."""
    job_dir.chmod(0o711)
    uid = None
    work = job_dir / "work"  # the submission's empty working directory
    home = job_dir / "home"  # HOME, IPython's and Matplotlib's files
    for d in (work, home):
        d.mkdir(mode=0o700)
    if _sandbox_mode() == "full":
        uid = SANDBOX_UID_BASE + secrets.randbelow(10**8)
        for d in (work, home):
            os.chown(d, uid, uid)
    path, binds = list(_import_path()), []
    if uid is not None:  # directories the new user could not read are bound read-only
        for i, p in enumerate(path):
            if not _readable_by_others(Path(p)):
                alias = job_dir / "py" / str(i)
                alias.mkdir(parents=True)
                binds.append((p, alias))
                path[i] = str(alias)
        if binds:
            (job_dir / "py").chmod(0o755)
            for _, alias in binds:
                alias.chmod(0o755)
    runtime = job_dir / "runtime"
    _build_runtime(runtime, uid, path, binds)
    cmd = _sandbox_command(runtime, hide, binds)
    progress_fd = os.open(job_dir / "progress.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                          0o600)
    payload = (nonce + "\n" + json.dumps(dict(job, progress_fd=progress_fd))).encode()
    try:
        with open(job_dir / "stdout.txt", "wb") as out, \
                open(job_dir / "stderr.txt", "wb") as err:
            proc = subprocess.Popen(cmd, cwd=work, env=_child_env(home),
                                    stdin=subprocess.PIPE, stdout=out, stderr=err,
                                    start_new_session=True, preexec_fn=_limits(memory_mb),
                                    pass_fds=(progress_fd,))
            try:
                try:
                    proc.stdin.write(payload)
                    proc.stdin.close()
                except OSError:
                    pass  # the runner died at once; reported as a crash below
                return proc.wait(timeout=timeout), False
            except subprocess.TimeoutExpired:
                return None, True
            finally:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the runner and anything it started
                except ProcessLookupError:
                    pass
                proc.wait()
    finally:
        os.close(progress_fd)


def _read_progress(path: Path, nonce: str) -> list[dict[str, Any]]:
    """The runner's events: JSON lines carrying this run's token (others are ignored)."""
    events = []
    if not path.exists():
        return events
    with open(path, "rb") as f:
        data = f.read(MAX_PROGRESS_BYTES)
    for line in data.splitlines():
        try:
            event = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(event, dict) and event.get("nonce") == nonce:
            events.append(event)
    return events


# ----------------------------------------------------------------------------------------
# Grading one submission


def _probe_payload(q: Question | Prediction) -> dict[str, Any]:
    if isinstance(q, Prediction):  # the runner reads the variable (never the answer)
        return {"name": q.name, "var_name": q.var_name,
                "levels": {lv: [{"name": "prediction", "traced": False, "args": {}}]
                           for lv in q.points}}
    return {"name": q.name, "func_name": q.func_name,
            "levels": {lv: [{"name": p.name, "traced": p.traced,
                             "args": {k: _encode_array(v) for k, v in p.args.items()}}
                            for p in q.probes(lv)] for lv in q.points}}


def _zero_report(path: Path, assignment: str | None, status: str, reason: str) -> Report:
    tests = []
    if assignment is not None:
        for q in items(assignment):
            tests.append({"name": q.name, "score": 0.0, "max_score": q.max_points,
                          "output": f"0 points: {reason}"})
    return Report(str(path), assignment, status, tests, [reason], hidden_seed())


def grade_one(path: Path, *, timeout: float, memory_mb: int,
              default_assignment: str | None = None, hide: tuple[Path, ...] = ()) -> Report:
    """Grade one notebook; never raises for anything the submission does.

    The hidden probes are those of the current seed (:func:`utils.checks.core.set_hidden_seed`,
    which :func:`main` draws fresh for every run); ``hide``: more directories the submission
    must not read (the submission's own directory is always hidden)."""
    try:
        raw = path.read_bytes()[:MAX_NOTEBOOK_BYTES + 1]
        if len(raw) > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
        nb = json.loads(raw.decode("utf-8"))
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        assignment = identify(None, path, default_assignment)
        if assignment is None:  # no questions to list: the instructor has to say which
            return _zero_report(path, None, "unknown assignment",
                                f"the submission is not a valid notebook ({exc}) and its file "
                                "name does not tell which assignment it is; pass --assignment.")
        return _zero_report(path, assignment, "invalid notebook",
                            f"the submission is not a valid notebook ({exc}).")
    assignment = identify(nb, path, default_assignment)
    if assignment is None:
        return _zero_report(path, None, "unknown assignment",
                            "could not tell which assignment this is; pass --assignment.")
    qs = items(assignment)  # the questions and the predictions, in the notebook's order
    labelled = labelled_code_cells(nb)
    cells = [src for src, _ in labelled]
    labels = [label for _, label in labelled]
    funcs = [q.func_name for q in questions(assignment)]
    flags = static_flags(cells, funcs)
    key_flags = answer_key_flags(cells, funcs)

    def where(idx: Any) -> str:
        return labels[idx] if isinstance(idx, int) and 0 <= idx < len(labels) else \
            f"code cell {idx}"


    job_dir = Path(tempfile.mkdtemp(prefix="gru-grade-"))
    try:
        job = {"cells": cells, "cell_timeout": max(2.0, 0.3 * timeout),
               "question_timeout": max(2.0, 0.1 * timeout),
               "questions": [_probe_payload(q) for q in qs]}
        t0 = time.monotonic()
        nonce = secrets.token_hex(16)
        code, timed_out = _run_sandboxed(job_dir, job, timeout, memory_mb, nonce,
                                         _hide_targets([path.parent, *hide]))
        elapsed = time.monotonic() - t0
        events = _read_progress(job_dir / "progress.jsonl", nonce)
        stderr_tail = (job_dir / "stderr.txt").read_bytes()[-2000:].decode("utf-8", "replace")
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)

    notes: list[str] = []
    started = [e.get("index") for e in events if e.get("event") == "cell_start"]
    ended = {e.get("index"): e for e in events if e.get("event") == "cell_end"}
    for idx, e in sorted(ended.items(), key=lambda kv: kv[0] if isinstance(kv[0], int) else 0):
        if e.get("timeout"):
            notes.append(f"{where(idx)} ran out of time and was interrupted.")
        elif e.get("error"):
            notes.append(f"{where(idx)} raised {str(e['error'])[:200]}")
    done = any(e.get("event") == "done" for e in events)
    status = "graded"
    if timed_out:
        status = "timeout"
        notes.append(f"grading stopped at the {timeout:.0f} s limit"
                     + (f" while running {where(started[-1])}" if started and
                        started[-1] not in ended else "") + ".")
    elif not any(e.get("event") == "start" for e in events):
        # no submitted code ran: the sandbox itself failed (it cannot import NumPy or
        # IPython, the runner did not start, ...). Not the learner's fault: a grader error.
        status = "grader error"
        notes.insert(0, f"grader error: the sandbox did not start (exit code {code}), so no "
                     "code of the submission ran: " + (stderr_tail[-600:].strip()
                                                       or "no error output"))
    elif not done:
        status = "crashed"
        at = (f" while running {where(started[-1])}" if started and
              started[-1] not in ended else "")
        notes.append(f"the notebook ended the grading process{at} (exit code {code}; "
                     "sys.exit in a loop, os._exit, or out of memory?).")
        if "MemoryError" in stderr_tail:
            notes.append("the process ran out of memory.")
    answered: dict[Any, Any] = {}
    for e in events:
        if e.get("event") == "question":
            answered.setdefault(e.get("name"), e.get("levels"))

    tests = []
    for q in qs:
        verdicts: list[Verdict] = []
        levels = answered.get(q.name)
        for level in q.points:
            if not isinstance(levels, dict) or level not in levels:
                reason = {"timeout": "grading ran out of time before this question",
                          "crashed": "the notebook ended the grading process before this "
                                     "question",
                          "grader error": "the grader failed before this question (not the "
                                          "submission's fault; see the notes)"}.get(
                    status, "no result for this question")
                verdicts.append(Verdict(0.0, float(q.points[level]),
                                        f"❌ {q.name} ({q.func_name}): {reason}.", status))
                continue
            try:
                outcomes = decode_outcomes(levels[level], len(q.probes(level)))
            except (KeyError, TypeError, ValueError) as exc:
                outcomes = [Outcome("error", detail=f"unreadable result ({exc})")] * len(
                    q.probes(level))
            verdicts.append(q.diagnose(level, outcomes))
        score = sum(v.points for v in verdicts)
        by_message: dict[str, list[str]] = {}
        for lv, v in zip(q.points, verdicts):
            by_message.setdefault(v.message, []).append(lv)
        messages = [f"[{', '.join(lvs)}] {msg}" for msg, lvs in by_message.items()]
        if q.func_name in key_flags and score < q.max_points:
            messages.append(f"Note: the answer's code uses the grader's answer key "
                            f"({key_flags[q.func_name]}: the reference implementation and the "
                            "probes), which is out of reach while grading.")
        if q.func_name in flags:  # a remark for the instructor, never a deduction
            notes.append(f"{q.name}: the answer's code names a reference implementation "
                         f"({flags[q.func_name]}); the points come from what the function "
                         "returned (a returned reference output is flagged in the "
                         "question's result).")
        tests.append({"name": q.name, "score": score, "max_score": q.max_points,
                      "output": "\n".join(messages)})
    seed = hidden_seed()
    notes.append(f"graded in {elapsed:.1f} s; hidden probes drawn from "
                 + (f"seed {seed}" if seed is not None else "the fixed default seed"))
    notes.append(SANDBOX_NOTES[_sandbox_mode()])
    return Report(str(path), assignment, status, tests, notes, hidden_seed())


# ----------------------------------------------------------------------------------------
# Writing reports


def write_report(report: Report, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {"score": report.score,
               "output": f"Assignment: {report.assignment or 'unknown'}; status: "
                         f"{report.status}; hidden probe seed: {report.seed}.\n"
                         + "\n".join(report.notes),
               "tests": [dict(t, visibility="visible") for t in report.tests],
               "extra_data": {"submission": report.submission, "assignment": report.assignment,
                              "status": report.status, "hidden_seed": report.seed}}
    (out_dir / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False),
                                          encoding="utf-8")
    lines = [f"Submission: {report.submission}", f"Assignment: {report.assignment}",
             f"Status:     {report.status}", f"Score:      {report.score:g} / "
             f"{report.max_score:g}", f"Seed:       {report.seed} (hidden probes; "
             f"reproduce with --seed {report.seed})", ""]
    for t in report.tests:
        lines.append(f"{t['name']}: {t['score']:g} / {t['max_score']:g}")
        lines += ["    " + line for line in t["output"].splitlines()]
    lines += ["", "Notes:"] + ["  - " + n for n in report.notes]
    (out_dir / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


RESERVED_NAMES = {"summary.csv"}  # files the grader writes next to the report directories
MAX_NAME_BYTES = 120


def safe_name(path: Path) -> str:
    """A report directory name from a submission's file name: letters, digits, ``.``, ``_``
    and ``-`` only (other characters become ``_``), no leading dot (so never ``.`` or ``..``),
    at most :data:`MAX_NAME_BYTES` bytes, never a name the grader writes itself."""
    stem = unicodedata.normalize("NFC", path.name)
    if stem.lower().endswith(".ipynb") and len(stem) > len(".ipynb"):
        stem = stem[:-len(".ipynb")]
    name = re.sub(r"[^\w.-]+", "_", stem).lstrip(".")
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    if not name or name.lower() in RESERVED_NAMES:
        name = f"submission_{name}" if name else "submission"
    return name


def _out_names(paths: list[Path]) -> list[str]:
    """Distinct, safe report directory names (case-insensitively distinct), named after the
    submissions' paths: the last folders of each path, as many as it takes to tell them apart
    (the same number for every submission), each part made safe by :func:`safe_name`.
    ``submissions/alice/ch3_exercises.ipynb`` and ``submissions/bob/ch3_exercises.ipynb``
    give ``alice/ch3_exercises`` and ``bob/ch3_exercises``; files in one folder give their
    own names. Paths that differ only in characters :func:`safe_name` replaces get ``-2``..."""
    full = [[safe_name(Path(part)) for part in p.resolve().parent.parts[1:]] + [safe_name(p)]
            for p in paths]
    depth = max((len(parts) for parts in full), default=1)

    def distinct(keep: int) -> int:
        return len({"/".join(parts[-keep:]).lower() for parts in full})

    best = max((distinct(k) for k in range(1, depth + 1)), default=0)
    keep = next((k for k in range(1, depth + 1) if distinct(k) == best), 1)
    names, used = [], set()
    for parts in full:
        stem, k = "/".join(parts[-keep:]), 2
        name = stem
        while name.lower() in used:
            name, k = f"{stem}-{k}", k + 1
        used.add(name.lower())
        names.append(name)
    return names


def _inside(out: Path, name: str) -> Path:
    """``out / name``, refusing anything that would land outside ``out``."""
    target = (out / name).resolve()
    if out.resolve() not in target.parents or any(
            part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"report name {name!r} escapes {out}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", nargs="+", type=Path, help="notebooks to grade")
    parser.add_argument("--out", type=Path, required=True, help="report directory")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="wall-clock seconds per submission (default 60)")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                        help="submissions graded in parallel")
    parser.add_argument("--memory-mb", type=int, default=4096,
                        help="address-space limit per submission in MiB (default 4096)")
    parser.add_argument("--assignment", choices=sorted(ASSIGNMENTS),
                        help="assignment to assume when a notebook does not say")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the hidden probes (default: fresh and random for every "
                             "run; each report records it, pass it here to reproduce a run)")
    parser.add_argument("--hide", type=Path, action="append", default=[],
                        help="another directory the submissions must not read (repeatable; "
                             "the course, the submissions' and the reports' directories are "
                             "always hidden when the grader runs as root)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.submissions if not p.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    if args.timeout <= 0 or args.jobs < 1:
        parser.error("--timeout must be > 0 and --jobs >= 1")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        probe = args.out / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        print(f"grader error: cannot write reports to {args.out}: {exc}", file=sys.stderr)
        return 1

    seed = secrets.randbits(32) if args.seed is None else args.seed
    set_hidden_seed(seed)  # before any probe is built
    names = _out_names(args.submissions)
    # every job hides the reports, the instructor's extra paths and ALL submissions' folders
    hide = (args.out, *args.hide, *dict.fromkeys(p.resolve().parent for p in args.submissions))

    def work(item: tuple[Path, str]) -> Report:
        path, name = item
        try:
            report = grade_one(path, timeout=args.timeout, memory_mb=args.memory_mb,
                               default_assignment=args.assignment, hide=hide)
        except Exception as exc:  # a grader bug: still write a report, then fail the run
            report = _zero_report(path, identify(None, path, args.assignment),
                                  "grader error", f"internal grader error: {exc!r}")
        try:
            write_report(report, _inside(args.out, name))
        except (OSError, ValueError) as exc:
            report.notes.insert(0, f"could not write this report: {exc}")
            report.status = "grader error"
        print(f"{name}: {report.score:g} / {report.max_score:g} ({report.status})")
        return report

    reports: list[Report] = []
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            reports = list(pool.map(work, zip(args.submissions, names)))
    finally:  # summary.csv is written whatever happened above
        all_q = list(dict.fromkeys(t["name"] for r in reports for t in r.tests))
        with open(args.out / "summary.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["submission", "report", "assignment", "status", "score",
                             "max_score", "hidden_seed", *all_q])
            for r, name in zip(reports, names):
                by = {t["name"]: t["score"] for t in r.tests}
                per_question = [f"{by[q]:g}" if q in by else "" for q in all_q]
                writer.writerow([r.submission, name, r.assignment, r.status, f"{r.score:g}",
                                 f"{r.max_score:g}", seed, *per_question])
    print(f"hidden probe seed: {seed} (reproduce with --seed {seed})")
    failed = [r for r in reports if r.status in ("grader error", "unknown assignment")]
    for r in failed:
        print(f"grader error: {r.submission}: {r.notes[0]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
