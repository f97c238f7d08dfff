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
import numbers
import os
import re
import sys
import sysconfig
import threading
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
# Wrong beyond RTOL/ATOL but within this (relative to 1 + |expected|) everywhere: the values
# are right and the arithmetic ran in float32; the feedback says so instead of naming a term.
FLOAT32_TOL = 1e-5
PRECISION_PREFIX = "Right to float32 precision only"
# An error whose message names a course module: the answer imports the grader's answer key
# (``utils.checks.ch2``, ...), which the batch grader does not make importable.
_COURSE_IMPORT = re.compile(r"No module named '(utils[\w.]*)'|cannot import name '\w+' from "
                            r"'(utils[\w.]*)'|module '(utils[\w.]*)' has no attribute")

# The course package's directory. In the batch grader's sandbox this file runs as a copy,
# ``_gru_sandbox/core.py``, next to the copy of the public course modules (``utils/``, without
# the answer key): calls into those are traced there as in the notebook.
_HERE = os.path.dirname(os.path.abspath(__file__))
_UTILS_DIR = (os.path.dirname(_HERE) + os.sep if __name__.startswith("utils.") else
              os.path.join(os.path.dirname(_HERE), "utils") + os.sep
              if __name__.startswith("_gru_sandbox.") else "\0")
_FORBIDDEN_FILE_PARTS = (os.sep + os.path.join("torch", "nn", "modules", "rnn.py"),)
_FORBIDDEN_BUILTINS = {"gru_cell", "gru", "_thnn_fused_gru_cell"}
# Code in these folders is not the learner's: its lines are not counted (:class:`_LineCounter`).
# In the batch grader's sandbox every folder of the import path but the runtime's own is
# library code: Python runs there without ``site`` (sysconfig names the base interpreter's
# folders, not a venv's), and folders the sandbox user cannot read are bound elsewhere.
_SANDBOX_PATH = ([p for p in sys.path if p and os.path.abspath(p) != os.path.dirname(_HERE)]
                 if __name__.startswith("_gru_sandbox.") else [])
