"""The hardened batch grader.

    python -m utils.grade SUBMISSION.ipynb [MORE ...] --out DIR [--timeout S] [--jobs N]

For each submission: identify the assignment (notebook metadata, then cell contents, then the
file name), run its code cells and the grader's probes in a sandboxed subprocess
(:mod:`utils.grading.runner`: own session, wall-clock limit, ``RLIMIT_AS`` memory limit,
``RLIMIT_FSIZE``, no network via ``unshare -n`` where the OS allows), bring the outcomes back
as JSON data and run each question's ``diagnose`` here, in the grader's process. A static
check of the answer functions flags answers that call the reference implementations.

Writes ``DIR/<stem>/results.json`` (Gradescope format: ``score`` and ``tests``, a list of
``{name, score, max_score, output}``), ``DIR/<stem>/summary.txt`` and ``DIR/summary.csv``.
Every question of the assignment appears in every report, with its points and a reason.
Exit status 0 when every submission got a report (a zero score is a report), 1 when the grader
itself could not run, 2 for a usage error.
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
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat

from utils.checks import ASSIGNMENTS, questions
from utils.checks.core import Outcome, Question, Verdict, _encode_array, decode_outcomes

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
    cells = []
    for c in nb.get("cells", []):
        if not isinstance(c, dict) or c.get("cell_type") != "code":
            continue
        src = c.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        if not _OTTER_CELL.match(src):
            cells.append(src)
    return cells


def _referenced_names(node: ast.AST) -> set[str]:
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute):
            names.add(n.attr)
        elif isinstance(n, ast.alias):
            names.update(n.name.split("."))
            if n.asname:
                names.add(n.asname)
        elif isinstance(n, ast.ImportFrom) and n.module:
            names.update(n.module.split("."))
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and re.fullmatch(
                r"[\w.]{1,80}", n.value):  # "utils.numpy_cells", not prose or docstrings
            names.update(n.value.split("."))
    return names


def static_flags(cells: list[str], func_names: list[str]) -> dict[str, str]:
    """Answer functions whose code (or a notebook function they call) uses a reference.

    Flags names from :data:`_FORBIDDEN_NAMES` and aliases bound by importing
    :data:`_FORBIDDEN_MODULES` anywhere in the notebook.
    """
    defs: dict[str, ast.AST] = {}
    aliases: set[str] = set()
    for src in cells:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue  # IPython magics, or a syntax error the runner will report
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if not isinstance(n, ast.Lambda):
                    defs[n.name] = n
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith(
                    _FORBIDDEN_MODULES):
                aliases.update(a.asname or a.name for a in n.names)
            if isinstance(n, ast.Import):
                for a in n.names:
                    if a.name.startswith(_FORBIDDEN_MODULES):
                        aliases.add(a.asname or a.name.split(".")[0])
            if isinstance(n, ast.Assign) and isinstance(n.value, (ast.Attribute, ast.Name)) \
                    and _referenced_names(n.value) & _FORBIDDEN_NAMES:
                aliases.update(t.id for t in n.targets if isinstance(t, ast.Name))
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
            refs = _referenced_names(defs[name])
            hits |= (refs & _FORBIDDEN_NAMES) | (refs & aliases)
            todo += [r for r in refs if r in defs and r not in seen]
        if hits:
            flags[func] = ", ".join(sorted(hits))
    return flags


# ----------------------------------------------------------------------------------------
# Sandbox


@lru_cache(maxsize=1)
def _no_network_prefix() -> tuple[str, ...]:
    """``("unshare", "-n")`` if this OS lets us drop the network, else ``()``."""
    exe = shutil.which("unshare")
    if exe is None:
        return ()
    try:
        ok = subprocess.run([exe, "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return (exe, "-n") if ok else ()


def _limits(memory_mb: int) -> Any:
    def apply() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _child_env(job_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
    env.update(HOME=str(job_dir), PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="Agg", MPLCONFIGDIR=str(job_dir), IPYTHONDIR=str(job_dir / ".ipy"))
    return env


def _run_sandboxed(job_dir: Path, timeout: float, memory_mb: int,
                   nonce: str) -> tuple[int | None, bool]:
    """Run the runner on ``job_dir``; return (exit code or None, timed out)."""
    cmd = [*_no_network_prefix(), sys.executable, "-m", "utils.grading.runner", str(job_dir)]
    with open(job_dir / "stdout.txt", "wb") as out, open(job_dir / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(cmd, cwd=job_dir, env=_child_env(job_dir),
                                stdin=subprocess.PIPE, stdout=out, stderr=err,
                                start_new_session=True, preexec_fn=_limits(memory_mb))
        try:
            try:
                proc.stdin.write(nonce.encode() + b"\n")
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


def _probe_payload(q: Question) -> dict[str, Any]:
    return {"name": q.name, "func_name": q.func_name,
            "levels": {lv: [{"name": p.name,
                             "args": {k: _encode_array(v) for k, v in p.args.items()}}
                            for p in q.probes(lv)] for lv in q.points}}


def _zero_report(path: Path, assignment: str | None, status: str, reason: str) -> Report:
    tests = []
    if assignment is not None:
        for q in questions(assignment):
            tests.append({"name": q.name, "score": 0.0, "max_score": q.max_points,
                          "output": f"0 points: {reason}"})
    return Report(str(path), assignment, status, tests, [reason])


def grade_one(path: Path, *, timeout: float, memory_mb: int,
              default_assignment: str | None = None) -> Report:
    """Grade one notebook; never raises for anything the submission does."""
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
    qs = questions(assignment)
    cells = code_cells(nb)
    flags = static_flags(cells, [q.func_name for q in qs])

    job_dir = Path(tempfile.mkdtemp(prefix="gru-grade-"))
    try:
        job = {"cells": cells, "cell_timeout": max(2.0, 0.3 * timeout),
               "question_timeout": max(2.0, 0.1 * timeout),
               "questions": [_probe_payload(q) for q in qs]}
        (job_dir / "job.json").write_text(json.dumps(job), encoding="utf-8")
        t0 = time.monotonic()
        nonce = secrets.token_hex(16)
        code, timed_out = _run_sandboxed(job_dir, timeout, memory_mb, nonce)
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
            notes.append(f"code cell {idx} ran out of time and was interrupted.")
        elif e.get("error"):
            notes.append(f"code cell {idx} raised {str(e['error'])[:200]}")
    done = any(e.get("event") == "done" for e in events)
    status = "graded"
    if timed_out:
        status = "timeout"
        notes.append(f"grading stopped at the {timeout:.0f} s limit"
                     + (f" while running code cell {started[-1]}" if started and
                        started[-1] not in ended else "") + ".")
    elif not done:
        status = "crashed"
        where = (f" while running code cell {started[-1]}" if started and
                 started[-1] not in ended else "")
        notes.append(f"the notebook ended the grading process{where} (exit code {code}; "
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
            if q.func_name in flags:
                verdicts.append(Verdict(0.0, float(q.points[level]),
                                        f"❌ {q.name} ({q.func_name}): flagged — the answer "
                                        f"uses the reference implementation "
                                        f"({flags[q.func_name]}); no points.", "flagged"))
                continue
            if not isinstance(levels, dict) or level not in levels:
                reason = {"timeout": "grading ran out of time before this question",
                          "crashed": "the notebook ended the grading process before this "
                                     "question"}.get(status, "no result for this question")
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
        tests.append({"name": q.name, "score": score, "max_score": q.max_points,
                      "output": "\n".join(messages)})
    notes.append(f"graded in {elapsed:.1f} s"
                 + ("" if _no_network_prefix() else " (network isolation unavailable)"))
    return Report(str(path), assignment, status, tests, notes)


# ----------------------------------------------------------------------------------------
# Writing reports


def write_report(report: Report, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {"score": report.score,
               "output": f"Assignment: {report.assignment or 'unknown'}; status: "
                         f"{report.status}.\n" + "\n".join(report.notes),
               "tests": [dict(t, visibility="visible") for t in report.tests],
               "extra_data": {"submission": report.submission, "assignment": report.assignment,
                              "status": report.status}}
    (out_dir / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False),
                                          encoding="utf-8")
    lines = [f"Submission: {report.submission}", f"Assignment: {report.assignment}",
             f"Status:     {report.status}", f"Score:      {report.score:g} / "
             f"{report.max_score:g}", ""]
    for t in report.tests:
        lines.append(f"{t['name']}: {t['score']:g} / {t['max_score']:g}")
        lines += ["    " + line for line in t["output"].splitlines()]
    lines += ["", "Notes:"] + ["  - " + n for n in report.notes]
    (out_dir / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _out_names(paths: list[Path]) -> list[str]:
    names, used = [], set()
    for p in paths:
        stem, k = p.stem, 2
        name = stem
        while name in used:
            name, k = f"{stem}-{k}", k + 1
        used.add(name)
        names.append(name)
    return names


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

    names = _out_names(args.submissions)

    def work(item: tuple[Path, str]) -> Report:
        path, name = item
        try:
            report = grade_one(path, timeout=args.timeout, memory_mb=args.memory_mb,
                               default_assignment=args.assignment)
        except Exception as exc:  # a grader bug: still write a report, then fail the run
            report = _zero_report(path, identify(None, path, args.assignment),
                                  "grader error", f"internal grader error: {exc!r}")
        write_report(report, args.out / name)
        print(f"{name}: {report.score:g} / {report.max_score:g} ({report.status})")
        return report

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        reports = list(pool.map(work, zip(args.submissions, names)))

    all_q = list(dict.fromkeys(t["name"] for r in reports for t in r.tests))
    with open(args.out / "summary.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "report", "assignment", "status", "score", "max_score",
                         *all_q])
        for r, name in zip(reports, names):
            by = {t["name"]: t["score"] for t in r.tests}
            per_question = [f"{by[q]:g}" if q in by else "" for q in all_q]
            writer.writerow([r.submission, name, r.assignment, r.status, f"{r.score:g}",
                             f"{r.max_score:g}", *per_question])
    failed = [r for r in reports if r.status in ("grader error", "unknown assignment")]
    for r in failed:
        print(f"grader error: {r.submission}: {r.notes[0]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
