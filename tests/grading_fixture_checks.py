"""A test-only assignment for the batch grader's trust tests (not registered in the course):
one question, ``y = x Wᵀ + b``, whose probes come from ``probe_rng`` like every chapter's.

Tests register it with ``monkeypatch.setitem(utils.checks.ASSIGNMENTS, ASSIGNMENT,
"grading_fixture_checks")`` and grade in-process with ``utils.grade.grade_one``; the
submission itself never sees this module (it only receives the probes' inputs).
"""

from __future__ import annotations

import numpy as np

from utils.checks.core import Probe, Question, probe_rng

ASSIGNMENT = "t10_exercises"


def _probes(level: str) -> list[Probe]:
    rng = probe_rng(level, "qt_1")
    if level == "public":
        W, b = rng.normal(size=(3, 3)), rng.normal(size=3)
        x = rng.normal(size=(2, 3))
        return [Probe("bias", {"x": np.zeros((2, 3)), "W": W, "b": b}, "the bias term",
                      "x = 0 (only the bias acts)"),
                Probe("input", {"x": x, "W": W, "b": np.zeros(3)}, "the input term W x",
                      "b = 0 (only W x acts)"),
                Probe("all", {"x": x, "W": W, "b": b}, "the combination of the terms",
                      "random x, W, b")]
    probes = []
    for k in range(2):
        n, d_in, d_out = (int(v) for v in rng.integers(1, 6, size=3))
        probes.append(Probe(f"hidden {k}", {"x": rng.normal(size=(n, d_in)),
                                            "W": rng.normal(size=(d_out, d_in)),
                                            "b": rng.normal(size=d_out)},
                            "the combination of the terms", f"random sizes {k}"))
    return probes


def reference(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return x @ W.T + b


QUESTIONS = [Question(name="qt_1", func_name="affine", title="Exercise 0.1: affine map",
                      hint="Multiply, then add.", probes=_probes, reference=reference,
                      mistakes=(), output_names=("y",), points={"public": 1, "hidden": 1})]