_LIBRARY_DIRS = tuple(sorted({os.path.abspath(p) + os.sep for p in (
    *(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")),
    os.path.dirname(os.path.dirname(os.path.abspath(np.__file__))), *_SANDBOX_PATH) if p}
    | {_UTILS_DIR}))


# The seed of the hidden probes of one batch-grading run (None: the fixed default).
_hidden_seed: int | None = None


def hidden_seed() -> int | None:
    """The seed the hidden probes are drawn from (None: the fixed default)."""
    return _hidden_seed


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


def separating_pairs(rng: np.random.Generator, answers: Sequence[Callable[[int, int], Any]],
                     pairs: Sequence[tuple[int, int]], low: int, high: int,
                     tries: int = 20_000) -> list[tuple[int, int]]:
    """``pairs`` of sizes, extended so that every two of ``answers`` differ at one of them.

    ``answers`` are the reference and the known mistakes (each maps a size pair to a number).
    Where two of them agree on every pair, a pair drawn from ``rng`` in ``[low, high)`` at
    which they differ is added, so each mistake is told apart from the right answer and from
    every other mistake (whose message would otherwise be shown) on every run.
    """
    pairs = list(pairs)
    for j in range(len(answers)):
        for k in range(j):
            if any(answers[j](i, h) != answers[k](i, h) for i, h in pairs):
                continue
            for _ in range(tries):
                i, h = (int(v) for v in rng.integers(low, high, 2))
                if answers[j](i, h) != answers[k](i, h):
                    pairs.append((i, h))
                    break
    return pairs


@dataclasses.dataclass(frozen=True)
class Probe:
    """One grader-chosen call: positional ``args`` (name → array) and what it isolates.

    ``label`` names the term the probe isolates ("the bias term", ...); ``given`` describes
    the inputs for feedback ("x_t = 0 and h_prev = 0, so only the biases act"). ``traced``:
    the function receives its inputs as :func:`trace` arrays and :class:`Outcome` records the
    depth of its answer (how many dependent rounds of arithmetic produced it).
    """

    name: str
    args: dict[str, np.ndarray]
    label: str
    given: str
    traced: bool = False


@dataclasses.dataclass
class Outcome:
    """What one student call did, as plain data.

    ``kind`` is one of ``value``, ``text`` (a prediction's string or strings, as JSON in
    ``detail``), ``none``, ``not_implemented``, ``error``, ``wrong_type``,
    ``reference_call``, ``mutated``, ``tampered``, ``missing``, ``too_large``, ``timeout``,
    ``untraced`` (a traced probe's answer whose entries left the traced arithmetic).
    ``value`` is an array, or a list of arrays when the function returns a tuple/list.
    ``warnings`` holds the first :data:`MAX_WARNINGS` distinct warnings raised during the
    call (``"RuntimeWarning: overflow encountered in exp"``); no verdict of the framework
    uses them, a chapter's checker may. ``depth`` (probes with ``traced``) is the longest
    chain of dependent arithmetic operations that produced an entry of the answer, measured
    from the data flow (:class:`Traced`), so a checker can tell a chain of ``T`` steps from
    ``log T`` rounds in whatever form the code is written; ``-1`` when not measured.
    """

    kind: str
    value: Any = None
    detail: str = ""
    warnings: tuple[str, ...] = ()  # first few distinct warnings the call raised
    notes: tuple[str, ...] = ()  # remarks for the report that cost no points
    depth: int = -1  # dependent arithmetic operations behind the answer (-1: not measured)


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


# Files under ``utils/`` that are grading infrastructure, not reference implementations: the
# runner's output capture, the checker framework, prose helpers. A call into them (e.g. a
# ``print`` that the batch runner's capped writer handles) is never reference use.
_INFRASTRUCTURE = tuple(os.path.join(*p.split("/")) for p in (
    "__init__.py", "report.py", "grade.py", "grading/", "checks/core.py", "checks/__init__.py"))


def is_reference_file(filename: str) -> bool:
    """Whether code in ``filename`` is a reference implementation: a course module under
    ``utils/`` other than the grading infrastructure, or PyTorch's recurrent modules."""
    if filename.startswith(_UTILS_DIR):
        return not filename[len(_UTILS_DIR):].startswith(_INFRASTRUCTURE)
    return filename.endswith(_FORBIDDEN_FILE_PARTS)


class _ReferenceTracer:
    """``sys.setprofile`` hook noting calls into reference implementations during a call.

    Only the outermost reference frames count (what the learner's code called); the values
    they return are kept so that :func:`capture` can tell whether the learner's answer *is*
    one of them (demonstrable reference use) or merely computed next to one (a note).
    """

    def __init__(self, ignore: frozenset = frozenset(), lines: Any = None) -> None:
        self.hits: list[str] = []
        self.returns: list[Any] = []  # values returned by the outermost reference frames
        # the last of them, and the learner's line count (``lines``: a _LineCounter) then
        self.last: tuple[Any, int] | None = None
        self.lines = lines
        self.native = False  # a direct call into PyTorch's fused GRU kernel
        self.ignore = ignore  # the checker's own code objects called during the call
        self._running: dict[int, list[Any]] = {}  # per thread: outermost reference frames

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        self._open = self._running.setdefault(threading.get_ident(), [])
        if event == "call":
            if self._open or frame.f_code in self.ignore:
                return
            filename = frame.f_code.co_filename
            if is_reference_file(filename):
                if filename.startswith(_UTILS_DIR):
                    module = os.path.relpath(filename,
                                             os.path.dirname(_UTILS_DIR.rstrip(os.sep)))
                else:
                    module = "torch/nn/modules/rnn.py"
                self.hits.append(f"{module}:{frame.f_code.co_name}")
                self._open.append(frame)
        elif event == "return":
            if self._open and frame is self._open[-1]:
                self._open.pop()
                if len(self.returns) < 64:
                    self.returns.append(arg)
                self.last = (arg, self.lines.lines if self.lines is not None else -1)
        elif (event == "c_call" and not self._open
              and getattr(arg, "__name__", "") in _FORBIDDEN_BUILTINS):
            self.hits.append(f"torch:{arg.__name__}")
            self.native = True


def _numeric_parts(value: Any, depth: int = 0) -> list[np.ndarray]:
    """The numeric arrays inside ``value`` (arrays, tensors, tuples/lists/dicts of them)."""
    if depth > 3:
        return []
    if isinstance(value, dict):  # utils.budget.concat_to_torch returns a dict of arrays
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [a for v in value[:16] for a in _numeric_parts(v, depth + 1)]
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        try:
            value = value.detach().cpu().numpy()
        except Exception:
            return []
    if isinstance(value, (np.ndarray, np.generic)):
        a = np.asarray(value)
        return [a] if a.dtype.kind in "biufc" and a.size <= MAX_ELEMENTS else []
    return []


def _same_number(result: Any, returned: Sequence[Any]) -> bool:
    """Whether ``result`` (or an item of it) is the very Python number object a reference
    call returned (``return hidden_for_budget(...)``). Equal values prove nothing for whole
    numbers (an honest count equals the reference's), the object's identity does; CPython
    shares the objects of the small ints -5..256, so those are never taken as evidence."""
    items = list(result[:16]) if isinstance(result, (tuple, list)) else [result]
    for item in items:
        if isinstance(item, numbers.Number) and not isinstance(item, bool) and not (
                isinstance(item, int) and -5 <= item <= 256):
            if any(item is r for r in returned):
                return True
    return False


def _comes_from(result: Any, returned: Sequence[Any]) -> bool:
    """Whether an array of ``result`` is, bit for bit (after widening, e.g. float32 →
    float64), an array a reference call returned. An answer computed separately, even if
    right, differs in the last bits almost always (another order of operations, another
    precision), so a learner who compares with the reference while debugging keeps the
    points."""
    if _same_number(result, returned):
        return True
    refs = [r for v in returned for r in _numeric_parts(v) if r.size]
    for part in _numeric_parts(result):
        for r in refs:
            if part.shape == r.shape and np.array_equal(part.astype(np.complex128),
                                                        r.astype(np.complex128)):
                return True
    return False


def _noun(obj: Any) -> str:
    """A short noun phrase for one object: "a NumPy array", "a list", "a str", "None"."""
    if obj is None:
        return "None"
    if isinstance(obj, (np.ndarray, np.generic)):
        return "a NumPy array"
    name = type(obj).__qualname__
    if type(obj).__module__ != "builtins":
        name = f"{type(obj).__module__}.{name}"
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _describe(obj: Any) -> str:
    """What a returned object is, for feedback ("a list of 2 items, including a str")."""
    if isinstance(obj, (tuple, list)):
        if not obj:
            return f"an empty {type(obj).__name__}"
        odd = next((o for o in obj if not isinstance(o, (np.ndarray, np.generic))), obj[0])
        return (f"a {type(obj).__name__} of {len(obj)} item{'s' * (len(obj) != 1)}, "
                f"including {_noun(odd)}")
    return type(obj).__module__ + "." + type(obj).__qualname__


class TracedValueError(TypeError):
    """A traced input was turned into something the grader cannot follow (a float, a
    comparison, a library that needs plain numbers)."""


_UNTRACEABLE = ("the grader runs this question on inputs whose entries record the longest "
                "chain of dependent arithmetic that produced them, and {what} would drop that "
                "record. Keep to NumPy arithmetic, slicing, stacking, copies and "
                "`.astype(float)` of the arrays you were given, and make new arrays with "
                "`np.empty_like` or `np.zeros_like` of them (no `float()`, no "
                "`np.array(..., dtype=float)`, no storing into a float array made by "
                "`np.zeros(shape)`, no comparisons of values, no other library on them).")


class Traced:
    """One number that carries its *depth*: the longest chain of dependent arithmetic
    operations (``+ − × ÷ **``, ``exp``, ...) that produced it from the inputs (depth 0).

    Inputs of a question with ``Probe.traced`` are object arrays of these, so every NumPy
    operation on them (slices, ufuncs, ``concatenate``, ``where``, ``cumprod``, matmul) and
    every Python loop over them runs this class's arithmetic: the depth of the answer is
    measured from the data flow, whatever form the code takes (a loop, an unrolled line, a
    thread, ``exec``). Anything that would need a plain number (``float()``,
    ``np.array(..., dtype=float)``, comparisons, SciPy, ``math``) raises
    :class:`TracedValueError` instead of losing track (:class:`TracedArray` keeps
    ``.astype(float)`` traced).
    """

    __slots__ = ("_v", "_d")
    # No Python __init__: making one is a type call, which ``sys.setprofile`` (the reference
    # tracer, active meanwhile) does not report, so a whole-array round stays fast.

    def __repr__(self) -> str:
        return repr(self._v)

    def __pos__(self) -> Traced:
        return self

    def _refuse(self, what: str) -> Any:
        raise TracedValueError(_UNTRACEABLE.format(what=what))

    def __float__(self) -> float: return self._refuse("a conversion to float")  # noqa: E704
    def __int__(self) -> int: return self._refuse("a conversion to int")  # noqa: E704
    def __complex__(self) -> complex: return self._refuse("a conversion")  # noqa: E704
    def __index__(self) -> int: return self._refuse("using a value as an index")  # noqa: E704
    def __round__(self, n: Any = None) -> Any: return self._refuse("rounding")  # noqa: E704
    def __bool__(self) -> bool: return self._refuse("a test of a value")  # noqa: E704
    def __lt__(self, o: Any) -> bool: return self._refuse("a comparison")  # noqa: E704
    def __le__(self, o: Any) -> bool: return self._refuse("a comparison")  # noqa: E704
    def __gt__(self, o: Any) -> bool: return self._refuse("a comparison")  # noqa: E704
    def __ge__(self, o: Any) -> bool: return self._refuse("a comparison")  # noqa: E704
    def __eq__(self, o: Any) -> bool: return self._refuse("a comparison")  # type: ignore # noqa
    def __ne__(self, o: Any) -> bool: return self._refuse("a comparison")  # type: ignore # noqa
    __hash__ = object.__hash__



# Each operation is one generated Python function with the arithmetic inline: a new Traced
# one deeper than its deepest operand. Constants (Python or NumPy numbers) have depth 0.
_BINARY = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "pow": "**"}
_OP_TEMPLATE = """
def {name}(self, o):
    t = type(o)
    if t is Traced:
        v, d = o._v, o._d
    elif t is float or t is int or isinstance(o, _CONSTANTS):
        v, d = float(o), -1
    else:
        return NotImplemented
    try:
        out = {expr}
    except (ZeroDivisionError, OverflowError, ValueError):
        with np.errstate(all="ignore"):
            out = float({np_expr})
    new = Traced()
    new._v = out
    new._d = (self._d if self._d > d else d) + 1
    return new
"""
_UNARY = {"__neg__": "-x", "__abs__": "abs(x)"}
_UNARY_NP = ("exp", "log", "log1p", "expm1", "sqrt", "tanh")  # np.exp(object array) calls .exp()
_CONSTANTS = (numbers.Real, np.floating, np.integer)


