"""Hints for chapters 1-3 (issue 22): every exercise and graded prediction has at least two
steps (which idea, then a nudge further), in words, and no step holds its answer: not its code,
not the answer of a choice or a number."""

from __future__ import annotations

import re

import pytest

from utils import checks

ITEMS = [q for a in ("ch1_exercises", "ch2_exercises", "ch3_exercises")
         for q in checks.items(a)]
CODE = ("np.", "@", "==", "return", "def ", "[:", "**", "import", ".T", "einsum", "concatenate")


@pytest.mark.parametrize("q", ITEMS, ids=lambda q: q.name)
def test_every_hint_has_two_steps_in_words(q):
    steps = checks.hint_steps(q.hint)
    assert len(steps) >= 2, f"{q.name}: {len(steps)} hint step(s)"
    text = checks.hint_text(q.hint)
    for token in CODE:
        assert token not in text, (q.name, token)


@pytest.mark.parametrize("q", [q for q in ITEMS if isinstance(q, checks.Prediction)],
                         ids=lambda q: q.name)
def test_no_hint_states_the_predicted_answer(q):
    text = checks.hint_text(q.hint).lower()
    answer = q.answer
    if q.kind == "choice":  # the right option, said as the answer
        assert not re.search(rf"(answer|it is|choose|pick)\W+{re.escape(str(answer).lower())}\b",
                             text), (q.name, answer)
    elif q.kind == "number":
        assert not re.search(rf"(?<![\d.]){re.escape(str(answer))}(?![\d.])", text), \
            (q.name, answer)


def test_q2_4s_second_hint_nudges_without_the_recipe():
    second = checks.hint_steps(checks.get_question("q2_4").hint)[1].lower()
    for recipe in ("transposed, not reshaped", "no sign", "put them back in pytorch's order"):
        assert recipe not in second, recipe
