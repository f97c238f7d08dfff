r"""One way to say which of two things is better, by how much, and how sure we are.

Every comparison across seeds in the course goes through this module, so that a sentence in a
chapter is generated from the data and never chosen by a fixed threshold::

    from utils.verdict import compare, compare_rates
    v = compare("GRU", gru_scores, "LSTM", lstm_scores, seeds=[0, 1, 2], metric="accuracy")
    v.direction      # "GRU", "LSTM", "unresolved" or "comparable"
    v.sentence()     # "GRU scores higher than LSTM on accuracy by 0.031 (95% interval ...)."

:func:`compare` takes one score per seed for each side and uses Welch's *t* interval for the
difference of the means (as ``scipy.stats.ttest_ind(equal_var=False)``; ``paired=True``: the
paired test's, as ``ttest_rel``, for runs that share a seed-for-seed pairing). The direction
is decided only when the interval excludes zero. "Comparable" is said only when the caller
names a margin of practical indifference (in the metric's units) *and* the whole interval lies
inside it; the sentence then states that margin. Otherwise an interval that straddles zero is
"unresolved": the seeds do not settle it.

:func:`compare_rates` does the same for success counts ("solved in 6 of 8 runs"): Fisher's
exact test, Wilson intervals for each rate and Newcombe's interval for their difference; it
decides only when the interval and the test agree.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Comparison", "RateComparison", "compare", "compare_rates", "sign_test", "spread",
           "tally"]

CONFIDENCE = 0.95


def _values(name: str, values: Sequence[float]) -> np.ndarray:
    a = np.asarray(values, dtype=float).ravel()
    if a.size == 0:
        raise ValueError(f"{name}: expected at least one value (one per seed), got none")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected finite values, got {a.tolist()}")
    return a


def _g(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant figures, without an exponent for everyday sizes."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if 1e-3 <= abs(x) < 1e5:
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
        return f"{x:.{decimals}f}"
    return f"{x:.{digits}g}"


def _seed_list(seeds: Sequence[int] | None) -> str:
    if not seeds:
        return ""
    seeds = [int(s) for s in seeds]
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"seeds {seeds[0]}–{seeds[-1]}"
    return "seeds " + ", ".join(map(str, seeds))


def _count(n: int) -> str:
    """A count as it reads in prose: a word up to ten, digits beyond."""
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten")
    return words[n] if 0 <= n <= 10 else str(n)


def _after(lead: str | None, text: str) -> str:
    """``text`` as it reads after ``lead`` ("At a budget of 1,000") and a comma, or alone.

    Only the words this module starts a sentence with are lowered ("These runs …" becomes
    "these runs …"); a side's name ("GRU", "MGU") keeps its capitals."""
    if not lead:
        return text
    if text.startswith(("These ", "The ")):
        text = text[0].lower() + text[1:]
    return f"{lead.rstrip(' ,:;')}, {text}"


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation (ddof = 1; 0 for one value), min, max and count."""
    a = _values("values", values)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if a.size > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max()), "n": int(a.size)}


@dataclasses.dataclass(frozen=True)
class Comparison:
    """``a`` against ``b`` over seeds; ``diff`` is ``mean_a − mean_b`` in the metric's units.

    ``low``/``high``: the confidence interval of ``diff`` (NaN when a side has one value).
    ``dominance``: the share of (a-seed, b-seed) pairs in which ``a`` is better (1: every
    ``a`` seed beats every ``b`` seed; ties count one half).
    """

    a: str
    b: str
    values_a: tuple[float, ...]
    values_b: tuple[float, ...]
    diff: float
    low: float
    high: float
    p: float
    dominance: float
    higher_is_better: bool
    metric: str
    margin: float | None
    seeds: tuple[int, ...] | None
    paired: bool
    confidence: float = CONFIDENCE

    @property
    def mean_a(self) -> float:
        return float(np.mean(self.values_a))

    @property
    def mean_b(self) -> float:
        return float(np.mean(self.values_b))

    @property
    def resolved(self) -> bool:
        """Whether the interval excludes zero."""
        return bool(self.low > 0 or self.high < 0)

    @property
    def leader(self) -> str:
        """The side whose mean is better (``a`` on an exact tie of the means)."""
        better_a = self.diff >= 0 if self.higher_is_better else self.diff <= 0
        return self.a if better_a else self.b

    @property
    def direction(self) -> str:
        """The better side's name when the interval excludes zero; ``"comparable"`` when a
        margin was given and the interval lies inside it; otherwise ``"unresolved"``."""
        if self.resolved:
            return self.leader
        if self.margin is not None and -self.margin < self.low and self.high < self.margin:
            return "comparable"
        return "unresolved"

    @property
    def interval_label(self) -> str:
        """What :meth:`row`'s ``"interval"`` holds, as a table's column header."""
        test = "paired t" if self.paired else "Welch"
        return f"{100 * self.confidence:g}% {test} interval of the difference"

    def interval(self, digits: int = 2, *, flip: bool = False) -> str:
        """The interval of ``mean_a − mean_b``; ``flip``: of ``mean_b − mean_a`` (when the
        sentence names ``b`` first, so the interval has the sign of the gap it states)."""
        level = f"{100 * self.confidence:g}%"
        if math.isnan(self.low):
            return "no interval: one run on a side"
        low, high = (-self.high, -self.low) if flip else (self.low, self.high)
        return f"{level} interval {_g(low, digits)} to {_g(high, digits)}"

    def sentence(self, digits: int = 2, *, lead: str | None = None) -> str:
        """The verdict as one sentence, direction first, with the interval and the seeds.

        ``lead``: words that open the sentence ("At a budget of 1,000"); the verdict follows
        after a comma, so it never starts with a capital in mid-sentence."""
        return _after(lead, self._sentence(digits))

    def _sentence(self, digits: int) -> str:
        where = f" on {self.metric}" if self.metric else ""
        test = "paired t-test" if self.paired else "Welch's t-test"
        evidence = "; ".join(x for x in (f"{test} p = {_g(self.p, 2)}",
                                         _seed_list(self.seeds)) if x)
        d = self.direction
        if d in (self.a, self.b):
            other = self.b if d == self.a else self.a
            mine, theirs = ((self.mean_a, self.mean_b) if d == self.a
                            else (self.mean_b, self.mean_a))
            verb = "scores higher than" if self.higher_is_better else "scores lower than"
            every = ""
            if self.dominance in (0.0, 1.0) and min(len(self.values_a),
                                                    len(self.values_b)) > 1:
                every = f", and every {d} run beat every {other} run"
            return (f"{d} {verb} {other}{where} by {_g(abs(self.diff), digits)} "
                    f"({_g(mine, digits + 1)} vs {_g(theirs, digits + 1)}; "
                    f"{self.interval(digits, flip=d == self.b)}; {evidence}){every}.")
        if d == "comparable":
            return (f"{self.a} and {self.b} are comparable{where}: their difference, "
                    f"{_g(self.diff, digits)} ({self.interval(digits)}; {evidence}), lies "
                    f"within ±{_g(self.margin, digits)}, the margin that matters here.")
        lean = (f"{self.leader}'s mean is {'higher' if self.higher_is_better else 'lower'}"
                f" by {_g(abs(self.diff), digits)}" if self.diff != 0
                else "the means are equal")
        why = ("one run on a side gives no spread to judge by" if math.isnan(self.low)
               else f"the {self.interval(digits)} includes zero")
        return (f"These runs do not settle whether {self.a} or {self.b} {self._which()}: "
                f"{lean}, but {why} ({evidence}).")

    def headline(self, verb: str | None = None, *, lead: str | None = None) -> str:
        """The verdict of :meth:`sentence` without its numbers, for prose that sits beside a
        table holding them (:meth:`row`): direction first, then what the seeds settle.

        ``verb``: how a decided verdict reads, e.g. ``"needed fewer updates than"`` in place
        of ``"scores lower than"`` plus the metric. ``lead``: as in :meth:`sentence`."""
        return _after(lead, self._headline(verb))

    def clause(self, verb: str | None = None) -> str:
        """:meth:`headline` as a clause to go inside a sentence of the caller's: no final
        full stop, and a lower-case start unless it starts with a side's name ("…, and
        these runs do not settle whether …")."""
        text = self._headline(verb)[:-1]
        if text.startswith(("These ", "The ")):
            text = text[0].lower() + text[1:]
        return text

    def _headline(self, verb: str | None) -> str:
        where = f" on {self.metric}" if self.metric else ""
        d = self.direction
        if d in (self.a, self.b):
            other = self.b if d == self.a else self.a
            if verb is None and not self.higher_is_better and self.metric:
                verb, where = f"has a lower {self.metric} than", ""
            elif verb is None:
                verb = "scores higher than" if self.higher_is_better else "scores lower than"
            else:
                where = ""
            every = ""
            if self.dominance in (0.0, 1.0) and min(len(self.values_a),
                                                    len(self.values_b)) > 1:
                every = f", and every {d} run beat every {other} run"
            return f"{d} {verb} {other}{where}{every}."
        if d == "comparable":
            return (f"{self.a} and {self.b} are comparable{where}: the interval of their "
                    f"difference lies within the margin that matters here.")
        lean = (f"{self.leader}'s mean is {'higher' if self.higher_is_better else 'lower'}"
                if self.diff != 0 else "the means are equal")
        every = ""
        if self.diff != 0 and self.dominance in (0.0, 1.0) and min(len(self.values_a),
                                                                   len(self.values_b)) > 1:
            loser = self.b if self.leader == self.a else self.a
            every = f", and every {self.leader} run beat every {loser} run"
        if math.isnan(self.low):
            why = "one run on a side gives no spread to judge by"
        else:
            few = self._few_runs()
            why = (f"{f'with {few} ' if few else ''}the interval of the difference "
                   f"{'still ' if every else ''}includes zero")
        return (f"These runs do not settle whether {self.a} or {self.b} {self._which()}: "
                f"{lean}{every}, but {why}.")

    def _which(self) -> str:
        """What is in question: "scores higher on accuracy", or "is better" with no metric."""
        if not self.metric:
            return "is better"
        return f"scores {'higher' if self.higher_is_better else 'lower'} on {self.metric}"

    def _few_runs(self) -> str | None:
        """How few runs the interval rests on, in words ("three seeds", "four runs a side"),
        when both sides have the same number, at most ten; else None (no digits in prose)."""
        n = len(self.values_a)
        if n != len(self.values_b) or n > 10:
            return None
        return f"{_count(n)} seeds" if self.seeds is not None else f"{_count(n)} runs a side"

    def row(self, digits: int = 3) -> dict[str, Any]:
        """A table row: the two means, the difference with its interval, p and the verdict."""
        return {self.a: _g(self.mean_a, digits), self.b: _g(self.mean_b, digits),
                "difference": _g(self.diff, digits),
                "interval": ("–" if math.isnan(self.low) else
                             f"{_g(self.low, digits - 1)} to {_g(self.high, digits - 1)}"),
                "p": _g(self.p, 2), "verdict": self.direction}


