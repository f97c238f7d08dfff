"""Chapter 1's graded predictions, one case each where a tolerance could accept a wrong
number (issue 22): prediction 1.1 asks for the first step below 1%, a whole number."""

from __future__ import annotations

import numpy as np
import pytest

from utils import checks


def _kept(steps: int) -> float:
    return float((1 / (1 + np.exp(-1.0))) ** steps)  # σ(1)^t: the cell path's share


def test_p1_1_has_one_right_answer_the_first_step_below_one_percent():
    assert _kept(15) < 0.01 <= _kept(14)  # the question's own definition
    assert checks.check("p1_1", 15).status == "correct"


@pytest.mark.parametrize("steps", [14, 16, 13, 4])
def test_p1_1_rejects_the_steps_around_it(steps):
    v = checks.check("p1_1", steps)
    assert v.status != "correct" and v.points == 0, (steps, v.message)


def test_p1_1_names_the_off_by_one_of_rounding_down():
    v = checks.check("p1_1", 14)
    assert "one step early" in v.message and "1.25%" in v.message, v.message