def _traced_ops() -> None:
    space: dict[str, Any] = {"Traced": Traced, "np": np, "_CONSTANTS": _CONSTANTS}
    for op, sym in _BINARY.items():
        ufunc = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
                 "pow": "power"}[op]
        for name, expr, np_expr in (
                (f"__{op}__", f"self._v {sym} v", f"np.{ufunc}(self._v, v)"),
                (f"__r{op}__", f"v {sym} self._v", f"np.{ufunc}(v, self._v)")):
            if op == "pow":  # Python's ** gives a complex number for (-8.0) ** 0.5, NumPy nan
                expr = f"float({np_expr})"
            exec(_OP_TEMPLATE.format(name=name, expr=expr, np_expr=np_expr), space)
            setattr(Traced, name, space[name])
    for name, expr in list(_UNARY.items()) + [(f, f"np.{f}(x)") for f in _UNARY_NP]:
        exec(f"def {name}(self):\n    x = self._v\n    with np.errstate(all='ignore'):\n"
             f"        out = float({expr})\n    new = Traced()\n    new._v = out\n"
             f"    new._d = self._d + 1\n    return new\n", space)
        setattr(Traced, name, space[name])


_traced_ops()


def _traced(value: float, depth: int = 0) -> Traced:
    new = Traced()
    new._v, new._d = float(value), int(depth)
    return new