def _t_interval(diff: float, var: float, df: float,
                confidence: float) -> tuple[float, float, float]:
    """The t interval of ``diff`` with squared standard error ``var``, and the two-sided p.

    Written out rather than through ``scipy.stats.ttest_*``, which warns of precision loss
    when a side's runs are all equal (steps to a target often are); the formulas are the
    same (Welch's, or the paired test's), and ``tests/test_verdict.py`` checks them
    against SciPy. No spread at all: the interval is the point."""
    if var == 0:
        return diff, diff, (1.0 if diff == 0 else 0.0)
    se = math.sqrt(var)
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return diff - half, diff + half, float(2 * stats.t.sf(abs(diff) / se, df))


def compare(a: str, values_a: Sequence[float], b: str, values_b: Sequence[float], *,
            higher_is_better: bool = True, metric: str = "", margin: float | None = None,
            seeds: Sequence[int] | None = None, paired: bool = False,
            confidence: float = CONFIDENCE) -> Comparison:
    """Compare ``a`` and ``b`` from one score per seed each (see the module docstring).

    ``margin``: a difference too small to matter, in the metric's units, chosen *before*
    looking at the data; only then can the verdict be ``"comparable"``. ``paired=True``
    needs the same number of runs on both sides, seed for seed.
    """
    xa, xb = _values(a, values_a), _values(b, values_b)
    if paired and xa.size != xb.size:
        raise ValueError(f"paired=True needs as many {b} runs as {a} runs: "
                         f"got {xa.size} and {xb.size}")
    if margin is not None and not margin > 0:
        raise ValueError(f"margin: expected a positive number, got {margin}")
    diff = float(xa.mean() - xb.mean())
    scale = max(float(np.abs(xa).max()), float(np.abs(xb).max()), 1e-300)
    if abs(diff) <= 1e-12 * scale:  # equal up to rounding in the means
        diff = 0.0
    low = high = p = float("nan")
    if paired and xa.size > 1:
        d = xa - xb
        low, high, p = _t_interval(float(d.mean()), float(d.var(ddof=1)) / d.size,
                                   d.size - 1.0, confidence)
    elif not paired and xa.size > 1 and xb.size > 1:
        va, vb = float(xa.var(ddof=1)) / xa.size, float(xb.var(ddof=1)) / xb.size
        # Welch–Satterthwaite degrees of freedom (either side may have no spread)
        df = ((va + vb) ** 2 / (va ** 2 / (xa.size - 1) + vb ** 2 / (xb.size - 1))
              if va + vb > 0 else 1.0)
        low, high, p = _t_interval(diff, va + vb, df, confidence)
    sign = 1.0 if higher_is_better else -1.0
    wins = np.sign(sign * (xa[:, None] - xb[None, :]))
    dominance = float(np.mean((wins + 1) / 2))
    return Comparison(a, b, tuple(map(float, xa)), tuple(map(float, xb)), diff, low, high, p,
                      dominance, higher_is_better, metric, margin,
                      tuple(int(s) for s in seeds) if seeds is not None else None, paired,
                      confidence)


