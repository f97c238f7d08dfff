"""The feedback says what is wrong: the entries that differ (not the first rows of two
truncated arrays), a shape error even where the shape matches by accident, integers asked
as integers, and the δ output and factor of a wrong backprop step."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from utils.checks import ch2, ch4, get_question
from utils.checks.core import Outcome, compare

from test_checks_mistakes import outcomes_of  # tests/test_checks_mistakes.py


def diagnose(name: str, fn, level: str = "public"):
    """The verdict on ``fn`` (which may be built from a reference: no tracer involved)."""
    q = get_question(name)
    return q.diagnose(level, outcomes_of(fn, q.probes(level), traced=True))


def test_compare_names_the_entries_that_differ_largest_first():
    expected = np.zeros((6, 5))
    got = expected.copy()
    got[4, 3], got[5, 0] = 0.5, -0.25  # rows a truncated print would hide
    msg = compare(expected, got, "`x`", "g")
    assert "2 of its 30 entries differ" in msg, msg
    assert msg.index("at (4, 3) expected 0, got 0.5") < msg.index("at (5, 0) expected 0, got "
                                                                   "-0.25"), msg
    assert "largest difference 0.5 at index (4, 3)" in msg


def test_a_partly_negated_update_gate_in_q2_4_shows_its_rows():
    def negate_z_bias_hh(kernel, recurrent_kernel, bias):
        w_ih, w_hh, b_ih, b_hh = ch2.keras_to_pytorch(kernel, recurrent_kernel, bias)
        H = w_hh.shape[1]
        b_hh = b_hh.copy()
        b_hh[H:2 * H] = -b_hh[H:2 * H]
        return w_ih, w_hh, b_ih, b_hh

    q = get_question("q2_4")
    v = diagnose("q2_4", negate_z_bias_hh)
    assert v.points == 0 and "`bias_hh` is wrong" in v.message, v.message
    H = q.probes("public")[0].args["recurrent_kernel"].shape[0]
    shown = [int(k) for k in __import__("re").findall(r"at \((\d+),\) expected", v.message)]
    assert shown and all(H <= k < 2 * H for k in shown), v.message
    named = diagnose("q2_4", functools.partial(ch2.keras_to_pytorch, negate_z=True))
    assert "you negated the update gate's rows" in named.message


def test_another_split_of_the_gate_biases_is_not_reported_beside_a_real_error():
    def summed_with_b_hn_negated(kernel, recurrent_kernel, bias):
        w_ih, w_hh, b_ih, b_hh = ch2.keras_to_pytorch(kernel, recurrent_kernel, bias)
        H = w_hh.shape[1]
        b_ih, b_hh = b_ih.copy(), b_hh.copy()
        b_ih[:2 * H] += b_hh[:2 * H]  # a right split: r and z rows summed into bias_ih
        b_hh[:2 * H] = 0.0
        b_hh[2 * H:] = -b_hh[2 * H:]  # the real error: the candidate's b_hn
        return w_ih, w_hh, b_ih, b_hh

    H = get_question("q2_4").probes("public")[0].args["recurrent_kernel"].shape[0]
    v = diagnose("q2_4", summed_with_b_hn_negated)
    assert v.points == 0 and "`bias_hh` is wrong" in v.message, v.message
    assert "`bias_ih` is wrong" not in v.message, v.message
    shown = [int(k) for k in __import__("re").findall(r"at \((\d+),\) expected", v.message)]
    assert shown and all(2 * H <= k < 3 * H for k in shown), v.message


@pytest.mark.parametrize("level", ["public", "hidden"])
def test_a_transposed_result_whose_shape_matches_is_a_shape_error(level):
    q = get_question("q4_4")  # (N, H) answers; one probe per level has N = H
    assert any(p.args["c_prev"].shape[0] == p.args["c_prev"].shape[1] for p in q.probes(level))

    def transposed_when_square(**args):  # right elsewhere: only the accident is wrong
        r = ch4.peephole_cell_jacobian(**args)
        return r.T if r.shape[0] == r.shape[1] else r

    v = diagnose("q4_4", transposed_when_square, level)
    assert v.points == 0 and v.message.count("Wrong shape") == 1, v.message
    assert "only by accident" in v.message, v.message


@pytest.mark.parametrize("name, whole", [
    ("q1_2", lambda q, a: q.reference(**a)), ("q1_3", lambda q, a: q.reference(**a))])
def test_integer_answers_held_in_floats_are_a_dtype_error(name, whole):
    q = get_question(name)
    for level in ("public", "hidden"):
        right = q.diagnose(level, outcomes_of(q.reference, q.probes(level)))
        assert right.status == "correct", right.message
        as_float = q.diagnose(level, [Outcome("value", np.asarray(whole(q, p.args),
                                                                 dtype=np.float64))
                                      for p in q.probes(level)])
        assert as_float.points == 0, as_float.message
        assert "Wrong dtype" in as_float.message and "integer" in as_float.message
        assert "float64" in as_float.message and "int64" in as_float.message
        as_int = q.diagnose(level, [Outcome("value", np.asarray(whole(q, p.args)).astype(int))
                                    for p in q.probes(level)])
        assert as_int.status == "correct", as_int.message


def test_every_probe_advice_fits_the_question():
    def scaled(f):  # every probe wrong, no known mistake
        return 1.5 * np.concatenate([[1.0], np.cumprod(f, axis=0).max(axis=1)])

    v = diagnose("q1_1", scaled)
    assert "every probe is wrong" in v.message and "the rows you slice" not in v.message
    assert "the unit that sets the norm" in v.message, v.message