class TracedArray(np.ndarray):
    """An object array of :class:`Traced` entries whose ``astype`` to a float dtype keeps them
    traced (rounded to that precision, same depth): ``a.astype(float).copy()`` is an honest
    first line. Conversions NumPy does in C (``np.array(a, dtype=float)``) refuse instead."""

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        kind = np.dtype(dtype).kind
        if kind == "O":
            return np.ndarray.astype(self, dtype, *args, **kwargs)
        if kind != "f":
            raise TracedValueError(_UNTRACEABLE.format(what=f"`.astype({np.dtype(dtype)})`"))
        cast = np.dtype(dtype).type
        out = np.empty(self.shape, dtype=object).view(TracedArray)
        flat = out.reshape(-1)
        for k, e in enumerate(self.reshape(-1).tolist()):
            flat[k] = _traced(float(cast(e._v)), e._d) if type(e) is Traced else e
        return out


def trace(a: np.ndarray) -> np.ndarray:
    """``a`` as a :class:`TracedArray` of :class:`Traced` entries of depth 0 (same shape)."""
    a = np.asarray(a, dtype=np.float64)
    out = np.empty(a.shape, dtype=object).view(TracedArray)
    flat = out.reshape(-1)
    for k, v in enumerate(a.reshape(-1).tolist()):
        flat[k] = _traced(v)
    return out


def untrace(result: Any) -> tuple[Any, int] | None:
    """``(float64 values, largest depth)`` of a traced answer (an array, or a tuple or list of
    arrays, whose entries are all :class:`Traced`); ``None`` when any entry is not (a plain
    number or array: its computation left the traced arithmetic)."""
    if isinstance(result, (tuple, list)) and result and not isinstance(result[0], Traced):
        parts = [untrace(r) for r in result[:16]]
        if any(p is None for p in parts) or len(result) > 16:
            return None
        return type(result)(p[0] for p in parts), max(p[1] for p in parts)
    if isinstance(result, Traced):
        return np.float64(result._v), result._d
    if not isinstance(result, np.ndarray) or result.dtype != object \
            or result.size > MAX_ELEMENTS:
        return None
    entries = result.reshape(-1).tolist()
    if not all(type(e) is Traced for e in entries):
        return None
    values = np.array([e._v for e in entries], dtype=np.float64).reshape(result.shape)
    return values, max((e._d for e in entries), default=0)


