"""The sandboxed half of the batch grader: run one submission, record outcomes as data.

:mod:`utils.grade` copies this file and :mod:`utils.checks.core` into a throw-away runtime
directory (package ``_gru_sandbox``, next to a copy of the public course modules ``utils``
without the answer key, whose ``utils.checks`` is a stub) and starts it there, in its own
process: own session, ``RLIMIT_AS``/``RLIMIT_FSIZE``, an empty working directory, an import
path without the course repository, and — when the grader runs
as root — its own mount, network and PID namespaces with the repository hidden and an
unprivileged user of its own. It reads a one-time token (first line) and the job (the rest)
from stdin::

    {"cells": [source, ...], "cell_timeout": s, "question_timeout": s, "progress_fd": fd,
     "questions": [{"name": "q2_1", "func_name": "reset_gate",
                    "levels": {"public": [{"name": ..., "traced": false,
                                           "args": {arg: encoded array}}], ...}},
                   {"name": "p2_1", "var_name": "predicted_share", "levels": {"public": [..]}}]}

(a prediction's entry names the learner's variable, whose value is read as data by
``capture_value``; the answer never enters the sandbox)

executes the code cells one by one in an IPython shell (errors and ``sys.exit`` are recorded,
and execution goes on, like "Run all" with errors allowed), then calls each student function
on the grader's probes (``capture``) and writes one JSON line per event to the file
descriptor ``progress_fd`` (opened by the grader; the submission cannot open that file). No
verdict is computed here: the grader process decodes the outcomes and runs ``diagnose``
itself, so nothing the notebook patches can award points.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from typing import Any, TextIO

# Everything the runner needs is bound here, before any submitted code runs.
import numpy as np

if __package__ == "_gru_sandbox":  # the copy the batch grader runs
    from _gru_sandbox.core import (Outcome, Probe, _decode_array, capture, capture_value,
                                   encode_outcomes)
else:  # the repository's module (tests, and the capped writer's home)
    from utils.checks.core import (Outcome, Probe, _decode_array, capture, capture_value,
                                   encode_outcomes)

OUTPUT_CAP = 64 * 1024  # bytes of the notebook's own printing kept in stdout.txt


class _Timeout(BaseException):
    """Raised by SIGALRM in the main thread when a cell or a question overruns."""


class _CappedWriter(io.TextIOBase):
    """Keeps the first ``OUTPUT_CAP`` characters, counts the rest (10 MB of printing is fine)."""

    def __init__(self, target: TextIO) -> None:
        self.target, self.written, self.dropped = target, 0, 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        keep = max(0, min(len(s), OUTPUT_CAP - self.written))
        if keep:
            self.target.write(s[:keep])
            self.target.flush()
        self.written += keep
        self.dropped += len(s) - keep
        return len(s)


def _alarm(seconds: float) -> None:
    # fires again every second in case the first _Timeout is swallowed by a bare `except`
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01), 1.0)


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0, 0)


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def main() -> int:
    # The grader sends a one-time token, then the job, on stdin, and accepts only events
    # carrying the token, so lines the notebook writes to the progress channel are ignored.
    nonce = sys.stdin.readline().strip()
    job = json.loads(sys.stdin.read())
    sys.stdin.close()
    progress = os.fdopen(int(job["progress_fd"]), "a", encoding="utf-8", buffering=1)
    emit = progress.write
    dumps = json.dumps

    def log(**event: Any) -> None:
        emit(dumps(dict(event, nonce=nonce)) + "\n")
        progress.flush()

    signal.signal(signal.SIGALRM, _on_alarm)
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over RLIMIT_FSIZE: EFBIG, not death
    out, err = _CappedWriter(sys.stdout), _CappedWriter(sys.stderr)
    sys.stdout, sys.stderr = out, err

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="nocolor")
    log(event="start", pid=os.getpid())
    cell_timeout = float(job["cell_timeout"])
    for index, source in enumerate(job["cells"]):
        log(event="cell_start", index=index)
        timed_out = False
        _alarm(cell_timeout)
        try:
            result = shell.run_cell(source, store_history=False, silent=False)
        except _Timeout:
            timed_out, result = True, None
        finally:
            _disarm()
        error = None
        if result is not None:
            exc = result.error_before_exec or result.error_in_exec
            if isinstance(exc, _Timeout):
                timed_out = True
            elif exc is not None:
                error = f"{type(exc).__name__}: {exc}"[:300]
        log(event="cell_end", index=index, error=error, timeout=timed_out)
        sys.stdout, sys.stderr = out, err  # a cell may have replaced them

    question_timeout = float(job["question_timeout"])
    missing = object()
    for q in job["questions"]:
        levels: dict[str, Any] = {}
        if "var_name" in q:  # a prediction: the value of the learner's variable, as data
            for level in q["levels"]:
                value = shell.user_ns.get(q["var_name"], missing)
                _alarm(question_timeout)
                try:
                    outcome = (Outcome("missing", detail=f"no `{q['var_name']}` in the "
                                       "notebook") if value is missing else capture_value(value))
                except BaseException as exc:  # _Timeout, or anything the value raised
                    outcome = Outcome("error", detail=f"{type(exc).__name__}"[:300])
                finally:
                    _disarm()
                levels[level] = encode_outcomes([outcome])
            log(event="question", name=q["name"], levels=levels)
            continue
        fn = shell.user_ns.get(q["func_name"])
        for level, raw_probes in q["levels"].items():
            probes = [Probe(p["name"], {k: _decode_array(v) for k, v in p["args"].items()},
                            "", "", traced=bool(p.get("traced", False))) for p in raw_probes]
            if fn is None:
                outcomes = [Outcome("missing", detail=f"no `{q['func_name']}` in the notebook")
                            for _ in probes]
            else:
                _alarm(question_timeout)
                try:
                    outcomes = capture(fn, probes)
                except _Timeout:
                    outcomes = [Outcome("timeout", detail=f"limit {question_timeout:.0f} s")
                                for _ in probes]
                except BaseException as exc:  # SystemExit, KeyboardInterrupt from the student
                    outcomes = [Outcome("error", detail=f"{type(exc).__name__}: {exc}"[:300])
                                for _ in probes]
                finally:
                    _disarm()
            levels[level] = encode_outcomes(outcomes)
        log(event="question", name=q["name"], levels=levels)
    log(event="done", stdout_dropped=out.dropped, stderr_dropped=err.dropped,
        numpy=np.__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