def _wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


@dataclasses.dataclass(frozen=True)
class RateComparison:
    """Success counts ``k_a / n_a`` against ``k_b / n_b``: Fisher's exact test, Wilson
    intervals per side, Newcombe's interval (method 10) for the difference of the rates."""

    a: str
    b: str
    k_a: int
    n_a: int
    k_b: int
    n_b: int
    low: float
    high: float
    p: float
    what: str = "runs"
    confidence: float = CONFIDENCE

    @property
    def diff(self) -> float:
        return self.k_a / self.n_a - self.k_b / self.n_b

    @property
    def direction(self) -> str:
        """The side that succeeds more often, when Newcombe's interval excludes 0 *and*
        Fisher's exact test agrees (p below 1 − confidence); otherwise "unresolved". The two
        can disagree at small counts (2/12 against 7/12: the interval excludes 0, p ≈ 0.09),
        and a verdict must not contradict a p-value printed beside it."""
        if self.p >= 1 - self.confidence:
            return "unresolved"
        if self.low > 0:
            return self.a
        if self.high < 0:
            return self.b
        return "unresolved"

    def clause(self) -> str:
        """The verdict without its numbers, for prose beside a table that holds them."""
        if self.direction == "unresolved":
            return (f"these runs do not settle whether {self.a} or {self.b} succeeds more "
                    f"often")
        other = self.b if self.direction == self.a else self.a
        return f"{self.direction} succeeds more often than {other}"

    def row(self) -> dict[str, Any]:
        """A table row: the two counts, the interval of the difference (in points), p, verdict."""
        return {self.a: f"{self.k_a}/{self.n_a}", self.b: f"{self.k_b}/{self.n_b}",
                "interval": f"{100 * self.low:+.0f} to {100 * self.high:+.0f}",
                "p": _g(self.p, 2), "verdict": self.direction}

    def sentence(self, *, lead: str | None = None) -> str:
        """The verdict as one sentence with both counts, the interval and Fisher's p.

        ``lead``: words that open the sentence, as in :meth:`Comparison.sentence`."""
        return _after(lead, self._sentence())

    def _sentence(self) -> str:
        level = f"{100 * self.confidence:g}%"
        counts = (f"{self.a} {self.k_a}/{self.n_a} {self.what}, "
                  f"{self.b} {self.k_b}/{self.n_b}")
        interval = (f"{level} interval of the difference {100 * self.low:+.0f} to "
                    f"{100 * self.high:+.0f} points; Fisher's exact test p = {_g(self.p, 2)}")
        if self.direction == "unresolved":
            return f"These runs do not settle which succeeds more often ({counts}; {interval})."
        other = self.b if self.direction == self.a else self.a
        return f"{self.direction} succeeds more often than {other} ({counts}; {interval})."


