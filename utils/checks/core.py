"""The checker framework: probes → student call → plain-data outcomes → ``diagnose`` → verdict.

A :class:`Question` owns grader-chosen inputs (``probes``, including term-isolation probes),
the reference, the known mistakes and the hint. Checking is split in two halves so that the
batch grader can run them in different processes:

1. :func:`capture` calls the student function on every probe, in the student's process, and
   turns what happened into plain data (:class:`Outcome`: a value, ``None``, an exception,
   a call into the reference implementation, ...). :func:`encode_outcomes` /
   :func:`decode_outcomes` move outcomes as JSON (arrays as base64 bytes, never pickles).
2. :meth:`Question.diagnose` turns outcomes into ``(points, message)`` with no student code on
   the stack, so monkeypatching NumPy or otter in the notebook cannot change the verdict.

In Jupyter both halves run in the learner's kernel (:func:`utils.checks.check`).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import sys
import sysconfig
import warnings
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

LEVELS = ("public", "hidden")
RTOL = 1e-8
ATOL = 1e-8
MAX_ELEMENTS = 1_000_000  # larger outputs are refused rather than shipped between processes
MAX_WARNINGS = 5

_UTILS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_FORBIDDEN_FILE_PARTS = (os.sep + os.path.join("torch", "nn", "modules", "rnn.py"),)
_FORBIDDEN_BUILTINS = {"gru_cell", "gru", "_thnn_fused_gru_cell"}
# Code in these folders is not the learner's: its lines are not counted (Outcome.lines).
_LIBRARY_DIRS = tuple(sorted({os.path.abspath(p) + os.sep for p in (
    sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib"))
    if p} | {_UTILS_DIR}))


# The seed of the hidden probes of one batch-grading run (None: the fixed default).
_hidden_seed: int | None = None


def set_hidden_seed(seed: int | None) -> None:
    """Draw the hidden probes of every question from ``seed`` until changed (None: default).

    The batch grader sets a fresh seed for each run and records it in the report, so no
    table of answers to the hidden probes can be prepared in advance.
    """
    global _hidden_seed
    _hidden_seed = None if seed is None else int(seed)


def probe_rng(level: str, salt: str) -> np.random.Generator:
    """The generator a question's probe builder draws its random inputs from.

    ``salt`` (e.g. the question's name) keeps the questions' draws apart. Public probes
    (``grader.check`` in the notebook) are the same every time, so feedback is reproducible;
    hidden probes follow the grading run's seed (:func:`set_hidden_seed`). Every probe
    builder must draw from this generator, never from a fixed seed of its own.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    base = zlib.crc32(salt.encode())
    if level == "hidden" and _hidden_seed is not None:
        return np.random.default_rng([_hidden_seed, base])
    return np.random.default_rng([LEVELS.index(level), base])


@dataclasses.dataclass(frozen=True)
class Probe:
    """One grader-chosen call: positional ``args`` (name → array) and what it isolates.

    ``label`` names the term the probe isolates ("the bias term", ...); ``given`` describes
    the inputs for feedback ("x_t = 0 and h_prev = 0, so only the biases act").
    """

    name: str
    args: dict[str, np.ndarray]
    label: str
    given: str


@dataclasses.dataclass
class Outcome:
    """What one student call did, as plain data.

    ``kind`` is one of ``value``, ``none``, ``not_implemented``, ``error``, ``wrong_type``,
    ``reference_call``, ``mutated``, ``tampered``, ``missing``, ``too_large``, ``timeout``.
    ``value`` is an array, or a list of arrays when the function returns a tuple/list.
    ``warnings`` holds the first :data:`MAX_WARNINGS` distinct warnings raised during the
    call (``"RuntimeWarning: overflow encountered in exp"``); no verdict of the framework
    uses them, a chapter's checker may. ``lines`` counts the Python lines executed in the
    learner's own code during the call (not in NumPy, the standard library or ``utils``), so
    a checker can tell a loop over ``t`` from whole-array rounds; ``-1`` when not measured.
    """

    kind: str
    value: Any = None
    detail: str = ""
    warnings: tuple[str, ...] = ()  # first few distinct warnings the call raised
    lines: int = -1  # Python lines the learner's own code executed in the call (-1: unknown)


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A known wrong implementation: ``fn(**probe.args)`` gives what that mistake returns."""

    fn: Callable[..., Any]
    message: str


@dataclasses.dataclass(frozen=True, repr=False)
class Verdict:
    """Points awarded for one level of one question, with the learner-facing message."""

    points: float
    max_points: float
    message: str
    status: str  # "correct", "incorrect", "not attempted", "flagged"

    def __repr__(self) -> str:  # what Jupyter shows for `check(...)`
        return self.message


# ----------------------------------------------------------------------------------------
# Student side: call the function on the probes and record plain data.


class _ReferenceTracer:
    """``sys.setprofile`` hook noting calls into ``utils`` or PyTorch's GRU during a call."""

    def __init__(self, ignore: frozenset = frozenset()) -> None:
        self.hits: list[str] = []
        self.ignore = ignore  # the checker's own code objects called during the call

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code not in self.ignore:
            filename = frame.f_code.co_filename
            if filename.startswith(_UTILS_DIR) or any(
                part in filename for part in _FORBIDDEN_FILE_PARTS
            ):
                module = os.path.relpath(filename, os.path.dirname(_UTILS_DIR.rstrip(os.sep)))
                self.hits.append(f"{module}:{frame.f_code.co_name}")
        elif event == "c_call" and getattr(arg, "__name__", "") in _FORBIDDEN_BUILTINS:
            self.hits.append(f"torch:{arg.__name__}")


class _LineCounter:
    """``sys.settrace`` hook counting the lines executed in frames of the learner's code."""

    def __init__(self) -> None:
        self.lines = 0

    def __call__(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "call":
            filename = frame.f_code.co_filename
            if filename.startswith("<frozen") or filename.startswith(_LIBRARY_DIRS):
                return None  # library code: not traced line by line
            return self._local
        return None

    def _local(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines += 1
        return self._local


def _to_plain(result: Any) -> Outcome:
    if result is None:
        return Outcome("none")
    if isinstance(result, np.generic):  # NumPy returns scalars from 0-d arithmetic
        result = np.asarray(result)
    if isinstance(result, (tuple, list)):
        parts = [_to_plain(item) for item in result]
        for part in parts:
            if part.kind != "value" or isinstance(part.value, list):
                return Outcome("wrong_type", detail=f"a {type(result).__name__} containing "
                               f"{part.detail or part.kind}")
        return Outcome("value", [p.value for p in parts])
    if not isinstance(result, np.ndarray):
        return Outcome("wrong_type", detail=type(result).__module__ + "." +
                       type(result).__qualname__)
    if result.dtype.kind not in "biufc":
        return Outcome("wrong_type", detail=f"numpy.ndarray of dtype {result.dtype}")
    if result.size > MAX_ELEMENTS:
        return Outcome("too_large", detail=f"shape {result.shape}")
    return Outcome("value", np.array(result, copy=True))


def capture(fn: Any, probes: Sequence[Probe]) -> list[Outcome]:
    """Call ``fn`` on each probe (on copies of the inputs) and record what happened.

    Exceptions, ``None``, non-arrays, in-place modification of inputs and calls into the
    reference implementations (traced with ``sys.setprofile``) become :class:`Outcome` data.
    """
    outcomes = []
    for probe in probes:
        if not callable(fn):
            outcomes.append(Outcome("missing", detail=f"not a function but {type(fn).__name__}"))
            continue
        args = {k: np.array(v, copy=True) for k, v in probe.args.items()}
        noted: dict[str, None] = {}

        def note(message: Any, category: type, *rest: Any, **kw: Any) -> None:
            if len(noted) < MAX_WARNINGS:
                noted.setdefault(f"{category.__name__}: {message}"[:200])

        tracer = _ReferenceTracer(ignore=frozenset({note.__code__}))
        counter = _LineCounter()
        previous, previous_trace = sys.getprofile(), sys.gettrace()
        sys.setprofile(tracer)
        sys.settrace(counter)
        try:
            with warnings.catch_warnings(), np.errstate(over="warn", divide="warn",
                                                        invalid="warn"):
                warnings.simplefilter("always")
                warnings.showwarning = note  # restored by catch_warnings
                result = fn(*args.values())
        except NotImplementedError as exc:
            outcomes.append(Outcome("not_implemented", detail=str(exc)))
            continue
        except Exception as exc:  # the learner's bug, reported as data
            outcomes.append(Outcome("error", detail=f"{type(exc).__name__}: {exc}"[:500]))
            continue
        finally:
            still_ours = sys.getprofile() is tracer
            counted = counter.lines if sys.gettrace() is counter else -1
            sys.settrace(previous_trace)
            sys.setprofile(previous)
        if not still_ours:
            outcomes.append(Outcome("tampered", detail="the function changed sys.setprofile"))
        elif tracer.hits:
            hits = list(dict.fromkeys(tracer.hits))  # first calls first, no repeats
            more = f" and {len(hits) - 3} more" if len(hits) > 3 else ""
            outcomes.append(Outcome("reference_call", detail=", ".join(hits[:3]) + more))
        elif changed := [k for k, a in args.items()
                         if a.shape != probe.args[k].shape
                         or not np.array_equal(a, probe.args[k], equal_nan=True)]:
            outcomes.append(Outcome("mutated", detail=", ".join(changed)))
        else:
            outcomes.append(dataclasses.replace(_to_plain(result), warnings=tuple(noted),
                                                lines=counted))
    return outcomes


# ----------------------------------------------------------------------------------------
# Transport: outcomes as JSON-safe data (base64 array bytes, never pickles).


def _encode_array(a: np.ndarray) -> dict[str, Any]:
    # tobytes(order="C") handles any strides and keeps 0-d arrays 0-d (ascontiguousarray
    # would make them 1-d)
    return {"dtype": a.dtype.str, "shape": list(a.shape),
            "b64": base64.b64encode(a.tobytes(order="C")).decode("ascii")}


def _decode_array(d: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(str(d["dtype"]))
    if dtype.kind not in "biufc":
        raise ValueError(f"refusing dtype {dtype}")
    shape = tuple(int(s) for s in d["shape"])
    if any(s < 0 for s in shape) or int(np.prod(shape, dtype=np.int64)) > MAX_ELEMENTS:
        raise ValueError(f"refusing shape {shape}")
    raw = base64.b64decode(str(d["b64"]), validate=True)
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def encode_outcomes(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """Outcomes as JSON-serialisable dicts."""
    out = []
    for o in outcomes:
        value: Any = None
        if isinstance(o.value, np.ndarray):
            value = _encode_array(o.value)
        elif isinstance(o.value, list):
            value = [_encode_array(v) for v in o.value]
        out.append({"kind": o.kind, "value": value, "detail": str(o.detail)[:500],
                    "warnings": [str(w)[:200] for w in o.warnings[:MAX_WARNINGS]],
                    "lines": int(o.lines)})
    return out


def decode_outcomes(data: Any, n_probes: int) -> list[Outcome]:
    """Validate and decode :func:`encode_outcomes` data; anything malformed is an error."""
    if not isinstance(data, list) or len(data) != n_probes:
        raise ValueError(f"expected a list of {n_probes} outcomes")
    outcomes = []
    for d in data:
        kind = str(d["kind"])
        value = d.get("value")
        if kind == "value":
            if isinstance(value, list):
                value = [_decode_array(v) for v in value]
            else:
                value = _decode_array(value)
        else:
            value = None
        caught = d.get("warnings", [])
        if not isinstance(caught, list):
            raise ValueError("warnings must be a list")
        lines = d.get("lines", -1)
        if isinstance(lines, bool) or not isinstance(lines, int):
            raise ValueError("lines must be an integer")
        outcomes.append(Outcome(kind, value, str(d.get("detail", ""))[:500],
                                tuple(str(w)[:200] for w in caught[:MAX_WARNINGS]),
                                max(int(lines), -1)))
    return outcomes


# ----------------------------------------------------------------------------------------
# Grader side: compare, name the mistake, isolate the term.


def fmt(a: Any) -> str:
    """Short, readable array text for feedback."""
    a = np.asarray(a)
    return np.array2string(a, precision=4, suppress_small=True, threshold=12, edgeitems=2,
                           max_line_width=88)


def close(expected: np.ndarray, got: np.ndarray) -> bool:
    """Same shape and ``|got − expected| ≤ ATOL + RTOL·|expected|`` everywhere (float64)."""
    return (got.shape == expected.shape
            and bool(np.all(np.abs(got.astype(np.float64) - expected)
                            <= ATOL + RTOL * np.abs(expected))))


def compare(expected: np.ndarray, got: np.ndarray, what: str, given: str) -> str | None:
    """Shape, then dtype, then NaN, then values; ``None`` when ``got`` is right."""
    if got.shape != expected.shape:
        extra = ""
        if got.shape == expected.shape[::-1] and got.ndim == 2:
            extra = " (transposed?)"
        return (f"Wrong shape: expected {what} of shape {expected.shape} given {given}, "
                f"but got shape {got.shape} instead{extra}.")
    if got.dtype != expected.dtype:
        return (f"Wrong dtype: expected {what} of dtype {expected.dtype} given float64 inputs, "
                f"but got {got.dtype} instead (compute in float64: no `.astype`, no float32).")
    if got.dtype.kind in "fc" and np.isnan(got).any():
        return (f"Got NaN in {what} given {given} (at {tuple(np.argwhere(np.isnan(got))[0])}); "
                "check for 0/0, log of a negative number or overflow.")
    if not close(expected, got):
        diff = np.abs(got - expected)
        at = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        return (f"Expected {what} = {fmt(expected)} given {given}, but got {fmt(got)} instead "
                f"(largest difference {float(diff.max()):.3g} at index {at}).")
    return None


def _matches(mistake: Mistake, probes: Sequence[Probe], outcomes: Sequence[Outcome]) -> bool:
    """The student's outcomes equal what ``mistake`` returns on every probe (errors alike)."""
    valued = 0
    for probe, outcome in zip(probes, outcomes):
        try:
            wrong = mistake.fn(**probe.args)
        except Exception:
            if outcome.kind != "error":
                return False
            continue
        if outcome.kind != "value":
            return False
        wrong_parts = list(wrong) if isinstance(wrong, tuple) else [wrong]
        got_parts = outcome.value if isinstance(outcome.value, list) else [outcome.value]
        if len(wrong_parts) != len(got_parts) or not all(
                close(np.asarray(w, dtype=np.float64), np.asarray(g))
                for w, g in zip(wrong_parts, got_parts)):
            return False
        valued += 1
    return valued > 0


@dataclasses.dataclass(frozen=True)
class Question:
    """A declarative exercise: what to call, on which probes, and how to explain failures.

    ``probes(level)`` returns the grader-chosen inputs for ``"public"`` (what ``grader.check``
    runs in the student notebook) or ``"hidden"`` (other sizes, batch of one).
    ``reference(**args)`` returns the right answer (an array or a tuple of arrays);
    ``output_names`` names the returned arrays for feedback.
    """

    name: str
    func_name: str
    title: str
    hint: str
    probes: Callable[[str], list[Probe]]
    reference: Callable[..., Any]
    mistakes: tuple[Mistake, ...]
    output_names: tuple[str, ...]
    points: dict[str, float]

    @property
    def max_points(self) -> float:
        return float(sum(self.points.values()))

    def diagnose(self, level: str, outcomes: Sequence[Outcome]) -> Verdict:
        """Turn the plain-data outcomes of one level into points and a diagnostic message."""
        probes = self.probes(level)
        pts = float(self.points[level])
        tag = f"{self.name} ({self.func_name})"
        how_hint = f'Need a hint? Run `hint("{self.name}")`.'

        def fail(msg: str, status: str = "incorrect") -> Verdict:
            if status == "incorrect":
                msg = f"{msg}\n{how_hint}"
            return Verdict(0.0, pts, f"❌ {tag}: {msg}", status)

        if len(outcomes) != len(probes):
            return fail("the grader received no result for this question.")
        kinds = [o.kind for o in outcomes]
        if "not_implemented" in kinds or "missing" in kinds:
            missing = [o for o in outcomes if o.kind == "missing"]
            if missing:
                return fail(f"`{self.func_name}` is not defined ({missing[0].detail}). Run the "
                            "cell that defines it.", "not attempted")
            own = self.title.split(":")[0]  # "Exercise 2.4"
            other = next((o.detail for o in outcomes if o.kind == "not_implemented"
                          and o.detail.startswith("Exercise ")
                          and not o.detail.startswith(f"{own}:")), None)
            if other is not None:  # e.g. gru_cell_step calling a reset_gate still a stub
                return Verdict(0.0, pts, f"⏳ {tag}: not finished yet — your function calls "
                               f"one that is still a stub (NotImplementedError: {other}). "
                               "Complete that exercise first.", "not attempted")
            return Verdict(0.0, pts, f"⏳ {tag}: not attempted yet — replace the "
                           "`raise NotImplementedError(...)` line and the `...` blanks with "
                           f"your code. {how_hint}", "not attempted")
        for o in outcomes:
            if o.kind == "reference_call":
                return fail(f"your function calls the reference implementation ({o.detail}). "
                            "Write the computation yourself with NumPy; no points for this.",
                            "flagged")
            if o.kind == "tampered":
                return fail(f"the grader's tracing was disabled ({o.detail}); no points.",
                            "flagged")
            if o.kind == "timeout":
                return fail(f"the function did not return in time ({o.detail}). "
                            "Is there an infinite loop?")
        for probe, o in zip(probes, outcomes):
            if o.kind == "none":
                return fail(f"Got `None` given {probe.given} — did you forget a `return`?")
            if o.kind == "mutated":
                return fail(f"your function modified its input(s) {o.detail} in place given "
                            f"{probe.given}; work on a copy (e.g. `{o.detail.split(',')[0]}"
                            ".copy()`) so the caller's arrays stay unchanged.")
            if o.kind in ("wrong_type", "too_large"):
                want = ("a tuple of NumPy arrays " + ", ".join(self.output_names)
                        if len(self.output_names) > 1 else "a NumPy array")
                return fail(f"expected {want} given {probe.given}, but got {o.detail} instead.")
        for mistake in self.mistakes:
            if _matches(mistake, probes, outcomes):
                return fail(mistake.message)
        for probe, o in zip(probes, outcomes):
            if o.kind == "error":
                return fail(f"your function raised {o.detail}\n  given {probe.given}.")
        # Shape, dtype and NaN over every probe first, then values probe by probe, so that
        # the first value failure names the isolated term.
        problems: list[tuple[int, str]] = []
        for probe, o in zip(probes, outcomes):
            expected = self.reference(**probe.args)
            exp_parts = list(expected) if isinstance(expected, tuple) else [expected]
            got_parts = o.value if isinstance(o.value, list) else [o.value]
            if len(got_parts) != len(exp_parts) or (
                    len(exp_parts) > 1 and not isinstance(o.value, list)):
                if len(exp_parts) == 1:
                    return fail(f"expected one NumPy array `{self.output_names[0]}` given "
                                f"{probe.given}, but got a sequence of {len(got_parts)} items; "
                                "return a single array (e.g. `np.array(...)` or "
                                "`np.stack(...)`).")
                return fail(f"expected {len(exp_parts)} arrays ({', '.join(self.output_names)})"
                            f" given {probe.given}, but got {len(got_parts)}.")
            for name, e, g in zip(self.output_names, exp_parts, got_parts):
                msg = compare(np.asarray(e, dtype=np.float64), g, f"`{name}`", probe.given)
                if msg is not None:
                    rank = (0 if msg.startswith("Wrong shape") else
                            1 if msg.startswith("Wrong dtype") else
                            2 if msg.startswith("Got NaN") else 3)
                    if rank == 3:
                        msg = f"Problem in {probe.label}. {msg}"
                    problems.append((rank, msg))
        if problems:
            return fail(min(problems, key=lambda p: p[0])[1])
        return Verdict(pts, pts, f"✅ {tag}: correct on all {len(probes)} {level} probes.",
                       "correct")
