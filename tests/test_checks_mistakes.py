"""Every known mistake of every question is told apart from the right answer, and named, on
the public probes and on the hidden probes of any run: a wrong answer never scores by luck
of the seed, and its learner always reads the message written for it."""

from __future__ import annotations

import numpy as np
import pytest

from utils.checks import ASSIGNMENTS, questions
from utils.checks.core import Outcome, Question, set_hidden_seed, trace, untrace

QUESTIONS = [q for assignment in ASSIGNMENTS for q in questions(assignment)]
SEEDS = [None, *range(50)]  # None: the fixed default of the hidden probes


def outcomes_of(fn, probes, traced: bool = False) -> list[Outcome]:
    """What ``fn`` returns on each probe, as the outcomes ``capture`` would record (with the
    depth of traced probes when ``traced``: slower, needed for the reference only)."""
    out = []
    for probe in probes:
        try:
            if probe.traced and traced:  # the references follow traced inputs too
                result, depth = untrace(fn(**{k: trace(v) for k, v in probe.args.items()}))
                out.append(Outcome("value", result, depth=depth))
                continue
            result = fn(**probe.args)
        except Exception as exc:
            out.append(Outcome("error", detail=f"{type(exc).__name__}: {exc}"))
            continue
        if isinstance(result, tuple):
            out.append(Outcome("value", [np.asarray(r) for r in result], detail="tuple"))
        else:
            out.append(Outcome("value", np.asarray(result)))
    return out


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
