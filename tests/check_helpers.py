"""Helpers the checker tests share (``tests/test_checks_*.py``, ``test_checks_mistakes.py``):
what ``capture`` would record for a function, computed without running it under the tracer."""

from __future__ import annotations

import numpy as np

from utils.checks.core import Outcome, trace, untrace


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
