"""Every known mistake of every question is told apart from the right answer, and named, on
the public probes and on the hidden probes of any run: a wrong answer never scores by luck
of the seed, and its learner always reads the message written for it."""

from __future__ import annotations

import numpy as np
import pytest

from check_helpers import outcomes_of  # tests/check_helpers.py
from utils.checks import ASSIGNMENTS, Prediction, predictions, questions
from utils.checks.core import (Question, capture_value, decode_outcomes, encode_outcomes,
                               set_hidden_seed)

QUESTIONS = [q for assignment in ASSIGNMENTS for q in questions(assignment)]
PREDICTIONS = [p for assignment in ASSIGNMENTS for p in predictions(assignment)]
SEEDS = [None, *range(50)]  # None: the fixed default of the hidden probes


@pytest.mark.parametrize("q", QUESTIONS, ids=[q.name for q in QUESTIONS])
def test_every_mistake_is_rejected_with_its_message_on_every_run(q: Question):
    failures = []
    try:
        for seed in SEEDS:
            set_hidden_seed(seed)
            for level in ("public", "hidden") if seed is None else ("hidden",):
                probes = q.probes(level)
                right = q.diagnose(level, outcomes_of(q.reference, probes, traced=True))
                assert right.status == "correct", (level, seed, right.message)
                for mistake in q.mistakes:
                    v = q.diagnose(level, outcomes_of(mistake.fn, probes))
                    if v.points != 0 or mistake.message not in v.message:
                        failures.append(f"{level} seed {seed}: '{mistake.message[:50]}...' "
                                        f"→ {v.points:g} points, {v.message[:120]!r}")
    finally:
        set_hidden_seed(None)
    assert not failures, f"{len(failures)} misses:\n" + "\n".join(failures[:12])


def _judged(p: Prediction, value):
    """The verdict the graders give ``value``, through the JSON transport they all use."""
    return p.diagnose("public", decode_outcomes(encode_outcomes([capture_value(value)]), 1))


@pytest.mark.parametrize("p", PREDICTIONS, ids=[p.name for p in PREDICTIONS])
def test_every_wrong_prediction_is_rejected_with_its_message_and_the_reasoning(p: Prediction):
    """The right answer scores, each known wrong one gets its own message (and never another
    mistake's), every answer shows the reasoning, and an unanswered one is neutral."""
    right = _judged(p, list(p.answer) if p.kind == "order" else p.answer)
    assert right.status == "correct" and right.points == p.max_points, right.message
    assert p.explanation.split()[0] in right.message
    for m in p.mistakes:
        v = _judged(p, list(m.answer) if p.kind == "order" else m.answer)
        assert v.status == "incorrect" and v.points == 0, (p.name, m.answer, v.message)
        assert m.message in v.message and "Why:" in v.message, (p.name, m.answer, v.message)
        others = [o.message for o in p.mistakes if o is not m]
        assert not any(o in v.message for o in others), (p.name, m.answer)
    for blank in (..., None):
        v = _judged(p, blank)
        assert v.status == "not attempted" and "Why:" not in v.message, v.message
    assert _judged(p, object()).status == "incorrect"
