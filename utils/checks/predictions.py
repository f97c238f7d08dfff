"""Graded predictions: the learner writes down a number, a choice or an order *before* the
exercise that measures it, and the feedback explains the reasoning, right or wrong.

A :class:`Prediction` is graded like a :class:`~utils.checks.core.Question`, by the same three
graders: the learner sets a variable (``predicted_half_life = 7``) in the cell before the
exercise that reveals it; :func:`~utils.checks.core.capture_value` turns its value into plain
data in the learner's process (or the batch grader's sandbox), and :meth:`Prediction.diagnose`
turns that into points and a message in the grader's own process, as for functions::

    Prediction(name="p3_1", var_name="predicted_half_life",
               title="Prediction 3.1: the half-life of a unit with z = 0.95",
               kind="number", answer=13.51, log_band=0.1,
               explanation="z^t = 1/2 gives t = ln 2 / (−ln z) ≈ 13.5 steps ...",
               mistakes=(WrongAnswer(20.0, "that is 1 / (1 − z), the time constant ..."),),
               reveals="q3_1", hint=("first step", "second step"))

``kind``: ``"number"`` (accepted within ``tolerance`` absolute, ``rtol`` relative, or
``log_band``, ``|ln(got / answer)| ≤ log_band``, whichever is widest), ``"choice"`` (one of
``options``, compared without case or surrounding spaces) or ``"order"`` (all of ``options``,
each once, in the right order). ``mistakes`` are known wrong predictions, each with the
misconception it shows; :meth:`Prediction.__post_init__` refuses a set whose known mistakes
the grader could not tell apart (or from the right answer), so a bad design fails on import.
``reveals`` names the question whose exercise measures the prediction: the prediction is
given (and listed) right before it (:func:`utils.checks.items`).

An unanswered prediction (``...`` or ``None``, or no such variable) is "not attempted": 0
points, a neutral ``⏳`` note. A value of the wrong type gets a message that says what form
the answer takes. Only NumPy and the standard library: this module ships in the autograder
bundle.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .core import Outcome, Probe, Verdict

KINDS = ("number", "choice", "order")
LEVEL = "public"  # a prediction has one level: it is the same question everywhere


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _fmt_number(x: float) -> str:
    return f"{x:.4g}" if abs(x) < 1e6 else f"{x:.3e}"


@dataclasses.dataclass(frozen=True)
class WrongAnswer:
    """A known wrong prediction (a number, an option, or an order of the options) and the
    message that names the misconception behind it."""

    answer: Any
    message: str


@dataclasses.dataclass(frozen=True)
class Prediction:
    """A graded prediction (see the module docstring). ``points`` is a number (the one level,
    ``"public"``, is worth it: :attr:`points` becomes ``{"public": points}``)."""

    name: str
    var_name: str
    title: str
    kind: str
    answer: Any
    explanation: str
    options: tuple[str, ...] = ()
    tolerance: float = 0.0
    rtol: float = 0.0
    log_band: float = 0.0
    mistakes: tuple[WrongAnswer, ...] = ()
    hint: str | tuple[str, ...] = ""
    points: Any = 1
    reveals: str = ""
    unit: str = ""  # for numbers: "steps", "parameters", ... (shown in the feedback)

    @property
    def is_prediction(self) -> bool:
        """A prediction (``p…``), or an exercise graded like one (``q…``: exercise 3.3's
        "which line holds the bug" is a choice, but it is an exercise, and the exercise
        pages, the index and the time estimate count it as one)."""
        return not self.name.startswith("q")

    def __post_init__(self) -> None:
        points = self.points if isinstance(self.points, dict) else {LEVEL: self.points}
        if set(points) != {LEVEL} or not float(points[LEVEL]) > 0:
            raise ValueError(f"{self.name}: points must be a positive number")
        object.__setattr__(self, "points", {LEVEL: float(points[LEVEL])})
        object.__setattr__(self, "options", tuple(str(o) for o in self.options))
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {KINDS}, got {self.kind!r}")
        if not self.explanation.strip():
            raise ValueError(f"{self.name}: the explanation is what the learner reads; "
                             "it cannot be empty")
        if self.kind == "number":
            if not math.isfinite(float(self.answer)):
                raise ValueError(f"{self.name}: the answer must be a finite number")
            if min(self.tolerance, self.rtol, self.log_band) < 0:
                raise ValueError(f"{self.name}: tolerances cannot be negative")
            if self.log_band and float(self.answer) <= 0:
                raise ValueError(f"{self.name}: a log-ratio band needs a positive answer")
        else:
            normed = [_norm(o) for o in self.options]
            if len(self.options) < 2 or len(set(normed)) != len(normed):
                raise ValueError(f"{self.name}: needs at least two distinct options")
            if self._parse(self.answer) is None:
                raise ValueError(f"{self.name}: the answer {self.answer!r} is not a valid "
                                 f"{self.kind} of the options {self.options}")
        self._check_separated()

    # -- what the graders and the tools that iterate questions use --------------------------

    @property
    def func_name(self) -> str:
        """The variable the learner sets (named like a question's function in messages)."""
        return self.var_name

    @property
    def max_points(self) -> float:
        return float(sum(self.points.values()))

    def probes(self, level: str) -> list[Probe]:
        """One pseudo-probe: the grader reads the variable once."""
        return [Probe("prediction", {}, "your prediction", f"`{self.var_name}`")]

    # -- parsing and judging -------------------------------------------------------------

    def _parse(self, value: Any) -> Any:
        """The learner's value in canonical form (a float, an option, a tuple of options),
        or None when it has the wrong form."""
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                                  np.floating)):
                return None
            return float(value)
        by_norm = {_norm(o): o for o in self.options}
        if self.kind == "choice":
            return by_norm.get(_norm(value)) if isinstance(value, str) else None
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            return None
        got = tuple(by_norm.get(_norm(v)) for v in value)
        if None in got or sorted(got) != sorted(self.options):
            return None
        return got

    def _accepts(self, centre: Any, got: Any) -> bool:
        """Whether ``got`` counts as ``centre`` (the answer or a known mistake)."""
        if self.kind != "number":
            return got == centre
        a, x = float(centre), float(got)
        if abs(x - a) <= self.tolerance + self.rtol * abs(a):
            return True
        if a == float(self.answer):  # the band as the feedback prints it is accepted too:
            lo, hi = self._band()     # typing its printed edge never costs a point
            if float(_fmt_number(lo)) <= x <= float(_fmt_number(hi)):
                return True
        return bool(self.log_band) and a > 0 and x > 0 and abs(math.log(x / a)) <= self.log_band

    def _band(self) -> tuple[float, float]:
        """The accepted interval around the answer (a number prediction)."""
        a = float(self.answer)
        lo = min(a - self.tolerance - self.rtol * abs(a),
                 a * math.exp(-self.log_band) if self.log_band else a)
        hi = max(a + self.tolerance + self.rtol * abs(a),
                 a * math.exp(self.log_band) if self.log_band else a)
        return lo, hi

    def _check_separated(self) -> None:
        """Every known mistake is wrong, and no two are accepted as each other."""
        right = self._parse(self.answer)
        wrongs = []
        for m in self.mistakes:
            w = self._parse(m.answer)
            if w is None:
                raise ValueError(f"{self.name}: the known mistake {m.answer!r} is not a valid "
                                 f"{self.kind} answer")
            if self._accepts(right, w) or self._accepts(w, right):
                raise ValueError(f"{self.name}: the known mistake {m.answer!r} would be "
                                 "accepted as right")
            for other in wrongs:
                if self._accepts(other, w) or self._accepts(w, other):
                    raise ValueError(f"{self.name}: the known mistakes {other!r} and {w!r} "
                                     "cannot be told apart")
            wrongs.append(w)

    def answer_text(self) -> str:
        """The right answer as the feedback states it."""
        if self.kind == "number":
            a = float(self.answer)
            lo, hi = self._band()
            unit = f" {self.unit}" if self.unit else ""
            band = (f" (accepted: {_fmt_number(lo)} to {_fmt_number(hi)})" if hi > lo else "")
            return f"{_fmt_number(a)}{unit}{band}"
        if self.kind == "choice":
            return repr(self._parse(self.answer))
        return " → ".join(repr(o) for o in self._parse(self.answer))

    def form(self) -> str:
        """What form an answer takes, for the not-attempted and wrong-type messages."""
        if self.kind == "number":
            return "a number (an int or a float" + (f", in {self.unit}" if self.unit else "") + ")"
        listed = ", ".join(repr(o) for o in self.options)
        if self.kind == "choice":
            return f"one of the strings {listed}"
        return f"a list of all the strings {listed}, each once, in your order"

    def _got(self, outcome: Outcome) -> tuple[Any, str]:
        """(the parsed value or None, a description of what was given)."""
        if outcome.kind == "value" and isinstance(outcome.value, np.ndarray) \
                and outcome.value.ndim == 0:
            value: Any = outcome.value.item()
            return self._parse(value), f"the number {_fmt_number(float(value))}"
        if outcome.kind == "text":
            try:
                value = json.loads(outcome.detail)
            except ValueError:
                return None, "unreadable text"
            shown = json.dumps(value, ensure_ascii=False)
            return self._parse(value), (f"the string {shown}" if isinstance(value, str)
                                        else f"the list {shown}")
        return None, outcome.detail or outcome.kind

    def _misorder(self, got: tuple[str, ...]) -> str:
        """The first pair the learner put the wrong way round."""
        rank = {o: i for i, o in enumerate(self._parse(self.answer))}
        for i, a in enumerate(got):
            for b in got[i + 1:]:
                if rank[a] > rank[b]:
                    return f" You put {a!r} before {b!r}; it comes after."
        return ""

    def diagnose(self, level: str, outcomes: Sequence[Outcome]) -> Verdict:
        """Points and the message for the prediction's plain-data outcome."""
        pts = float(self.points.get(level, 0.0))
        tag = f"{self.name} ({self.var_name})"
        if len(outcomes) != 1:
            return Verdict(0.0, pts, f"❌ {tag}: the grader received no result for this "
                           "prediction.", "incorrect")
        o = outcomes[0]
        if o.kind in ("not_implemented", "missing", "none"):
            return Verdict(0.0, pts, f"⏳ {tag}: not attempted yet — set `{self.var_name}` to "
                           f"your prediction, {self.form()}, and run its cell before the "
                           "exercise that measures it. Stuck? "
                           f'Run `hint("{self.name}")`.', "not attempted")
        if o.kind in ("error", "timeout"):
            return Verdict(0.0, pts, f"❌ {tag}: reading your prediction failed "
                           f"({o.detail}). Set `{self.var_name}` to {self.form()}.",
                           "incorrect")
        got, described = self._got(o)
        if got is None or (self.kind == "number" and not math.isfinite(got)):
            return Verdict(0.0, pts, f"❌ {tag}: expected {self.form()}, but "
                           f"`{self.var_name}` is {described}.", "incorrect")
        why = f"\nWhy: {self.explanation.strip()}"
        if self._accepts(self._parse(self.answer), got):
            return Verdict(pts, pts, f"✅ {tag}: right — {self.answer_text()}.{why}",
                           "correct")
        named = next((m.message for m in self.mistakes
                      if self._accepts(self._parse(m.answer), got)), "")
        shown = (_fmt_number(got) if self.kind == "number" else
                 repr(got) if self.kind == "choice" else " → ".join(map(repr, got)))
        extra = (f" {named}" if named else
                 self._misorder(got) if self.kind == "order" else "")
        return Verdict(0.0, pts, f"❌ {tag}: you predicted {shown}; the answer is "
                       f"{self.answer_text()}.{extra}{why}", "incorrect")


def hint_steps(hint: str | Sequence[str]) -> tuple[str, ...]:
    """A question's hint as its steps: a plain string is one step."""
    if isinstance(hint, str):
        return (hint.strip(),)
    return tuple(str(h).strip() for h in hint)


def hint_text(hint: str | Sequence[str]) -> str:
    """Every step of a hint as one text (to check that no step gives the answer away)."""
    return "\n".join(hint_steps(hint))