class _LineCounter:
    """``sys.settrace`` hook counting the lines executed in frames of the learner's code."""

    def __init__(self, code: Any = None) -> None:
        self.lines = 0
        self.code = code  # the code object of the learner's function
        self.first: Any = None  # its frame (the outermost call of it)
        self.at_return = -1  # ``lines`` when that frame returned

    def __call__(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "call":
            filename = frame.f_code.co_filename
            if filename.startswith("<frozen") or filename.startswith(_LIBRARY_DIRS):
                return None  # library code: not traced line by line
            if self.first is None and frame.f_code is self.code:
                self.first = frame
            return self._local
        return None

    def _local(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines += 1
        elif event == "return" and frame is self.first:
            self.at_return = self.lines
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
                return Outcome("wrong_type", detail=_describe(result))
        # the container's type is kept: one array wrapped in a list is not one array
        return Outcome("value", [p.value for p in parts], detail=type(result).__name__)
    if not isinstance(result, np.ndarray):
        return Outcome("wrong_type", detail=_describe(result))
    if result.dtype.kind not in "biufc":
        return Outcome("wrong_type", detail=f"numpy.ndarray of dtype {result.dtype}")
    if result.size > MAX_ELEMENTS:
        return Outcome("too_large", detail=f"shape {result.shape}")
    return Outcome("value", np.array(result, copy=True))


def _changed(a: np.ndarray, original: np.ndarray, entries: list | None) -> bool:
    """Whether the function modified its input ``a`` (a copy of ``original``; for a traced
    input, ``entries`` are the objects it was given)."""
    if a.shape != original.shape:
        return True
    if entries is not None:
        return any(x is not y for x, y in zip(a.reshape(-1).tolist(), entries))
    return not np.array_equal(a, original, equal_nan=True)


def _describe_untraced(result: Any) -> str:
    """What a traced question's answer is when its entries are not traced values."""
    if isinstance(result, np.ndarray) and result.dtype != object:
        return f"a {result.dtype} array"
    if isinstance(result, np.ndarray):
        return "an array with plain numbers among its entries"
    return _describe(result) if result is not None else "None"


def capture(fn: Any, probes: Sequence[Probe]) -> list[Outcome]:
    """Call ``fn`` on each probe (on copies of the inputs) and record what happened.

    Exceptions, ``None``, non-arrays, in-place modification of inputs and calls into the
    reference implementations (traced with ``sys.setprofile``) become :class:`Outcome` data.
    A ``traced`` probe's inputs are :func:`trace` arrays; its outcome holds the answer's
    values as float64 and its depth, or kind ``untraced`` when the answer is not made of them.
    """
    outcomes = []
    for probe in probes:
        if not callable(fn):
            outcomes.append(Outcome("missing", detail=f"not a function but {type(fn).__name__}"))
            continue
        if probe.traced:
            args = {k: trace(v) for k, v in probe.args.items()}
            inputs = {k: a.reshape(-1).tolist() for k, a in args.items()}  # the entries given
        else:
            args = {k: np.array(v, copy=True) for k, v in probe.args.items()}
            inputs = {}
        noted: dict[str, None] = {}

        def note(message: Any, category: type, *rest: Any, **kw: Any) -> None:
            if len(noted) < MAX_WARNINGS:
                noted.setdefault(f"{category.__name__}: {message}"[:200])

        counter = _LineCounter(getattr(fn, "__code__", None))
        tracer = _ReferenceTracer(ignore=frozenset({note.__code__}), lines=counter)
        previous, previous_trace = sys.getprofile(), sys.gettrace()
        previous_threads = threading.getprofile()
        threading.setprofile(tracer)  # threads the answer starts are traced too
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
            sys.settrace(previous_trace)
            sys.setprofile(previous)
            threading.setprofile(previous_threads)
        notes: tuple[str, ...] = ()
        if tracer.hits:
            hits = list(dict.fromkeys(tracer.hits))  # first calls first, no repeats
            more = f" and {len(hits) - 3} more" if len(hits) > 3 else ""
            called = ", ".join(hits[:3]) + more
            # ``return hidden_for_budget(...)``: the answer is the very object the last
            # reference call returned, and no line of the learner's ran since (an honest
            # ``assert mine == reference(...)`` runs ``return mine`` after it)
            direct = (tracer.last is not None and result is tracer.last[0]
                      and counter.at_return >= 0 and counter.at_return == tracer.last[1])
            if tracer.native or direct or _comes_from(result, tracer.returns):
                outcomes.append(Outcome("reference_call", detail=called))
                continue
            notes = (f"your function called {called}, but its answer does not come from "
                     "that call, so nothing was deducted.",)
        if not still_ours:
            outcomes.append(Outcome("tampered", detail="the function changed sys.setprofile"))
        elif changed := [k for k, a in args.items()
                         if _changed(a, probe.args[k], inputs.get(k))]:
            outcomes.append(Outcome("mutated", detail=", ".join(changed)))
        elif probe.traced and result is not None and (found := untrace(result)) is None:
            outcomes.append(Outcome("untraced", detail=_describe_untraced(result),
                                    notes=notes))
        else:
            depth = -1
            if probe.traced and result is not None:
                result, depth = found
            if isinstance(result, numbers.Real) and not isinstance(result, bool):
                result = np.asarray(result)  # a Python int or float answer (a count, a size)
            outcomes.append(dataclasses.replace(_to_plain(result), warnings=tuple(noted),
                                                notes=notes, depth=depth))
    return outcomes


def capture_value(value: Any) -> Outcome:
    """A prediction's value (:class:`utils.checks.predictions.Prediction`) as plain data, in
    the learner's process: ``...`` or ``None`` → ``not_implemented`` (not attempted yet); a
    real number → ``value`` (a 0-d float64 array); a string, or a list or tuple of strings →
    ``text`` (``detail`` holds it as JSON); anything else → ``wrong_type``. Never raises."""
    import json

    try:
        if value is Ellipsis or value is None:
            return Outcome("not_implemented", detail="no prediction yet")
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            value = value.item()
        if isinstance(value, bool):
            return Outcome("wrong_type", detail=f"the bool {value}")
        if type(value) in (int, float) or isinstance(value, (np.integer, np.floating)):
            return Outcome("value", np.asarray(float(value), dtype=np.float64))
        if type(value) is str or (type(value) in (list, tuple) and len(value) <= 32
                                  and all(type(v) is str for v in value)):
            text = json.dumps(value if type(value) is str else list(value),
                              ensure_ascii=False)
            if len(text) > 500:
                return Outcome("wrong_type", detail="a text longer than 500 characters")
            return Outcome("text", detail=text)
        return Outcome("wrong_type", detail=_describe(value))
    except Exception as exc:  # a hostile object: reported, never raised
        return Outcome("wrong_type",
                       detail=f"an object that cannot be read ({type(exc).__name__})")


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
                    "notes": [str(n)[:300] for n in o.notes[:MAX_WARNINGS]],
                    "depth": int(o.depth)})
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
        notes = d.get("notes", [])
        if not isinstance(notes, list):
            raise ValueError("notes must be a list")
        depth = d.get("depth", -1)
        if isinstance(depth, bool) or not isinstance(depth, int):
            raise ValueError("depth must be an integer")
        outcomes.append(Outcome(kind, value, str(d.get("detail", ""))[:500],
                                tuple(str(w)[:200] for w in caught[:MAX_WARNINGS]),
                                tuple(str(n)[:300] for n in notes[:MAX_WARNINGS]),
                                max(int(depth), -1)))
    return outcomes


