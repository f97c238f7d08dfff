"""Graded predictions (utils/checks/predictions.py) and stepped hints (utils.checks.hint):
right, wrong, a known misconception, unanswered, the wrong type, hostile values, the JSON
transport, and designs the grader could not tell apart (refused at definition)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import utils.checks as checks
from utils.checks import Prediction, WrongAnswer, hint_steps, hint_text
from utils.checks.core import capture_value, decode_outcomes, encode_outcomes

HALF_LIFE = Prediction(
    name="pt_1", var_name="predicted_half_life", title="Prediction 0.1: a half-life",
    kind="number", answer=math.log(2) / -math.log(0.95), log_band=0.1, unit="steps",
    explanation="z^t = 1/2 gives t = ln 2 / (−ln z).",
    mistakes=(WrongAnswer(20.0, "20 is 1 / (1 − z), the time constant, where e^−1 is left."),
              WrongAnswer(0.5, "0.5 is the fraction left, not a number of steps.")),
    hint=("Which fraction of h_0 is left after t steps?", "Solve for t with a logarithm."))
CHOICE = Prediction(
    name="pt_2", var_name="predicted_gate", title="Prediction 0.2: which gate",
    kind="choice", answer="update", options=("reset", "update", "neither"),
    explanation="Only z_t mixes the old state into h_t.",
    mistakes=(WrongAnswer("reset", "r_t only acts inside the candidate."),))
ORDER = Prediction(
    name="pt_3", var_name="predicted_order", title="Prediction 0.3: smallest first",
    kind="order", answer=("MGU", "GRU", "LSTM"), options=("LSTM", "GRU", "MGU"),
    explanation="2, 3 and 4 gate blocks.", points=2)


def judge(p: Prediction, value):
    return p.diagnose("public", decode_outcomes(encode_outcomes([capture_value(value)]), 1))


@pytest.mark.parametrize("value", [13.5, 13, np.float32(14.0), np.int64(13), np.array(12.5)])
def test_a_number_within_the_band_earns_the_points_and_the_reasoning(value):
    v = judge(HALF_LIFE, value)
    assert (v.status, v.points, v.max_points) == ("correct", 1.0, 1.0), v.message
    assert v.message.startswith("✅ pt_1 (predicted_half_life): right — 13.51 steps")
    assert "Why: z^t = 1/2" in v.message


@pytest.mark.parametrize("value, status", [(12.23, "correct"), (14.93, "correct"),
                                           (12.22, "incorrect"), (14.94, "incorrect")])
def test_the_printed_edges_of_the_band_are_accepted(value, status):
    # the feedback prints "accepted: 12.23 to 14.93"; the exact edges are 12.2306 and
    # 14.9298, so a learner who types a printed edge must not lose the point by a hair
    v = judge(HALF_LIFE, value)
    assert v.status == status, v.message


def test_a_wrong_number_gets_the_answer_and_the_reasoning():
    v = judge(HALF_LIFE, 5)
    assert (v.status, v.points) == ("incorrect", 0.0)
    assert "you predicted 5; the answer is 13.51 steps (accepted: 12.23 to 14.93)" in v.message
    assert "Why: z^t = 1/2" in v.message and "time constant" not in v.message


@pytest.mark.parametrize("value, named", [(20, "time constant"), (19.0, "time constant"),
                                          (0.5, "fraction left")])
def test_a_known_misconception_is_named(value, named):
    v = judge(HALF_LIFE, value)
    assert v.status == "incorrect" and named in v.message and "Why:" in v.message, v.message


@pytest.mark.parametrize("p", [HALF_LIFE, CHOICE, ORDER])
@pytest.mark.parametrize("value", [..., None])
def test_unanswered_is_not_attempted_and_neutral(p, value):
    v = judge(p, value)
    assert (v.status, v.points) == ("not attempted", 0.0)
    assert v.message.startswith(f"⏳ {p.name} ({p.var_name}): not attempted yet")
    assert p.form() in v.message and "Why" not in v.message  # the answer is not revealed


@pytest.mark.parametrize("p, value, described", [
    (HALF_LIFE, "13 steps", 'the string "13 steps"'), (HALF_LIFE, True, "the bool True"),
    (HALF_LIFE, [13], "a list of 1 item"), (HALF_LIFE, float("nan"), "the number nan"),
    (HALF_LIFE, float("inf"), "the number inf"),
    (CHOICE, "forget", 'the string "forget"'), (CHOICE, 1, "the number 1"),
    (ORDER, ["MGU", "GRU"], 'the list ["MGU", "GRU"]'),
    (ORDER, ["MGU", "GRU", "GRU"], "the list"), (ORDER, "MGU GRU LSTM", "the string")])
def test_the_wrong_type_says_what_form_the_answer_takes(p, value, described):
    v = judge(p, value)
    assert (v.status, v.points) == ("incorrect", 0.0), v.message
    assert f"expected {p.form()}, but `{p.var_name}` is {described}" in v.message, v.message
    assert "Why" not in v.message


def test_a_choice_ignores_case_and_spaces_and_names_the_misconception():
    assert judge(CHOICE, "  Update ").status == "correct"
    v = judge(CHOICE, "reset")
    assert "you predicted 'reset'; the answer is 'update'. r_t only acts" in v.message
    assert "Why: Only z_t" in judge(CHOICE, "neither").message


def test_an_order_names_the_first_pair_out_of_place():
    v = judge(ORDER, ("mgu", "gru", "lstm"))
    assert (v.status, v.points, v.max_points) == ("correct", 2.0, 2.0)
    v = judge(ORDER, ["GRU", "MGU", "LSTM"])
    assert v.status == "incorrect" and "You put 'GRU' before 'MGU'; it comes after." in v.message


class Hostile:
    def __float__(self):
        raise RuntimeError("boom")

    def __eq__(self, other):
        raise RuntimeError("boom")


class SneakyStr(str):
    def casefold(self):
        return "update"


@pytest.mark.parametrize("value", [Hostile(), SneakyStr("reset"), {"update"}, b"update",
                                   ["update"] * 40])
def test_odd_objects_are_a_wrong_type_never_a_crash(value):
    o = capture_value(value)
    assert o.kind == "wrong_type", o
    assert judge(CHOICE, value).status == "incorrect"


@pytest.mark.parametrize("kwargs, error", [
    (dict(kind="number", answer=10.0, rtol=0.2, mistakes=(WrongAnswer(11.0, "m"),)),
     "accepted as right"),
    (dict(kind="number", answer=10.0, log_band=0.1,
          mistakes=(WrongAnswer(20.0, "a"), WrongAnswer(21.0, "b"))), "cannot be told apart"),
    (dict(kind="choice", answer="x", options=("x", "y"), mistakes=(WrongAnswer("x", "m"),)),
     "accepted as right"),
    (dict(kind="choice", answer="z", options=("x", "y")), "not a valid choice"),
    (dict(kind="order", answer=("x",), options=("x", "y")), "not a valid order"),
    (dict(kind="choice", answer="x", options=("x", "X")), "two distinct options"),
    (dict(kind="guess", answer=1), "kind must be one of"),
    (dict(kind="number", answer=1.0, explanation=" "), "cannot be empty"),
    (dict(kind="number", answer=1.0, points=0), "positive number")])
def test_designs_the_grader_cannot_tell_apart_are_refused(kwargs, error):
    base = dict(name="px", var_name="v", title="t", explanation="because")
    with pytest.raises(ValueError, match=error):
        Prediction(**(base | kwargs))


def test_check_and_run_check_judge_a_registered_prediction(monkeypatch):
    monkeypatch.setattr(checks, "get_question", lambda name: HALF_LIFE)
    assert checks.check("pt_1", 13.5).status == "correct"
    with pytest.raises(checks.NotAttemptedYet):
        checks.run_check("pt_1", ..., "public")
    with pytest.raises(AssertionError, match="the answer is 13.51"):
        checks.run_check("pt_1", 3, "public")


def test_hints_come_in_steps_and_the_last_one_says_so(monkeypatch, capsys):
    monkeypatch.setattr(checks, "get_question", lambda name: HALF_LIFE)
    monkeypatch.setattr(checks, "_HINTS_SHOWN", {})
    shown = []
    for _ in range(3):
        checks.hint("pt_1")
        shown.append(capsys.readouterr().out)
    assert "step 1 of 2" in shown[0] and "Which fraction" in shown[0]
    assert "Solve for t" not in shown[0] and 'Run `hint("pt_1")` again' in shown[0]
    for out in shown[1:]:
        assert "step 2 of 2" in out and "Solve for t" in out and "the last hint" in out
    checks.hint("pt_1", step=1)
    assert "Which fraction" in capsys.readouterr().out


def test_a_plain_string_hint_still_works(monkeypatch, capsys):
    monkeypatch.setattr(checks, "get_question", lambda name: CHOICE)
    monkeypatch.setattr(checks, "_HINTS_SHOWN", {})
    checks.hint("pt_2")
    checks.hint("pt_2")
    out = capsys.readouterr().out
    assert out.count("Hint for Prediction 0.2") == 2 and "step" not in out
    assert hint_steps(" one ") == ("one",) and hint_text(("a", "b")) == "a\nb"


def test_the_exercise_page_shows_every_step_numbered():
    from utils.grading.exercises import hint_block

    assert hint_block(HALF_LIFE.hint) == [
        "Step 1. Which fraction of h_0 is left after t steps?", "",
        "Step 2. Solve for t with a logarithm."]
    assert hint_block("one text") == ["one text"]