def compare_rates(a: str, k_a: int, n_a: int, b: str, k_b: int, n_b: int, *,
                  what: str = "runs", confidence: float = CONFIDENCE) -> RateComparison:
    """Compare two success rates, e.g. runs that solved a task out of runs made."""
    for name, k, n in ((a, k_a, n_a), (b, k_b, n_b)):
        if not (isinstance(k, (int, np.integer)) and isinstance(n, (int, np.integer))
                and 0 <= k <= n and n > 0):
            raise ValueError(f"{name}: expected whole counts with 0 <= successes <= runs and "
                             f"runs > 0, got {k} of {n}")
    la, ua = _wilson(int(k_a), int(n_a), confidence)
    lb, ub = _wilson(int(k_b), int(n_b), confidence)
    pa, pb = k_a / n_a, k_b / n_b
    d = pa - pb
    low = d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    p = float(stats.fisher_exact([[k_a, n_a - k_a], [k_b, n_b - k_b]]).pvalue)
    return RateComparison(a, b, int(k_a), int(n_a), int(k_b), int(n_b), float(low),
                          float(high), p, what, confidence)


def tally(comparisons: Sequence[Comparison], side: str) -> dict[str, int]:
    """How a set of comparisons involving ``side`` fall: decided for it, decided against it,
    comparable, unresolved, and in how many its mean is the better one (the lean)."""
    out = {"for": 0, "against": 0, "comparable": 0, "unresolved": 0, "lean": 0,
           "total": len(comparisons)}
    for c in comparisons:
        if side not in (c.a, c.b):
            raise ValueError(f"{side!r} is not a side of the comparison {c.a} vs {c.b}")
        d = c.direction
        if d == side:
            out["for"] += 1
        elif d in (c.a, c.b):
            out["against"] += 1
        else:
            out[d] += 1
        out["lean"] += c.leader == side and c.diff != 0
    return out


def sign_test(comparisons: Sequence[Comparison], side: str) -> float:
    """Which way a set of comparisons leans, beyond chance: the two-sided sign test of how
    many of them have ``side``'s mean better (exact binomial, p = 1/2; comparisons whose
    means are equal are left out). Each comparison must be a separate experiment (other
    runs), or the test overstates the evidence. Returns p (1.0 when nothing is left)."""
    t = tally(comparisons, side)
    n = sum(c.diff != 0 for c in comparisons)
    if n == 0:
        return 1.0
    return float(stats.binomtest(t["lean"], n, 0.5).pvalue)