# ----------------------------------------------------------------------------------------
# Grader side: compare, name the mistake, isolate the term.


def fmt(a: Any) -> str:
    """Short, readable array text for feedback."""
    a = np.asarray(a)
    return np.array2string(a, precision=4, suppress_small=True, threshold=12, edgeitems=2,
                           max_line_width=88)


def integers_as_float(o: Outcome) -> Outcome:
    """``o`` with its integer arrays turned into float64 when every entry is exact there
    (``|v| < 2**53``), so integer answers (counts, steps) compare exactly; else ``o``.
    Used by :class:`Question` with ``integer_output``, which reports float answers itself."""
    def widen(v: np.ndarray) -> np.ndarray:
        if v.dtype.kind in "iu" and np.all(np.abs(v) < 2**53):  # exact in float64
            return v.astype(np.float64)
        return v

    if o.kind == "value" and isinstance(o.value, np.ndarray):
        return dataclasses.replace(o, value=widen(o.value))
    if o.kind == "value" and isinstance(o.value, list):
        return dataclasses.replace(o, value=[widen(v) for v in o.value])
    return o


def close(expected: np.ndarray, got: np.ndarray) -> bool:
    """Same shape and ``|got − expected| ≤ ATOL + RTOL·|expected|`` everywhere (float64)."""
    return (got.shape == expected.shape
            and bool(np.all(np.abs(got.astype(np.float64) - expected)
                            <= ATOL + RTOL * np.abs(expected))))


def _index(at: Sequence[Any]) -> str:
    """An index as the learner would type it: ``(0, 2)``, ``(3,)``."""
    return str(tuple(int(i) for i in at))


def differing_entries(expected: np.ndarray, got: np.ndarray, most: int = 4) -> str:
    """The entries where ``got`` is wrong, largest difference first: index, expected, got."""
    diff = np.abs(got.astype(np.float64) - expected)
    wrong = np.argwhere(~(diff <= ATOL + RTOL * np.abs(expected)))  # NaN counts as wrong
    if expected.ndim == 0:
        return f"expected {float(expected):.6g}, got {float(got):.6g}"
    order = np.argsort(-np.nan_to_num(diff[tuple(wrong.T)], nan=np.inf), kind="stable")
    shown = [f"at {_index(wrong[k])} expected {float(expected[tuple(wrong[k])]):.6g}, got "
             f"{float(got[tuple(wrong[k])]):.6g}" for k in order[:most]]
    more = f"; and {len(wrong) - most} more" if len(wrong) > most else ""
    return "; ".join(shown) + more


def _swapped_axes(expected: np.ndarray, got: np.ndarray) -> str | None:
    """How ``got`` (same shape as ``expected``) holds the right values in another layout:
    its axes permuted, or the values of a permuted array reshaped to the expected shape."""
    if expected.ndim < 2 or expected.ndim > 4 or got.dtype.kind not in "biuf":
        return None
    import itertools
    for perm in itertools.permutations(range(expected.ndim)):
        if perm == tuple(range(expected.ndim)):
            continue
        inverse = tuple(int(i) for i in np.argsort(perm))
        if got.transpose(perm).shape == expected.shape and close(expected, got.transpose(perm)):
            return f"its axes are swapped: it is the right result transposed (axes {perm})"
        shape = tuple(expected.shape[i] for i in perm)
        if close(expected, got.reshape(shape).transpose(inverse)):
            return ("its values are those of the right result with its axes swapped "
                    f"(shape {shape}), reshaped to {expected.shape} rather than transposed")
    return None


def compare(expected: np.ndarray, got: np.ndarray, what: str, given: str) -> str | None:
    """Shape, then dtype, then NaN, then values; ``None`` when ``got`` is right.

    A wrong layout is a shape error even where the shape happens to match (a transposed
    square result); wrong values name the entries that differ, largest difference first.
    """
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
        return (f"Got NaN in {what} given {given} (at {_index(np.argwhere(np.isnan(got))[0])}); "
                "check for 0/0, log of a negative number or overflow.")
    if not close(expected, got):
        diff = np.abs(got - expected)
        if np.all(diff <= FLOAT32_TOL * (1.0 + np.abs(expected))):
            return (f"{PRECISION_PREFIX}: `{what.strip('`')}` given {given} differs from the "
                    f"float64 answer by at most {float(diff.max()):.2g} — computed in float32? "
                    "Keep every step in float64 (no float32 arrays or tensors, no "
                    "`.astype(np.float32)`).")
        layout = _swapped_axes(expected, got)
        if layout is not None:
            return (f"Wrong shape: expected {what} of shape {expected.shape} given {given}; "
                    f"yours has that shape only by accident: {layout}. Check the order of "
                    "the axes you stack or reshape.")
        at = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        wrong = int(np.sum(~(diff <= ATOL + RTOL * np.abs(expected))))
        if expected.size <= 6:
            return (f"Expected {what} = {fmt(expected)} given {given}, but got {fmt(got)} "
                    f"instead (largest difference {float(diff.max()):.3g} at index {at}).")
        return (f"Expected {what} given {given}, but {wrong} of its {expected.size} entries "
                f"differ (largest difference {float(diff.max()):.3g} at index {at}); where "
                f"they differ most: {differing_entries(expected, got)}.")
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


def _notes(outcomes: Sequence[Outcome]) -> str:
    """The outcomes' notes (remarks that cost no points) as extra lines, each once."""
    notes = dict.fromkeys(n for o in outcomes for n in getattr(o, "notes", ()))
    return "".join(f"\nNote: {n}" for n in notes)


@dataclasses.dataclass(frozen=True)
class Question:
    """A declarative exercise: what to call, on which probes, and how to explain failures.

    ``probes(level)`` returns the grader-chosen inputs for ``"public"`` (what ``grader.check``
    runs in the student notebook) or ``"hidden"`` (other sizes, batch of one).
    ``reference(**args)`` returns the right answer (an array or a tuple of arrays);
    ``output_names`` names the returned arrays for feedback. ``integer_output``: the statement
    asks for integers (counts, sizes, steps), so a float array is a dtype error even when its
    values are whole. ``every_probe`` names what all the probes go through, for the message
    when every probe is wrong ("the activation, a sign, the rows you slice").
    """

    name: str
    func_name: str
    title: str
    hint: str | tuple[str, ...]  # one text, or steps that say more each time (``hint()``)
    probes: Callable[[str], list[Probe]]
    reference: Callable[..., Any]
    mistakes: tuple[Mistake, ...]
    output_names: tuple[str, ...]
    points: dict[str, float]
    integer_output: bool = False
    every_probe: str = ""

    @property
    def max_points(self) -> float:
        return float(sum(self.points.values()))

    def _right(self, probes: Sequence[Probe], outcomes: Sequence[Outcome]) -> bool:
        """Every outcome is the reference's answer (shape, dtype and values)."""
        for probe, o in zip(probes, outcomes):
            if o.kind != "value":
                return False
            expected = self.reference(**probe.args)
            exp_parts = list(expected) if isinstance(expected, tuple) else [expected]
            if isinstance(o.value, list) != (len(exp_parts) > 1) or len(
                    o.value if isinstance(o.value, list) else [o.value]) != len(exp_parts):
                return False
            got_parts = o.value if isinstance(o.value, list) else [o.value]
            if any(compare(np.asarray(e, dtype=np.float64), np.asarray(g), "", "") is not None
                   for e, g in zip(exp_parts, got_parts)):
                return False
        return len(outcomes) == len(probes) and bool(outcomes)

    def diagnose(self, level: str, outcomes: Sequence[Outcome]) -> Verdict:
        """Turn the plain-data outcomes of one level into points and a diagnostic message."""
        probes = self.probes(level)
        pts = float(self.points[level])
        tag = f"{self.name} ({self.func_name})"
        # integer answers compare exactly as float64; a float answer is remembered (its
        # values may still match a known mistake) and then reported as a dtype error
        floats: list[tuple[Probe, str]] = []
        if self.integer_output:
            for probe, o in zip(probes, outcomes):
                parts = o.value if isinstance(o.value, list) else [o.value]
                if o.kind == "value" and any(np.asarray(p).dtype.kind in "fcb" for p in parts):
                    floats.append((probe, str(next(np.asarray(p).dtype for p in parts
                                                   if np.asarray(p).dtype.kind in "fcb"))))
            outcomes = [integers_as_float(o) if o.kind == "value" else o for o in outcomes]
        how_hint = f'Need a hint? Run `hint("{self.name}")`.'

        def fail(msg: str, status: str = "incorrect") -> Verdict:
            if status == "incorrect":
                msg = f"{msg}\n{how_hint}" + _notes(outcomes)
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
            if o.kind == "untraced":
                return fail(f"you returned {o.detail}: {_UNTRACEABLE.format(what='that')} "
                            "Return the array your arithmetic on the inputs produced; the "
                            "grader measures how many dependent rounds it took.")
        for probe, o in zip(probes, outcomes):
            if o.kind == "none":
                return fail(f"Got `None` given {probe.given} — did you forget a `return`?")
            if o.kind == "mutated":
                return fail(f"your function modified its input(s) {o.detail} in place given "
                            f"{probe.given}; work on a copy (e.g. `{o.detail.split(',')[0]}"
                            ".copy()`) so the caller's arrays stay unchanged.")
            if o.kind in ("wrong_type", "too_large"):
                want = ("a tuple of NumPy arrays " + ", ".join(f"`{n}`" for n in
                                                              self.output_names)
                        if len(self.output_names) > 1
                        else f"a NumPy array `{self.output_names[0]}`")
                if o.kind == "too_large":
                    expected = self.reference(**probe.args)
                    shapes = " and ".join(str(np.shape(e)) for e in (
                        expected if isinstance(expected, tuple) else (expected,)))
                    return fail(f"expected {want} of shape {shapes} given {probe.given}, but "
                                f"got an array of {o.detail}, more than the {MAX_ELEMENTS:,} "
                                "values the grader accepts. Check which axes your products "
                                "and broadcasts combine.")
                return fail(f"expected {want} given {probe.given}, but got {o.detail} instead.")
        # A known mistake can coincide with the right answer on some probes (fresh hidden
        # probes are random): a right answer is never diagnosed as a mistake.
        if not self._right(probes, outcomes):
            for mistake in self.mistakes:
                if _matches(mistake, probes, outcomes):
                    return fail(mistake.message)
        for probe, o in zip(probes, outcomes):
            if o.kind == "error":
                found = _COURSE_IMPORT.search(o.detail)
                if found:
                    module = next(g for g in found.groups() if g)
                    return fail(f"your function imports `{module}`, part of the grader's "
                                "answer key, which answers cannot use while grading: its "
                                "reference implementations are out of their reach "
                                f"({o.detail}). Write the computation yourself with NumPy.")
                return fail(f"your function raised {o.detail}\n  given {probe.given}.")
        if floats:
            probe, dtype = floats[0]
            name = self.output_names[0] if len(self.output_names) == 1 else "each output"
            return fail(f"Wrong dtype: the question asks for whole numbers, so expected `{name}` "
                        f"as integers (an int, or an integer array such as dtype int64) given "
                        f"{probe.given}, but got dtype {dtype}. Round the way the question asks "
                        "(down, up, to the first integer past ...) and convert with "
                        "`.astype(np.int64)` or `int(...)`.")
        # Shape, dtype and NaN over every probe first, then values probe by probe, so that
        # the value failures name the isolated terms; float32-level differences come last.
        problems: list[tuple[int, str]] = []
        wrong_labels: list[str] = []  # probes whose values are wrong, in probe order
        wrong_outputs: list[str] = []  # outputs whose values are wrong on some probe
        for probe, o in zip(probes, outcomes):
            expected = self.reference(**probe.args)
            exp_parts = list(expected) if isinstance(expected, tuple) else [expected]
            got_parts = o.value if isinstance(o.value, list) else [o.value]
            if len(exp_parts) == 1 and isinstance(o.value, list):
                name = self.output_names[0]
                if len(got_parts) == 1:  # `return [r_t]`: one array, but not what was asked
                    return fail(f"expected one NumPy array `{name}` given {probe.given}, but "
                                f"got a sequence of 1 item (a {o.detail or 'list'} around the "
                                f"array); return the array itself, not `[{name}]`.")
                return fail(f"expected one NumPy array `{name}` given {probe.given}, but got "
                            f"a sequence of {len(got_parts)} items; return a single array "
                            "(e.g. `np.array(...)` or `np.stack(...)`).")
            if len(got_parts) != len(exp_parts) or (
                    len(exp_parts) > 1 and not isinstance(o.value, list)):
                return fail(f"expected {len(exp_parts)} arrays ({', '.join(self.output_names)})"
                            f" given {probe.given}, but got {len(got_parts)}.")
            for name, e, g in zip(self.output_names, exp_parts, got_parts):
                msg = compare(np.asarray(e, dtype=np.float64), g, f"`{name}`", probe.given)
                if msg is not None:
                    rank = (0 if msg.startswith("Wrong shape") else
                            1 if msg.startswith("Wrong dtype") else
                            2 if msg.startswith("Got NaN") else
                            4 if msg.startswith(PRECISION_PREFIX) else 3)
                    if rank == 3 and probe.label not in wrong_labels:
                        wrong_labels.append(probe.label)
                    if rank == 3 and name not in wrong_outputs:
                        wrong_outputs.append(name)
                    problems.append((rank, msg))
        if problems:
            rank, msg = min(problems, key=lambda p: p[0])
            if rank == 3:
                labels = list(dict.fromkeys(p.label for p in probes))
                if len(wrong_labels) == 1:
                    msg = f"Problem in {wrong_labels[0]}. {msg}"
                else:  # every failing term is named, the first (most basic) probe first
                    also = (", ".join(wrong_labels[1:-1]) + " and " if len(wrong_labels) > 2
                            else "") + wrong_labels[-1]
                    if len(wrong_labels) == len(labels):
                        shared = f" ({self.every_probe})" if self.every_probe else ""
                        msg = (f"Problem in {wrong_labels[0]}, and also in {also}: every "
                               f"probe is wrong, so look at what all of them go through{shared}, "
                               f"or for two mistakes at once. First: {msg}")
                    else:
                        msg = f"Problem in {wrong_labels[0]}, and also in {also}. First: {msg}"
                if 1 < len(self.output_names) and len(wrong_outputs) < len(self.output_names):
                    named = ", ".join(f"`{n}`" for n in wrong_outputs)
                    right = ", ".join(f"`{n}`" for n in self.output_names
                                      if n not in wrong_outputs)
                    msg = (f"{named} {'is' if len(wrong_outputs) == 1 else 'are'} wrong "
                           f"({right} right on every probe). {msg}")
            return fail(msg)
        return Verdict(pts, pts, f"✅ {tag}: correct on all {len(probes)} {level} probes."
                       + _notes(outcomes), "correct")
