"""utils.verdict: the one mechanism behind every seed comparison's sentence."""

import math

import numpy as np
import pytest
from scipy import stats

from utils.verdict import compare, compare_rates, sign_test, spread, tally


def test_interval_and_p_are_welchs():
    a, b = [0.91, 0.88, 0.93, 0.90], [0.85, 0.86, 0.80]
    v = compare("A", a, "B", b)
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert v.diff == pytest.approx(np.mean(a) - np.mean(b), abs=1e-15)
    assert (v.low, v.high, v.p) == pytest.approx((ci.low, ci.high, res.pvalue), rel=1e-12)


def test_a_side_with_equal_runs_gives_welchs_interval_without_a_warning():
    import warnings

    a, b = [225.0, 225.0, 225.0], [250.0, 275.0, 250.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = compare("A", a, "B", b, higher_is_better=False)
    se2 = np.var(b, ddof=1) / 3
    half = stats.t.ppf(0.975, 2) * math.sqrt(se2)
    assert (v.low, v.high) == pytest.approx((-100 / 3 - half, -100 / 3 + half), rel=1e-12)
    assert v.p == pytest.approx(2 * stats.t.sf(100 / 3 / math.sqrt(se2), 2), rel=1e-12)


def test_paired_uses_the_paired_test():
    a, b = [1.0, 2.0, 3.0, 4.0], [0.9, 1.7, 2.95, 3.6]
    v = compare("A", a, "B", b, paired=True)
    res = stats.ttest_rel(a, b)
    assert (v.low, v.high, v.p) == pytest.approx(
        (res.confidence_interval().low, res.confidence_interval().high, res.pvalue))
    with pytest.raises(ValueError, match="as many B runs as A runs"):
        compare("A", a, "B", b[:3], paired=True)


@pytest.mark.parametrize("higher_is_better, winner", [(True, "A"), (False, "B")])
def test_direction_follows_the_metric(higher_is_better, winner):
    v = compare("A", [3.0, 3.1, 2.9], "B", [1.0, 1.1, 0.9], higher_is_better=higher_is_better,
                metric="m", seeds=[0, 1, 2])
    assert v.direction == winner and v.resolved
    s = v.sentence()
    assert s.startswith(f"{winner} scores") and "seeds 0–2" in s
    assert f"every {winner} run beat every" in s


def test_overlapping_runs_are_unresolved_and_say_which_way_they_lean():
    v = compare("GRU", [0.8, 0.7, 0.9], "LSTM", [0.82, 0.75, 0.78], metric="accuracy")
    assert v.direction == "unresolved" and v.low < 0 < v.high
    assert "do not settle" in v.sentence() and "GRU's mean is higher" in v.sentence()
    assert "comparable" not in v.sentence()


def test_comparable_only_with_a_margin_that_holds_the_whole_interval():
    a, b = [0.80, 0.81, 0.79, 0.80], [0.805, 0.80, 0.795, 0.80]
    assert compare("A", a, "B", b).direction == "unresolved"
    assert compare("A", a, "B", b, margin=0.05).direction == "comparable"
    assert "±0.050" in compare("A", a, "B", b, margin=0.05).sentence()
    wide = compare("A", [0.6, 0.9, 0.75], "B", [0.8, 0.7, 0.85], margin=0.05)
    assert wide.direction == "unresolved"
    with pytest.raises(ValueError, match="margin"):
        compare("A", a, "B", b, margin=0)


def test_one_run_per_side_is_never_decided():
    v = compare("A", [1.0], "B", [0.0])
    assert math.isnan(v.low) and v.direction == "unresolved"
    assert "one run on a side" in v.sentence()


def test_identical_constant_runs_and_separated_constant_runs():
    same = compare("A", [1.0, 1.0], "B", [1.0, 1.0])
    assert same.diff == 0 and same.direction == "unresolved"
    apart = compare("A", [1.0, 1.0], "B", [0.5, 0.5])
    assert apart.direction == "A" and apart.low == apart.high == 0.5


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [float("inf")]])
def test_bad_values_name_the_side(bad):
    with pytest.raises(ValueError, match="^GRU"):
        compare("GRU", bad, "LSTM", [1.0, 2.0])


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Stat. Med. 17:873, table II example (a): 56/70 vs 48/80,
    # method 10 interval 0.0524 to 0.3339.
    r = compare_rates("A", 56, 70, "B", 48, 80)
    assert (r.low, r.high) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert r.p == pytest.approx(stats.fisher_exact([[56, 14], [48, 32]]).pvalue)
    assert r.direction == "A" and "succeeds more often" in r.sentence()


def test_rates_unresolved_and_bad_counts():
    r = compare_rates("GRU", 1, 8, "RNN", 3, 8)
    assert r.direction == "unresolved" and "do not settle" in r.sentence()
    with pytest.raises(ValueError, match="RNN"):
        compare_rates("GRU", 1, 8, "RNN", 9, 8)


def test_tally_counts_decisions_and_lean():
    c1 = compare("GRU", [3.0, 3.1, 2.9], "LSTM", [1.0, 1.1, 0.9])
    c2 = compare("LSTM", [0.8, 0.7, 0.9], "GRU", [0.82, 0.75, 0.78])
    c3 = compare("LSTM", [5.0, 5.1, 4.9], "GRU", [1.0, 1.1, 0.9])
    t = tally([c1, c2, c3], "GRU")
    assert t == {"for": 1, "against": 1, "comparable": 0, "unresolved": 1, "lean": 1,
                 "total": 3}
    with pytest.raises(ValueError, match="not a side"):
        tally([c1], "RNN")


def test_spread():
    s = spread([1.0, 2.0, 3.0])
    assert s == {"mean": 2.0, "std": 1.0, "min": 1.0, "max": 3.0, "n": 3}


def test_rate_clause_and_row_carry_the_verdict_without_repeating_the_sentence():
    decided = compare_rates("GRU", 9, 10, "RNN", 1, 10)
    assert decided.direction == "GRU"
    assert decided.clause() == "GRU succeeds more often than RNN"
    assert decided.row() == {"GRU": "9/10", "RNN": "1/10",
                             "interval": f"{100 * decided.low:+.0f} to {100 * decided.high:+.0f}",
                             "p": decided.row()["p"], "verdict": "GRU"}
    assert float(decided.row()["p"]) == pytest.approx(decided.p, rel=0.05)
    reversed_ = compare_rates("RNN", 1, 10, "GRU", 9, 10)
    assert reversed_.clause() == "GRU succeeds more often than RNN"
    open_ = compare_rates("GRU", 2, 3, "RNN", 1, 3)
    assert open_.clause() == "these runs do not settle whether GRU or RNN succeeds more often"
    assert open_.row()["verdict"] == "unresolved"


def test_rate_verdict_never_contradicts_the_printed_p_value():
    # 2/12 against 7/12: Newcombe's interval just excludes 0, Fisher's p is about 0.09
    r = compare_rates("GRU", 2, 12, "RNN", 7, 12)
    assert r.high < 0 and r.p > 0.05
    assert r.direction == "unresolved"
    assert r.row()["verdict"] == "unresolved"
    assert r.sentence().startswith("These runs do not settle")
    # where both agree, the verdict stands
    both = compare_rates("GRU", 0, 12, "RNN", 9, 12)
    assert both.high < 0 and both.p < 0.05 and both.direction == "RNN"


def test_headline_is_the_sentence_without_its_numbers():
    decided = compare("GRU", [3.0, 3.1, 2.9], "LSTM", [1.0, 1.1, 0.9], metric="m")
    assert decided.headline() == ("GRU scores higher than LSTM on m, and every GRU run beat "
                                  "every LSTM run.")
    lower = compare("A", [3.0, 3.1, 2.9], "B", [1.0, 1.1, 0.9], higher_is_better=False,
                    metric="steps")
    assert lower.headline().startswith("B has a lower steps than A")  # the metric's name
    unnamed = compare("A", [3.0, 3.1, 2.9], "B", [1.0, 1.1, 0.9], higher_is_better=False)
    assert unnamed.headline().startswith("B scores lower than A")
    assert lower.headline(verb="needed fewer steps than") == (
        "B needed fewer steps than A, and every B run beat every A run.")
    open_ = compare("GRU", [0.8, 0.7, 0.9], "LSTM", [0.82, 0.75, 0.78], metric="accuracy")
    assert open_.headline() == ("These runs do not settle whether GRU or LSTM scores higher "
                                "on accuracy: GRU's mean is higher, but with three runs a side "
                                "the interval of the difference includes zero.")
    apart = compare("GRU", [1.0, 1.3, 1.05], "LSTM", [0.9, 0.1, 0.95])
    # every run beating every run supports the lean ("and"), yet the interval stays open
    assert apart.direction == "unresolved" and apart.headline() == (
        "These runs do not settle whether GRU or LSTM is better: GRU's mean is higher, and "
        "every GRU run beat every LSTM run, but with three runs a side the interval of the "
        "difference still includes zero.")
    lower_open = compare("A", [5.0, 9.0, 7.0, 6.0], "B", [6.0, 8.0, 7.5, 6.5],
                         higher_is_better=False,
                         metric="loss", seeds=[0, 1, 2, 3])
    assert lower_open.headline().startswith(
        "These runs do not settle whether A or B scores lower on loss: A's mean is lower, but "
        "with four seeds")
    uneven = compare("A", [0.8, 0.7, 0.9], "B", [0.82, 0.75])
    assert uneven.headline().endswith("but the interval of the difference includes zero.")
    many = compare("A", [0.8, 0.7, 0.9] * 4, "B", [0.82, 0.75, 0.78] * 4, seeds=range(12))
    assert many.headline().endswith("A's mean is higher, but the interval of the difference "
                                    "includes zero.")
    same = compare("A", [1.0, 1.0], "B", [1.0, 1.0])
    assert "the means are equal" in same.headline()
    near = compare("A", [0.80, 0.81, 0.79, 0.80], "B", [0.805, 0.80, 0.795, 0.80], margin=0.05)
    assert near.headline().startswith("A and B are comparable")
    for c in (decided, lower, open_, apart, same, near, lower_open, uneven, many):
        assert not any(ch.isdigit() for ch in c.headline()), c.headline()


def test_sign_test_counts_the_lean():
    up = [compare("GRU", [1.0 + k, 1.1 + k], "LSTM", [0.9 + k, 1.0 + k]) for k in range(6)]
    assert sign_test(up, "GRU") == pytest.approx(2 / 2 ** 6)
    assert sign_test(up, "LSTM") == pytest.approx(2 / 2 ** 6)  # two-sided
    mixed = up[:3] + [compare("LSTM", [2.0, 2.1], "GRU", [1.0, 1.1])] * 3
    assert sign_test(mixed, "GRU") == pytest.approx(1.0)
    assert sign_test([compare("A", [1.0, 1.0], "B", [1.0, 1.0])], "A") == 1.0
    with pytest.raises(ValueError, match="not a side"):
        sign_test(up, "RNN")


@pytest.mark.parametrize("lead", ["At a budget of 1,000", "At a budget of 1,000:"])
def test_a_lead_puts_the_verdict_after_a_comma_in_lower_case(lead):
    open_ = compare("GRU", [0.8, 0.7, 0.9], "LSTM", [0.82, 0.75, 0.78], metric="accuracy")
    assert open_.headline(lead=lead) == (
        "At a budget of 1,000, these runs do not settle whether GRU or LSTM scores higher "
        "on accuracy: GRU's mean is higher, but with three runs a side the interval of the "
        "difference includes zero.")
    assert open_.sentence(lead=lead).startswith(
        "At a budget of 1,000, these runs do not settle whether GRU or LSTM")
    decided = compare("MGU", [3.0, 3.1, 2.9], "LSTM", [1.0, 1.1, 0.9])
    assert decided.headline(lead=lead).startswith("At a budget of 1,000, MGU scores higher")
    assert decided.sentence(lead=lead).startswith("At a budget of 1,000, MGU scores higher")
    assert decided.headline(lead="") == decided.headline()
    for text in (open_.headline(lead=lead), open_.sentence(lead=lead),
                 decided.headline(lead=lead)):
        assert ": T" not in text and ", T" not in text, text


def test_clause_goes_inside_a_sentence():
    open_ = compare("GRU", [0.8, 0.7, 0.9], "LSTM", [0.82, 0.75, 0.78])
    assert open_.clause() == ("these runs do not settle whether GRU or LSTM is better: GRU's "
                              "mean is higher, but with three runs a side the interval of "
                              "the difference includes zero")
    decided = compare("MGU", [3.0, 3.1, 2.9], "GRU", [1.0, 1.1, 0.9], higher_is_better=False)
    assert decided.clause("needed fewer steps than") == (
        "GRU needed fewer steps than MGU, and every GRU run beat every MGU run")
    assert decided.headline("needed fewer steps than") == decided.clause(
        "needed fewer steps than") + "."


def test_interval_label_names_the_test_and_the_level():
    a, b = [1.0, 2.0, 3.0], [0.9, 1.7, 2.95]
    assert compare("A", a, "B", b).interval_label == "95% Welch interval of the difference"
    assert (compare("A", a, "B", b, paired=True, confidence=0.9).interval_label
            == "90% paired t interval of the difference")


def test_no_template_puts_its_own_capital_after_a_colon_or_comma():
    """Every verdict text, in every direction, with or without a lead (ending in a colon or
    not): the module's own opening words ("These", "The") never follow ":" or "," in mid
    sentence, and a text without a lead starts with a capital."""
    import re

    comparisons = [
        compare("GRU", [0.8, 0.7, 0.9], "LSTM", [0.82, 0.75, 0.78], metric="accuracy"),
        compare("GRU", [0.8, 0.7, 0.9], "LSTM", [0.82, 0.75, 0.78]),
        compare("MGU", [3.0, 3.1, 2.9], "LSTM", [1.0, 1.1, 0.9]),
        compare("A", [1.0, 1.01, 0.99], "B", [1.0, 1.02, 0.98], margin=0.5),
        compare("A", [1.0], "B", [2.0]),
    ]
    assert {c.direction for c in comparisons} == {"unresolved", "MGU", "comparable"}
    rates = [compare_rates("chrono", 7, 8, "bias 0", 1, 8),
             compare_rates("chrono", 4, 8, "bias 0", 3, 8)]
    assert {r.direction for r in rates} == {"chrono", "unresolved"}
    texts = []
    for lead in (None, "At a budget of 1,000", "Against the LSTM named in advance:"):
        for c in comparisons:
            texts += [c.sentence(lead=lead), c.headline(lead=lead)]
        texts += [r.sentence(lead=lead) for r in rates]
    texts += [c.clause() for c in comparisons] + [r.clause() for r in rates]
    for text in texts:
        assert not re.search(r"[:,;] (These|The|Their) ", text), text
    for c in comparisons:
        assert c.sentence()[0].isupper() and c.headline()[0].isupper()
    for r in rates:
        assert r.sentence().startswith(("These ", r.a, r.b))  # a side keeps its own case
        assert r.sentence(lead="At T = 30:").startswith("At T = 30, ")


def test_a_sentence_states_the_interval_of_the_gap_it_names():
    """"B scores higher than A by 0.40 (...; interval ...)": the interval is of B − A, so it
    has the sign of the gap the sentence states, whichever side is named first."""
    import re

    for a_vals, b_vals, better in (([0.1, 0.2, 0.15], [0.5, 0.6, 0.55], True),
                                   ([0.5, 0.6, 0.55], [0.1, 0.2, 0.15], True),
                                   ([0.1, 0.2, 0.15], [0.5, 0.6, 0.55], False),
                                   ([0.5, 0.6, 0.55], [0.1, 0.2, 0.15], False)):
        c = compare("A", a_vals, "B", b_vals, higher_is_better=better)
        text = c.sentence()
        low, high = (float(v.replace("−", "-")) for v in
                     re.search(r"interval (\S+) to (\S+?);", text).groups())
        leader_minus_other = c.diff if text.startswith("A ") else -c.diff
        assert low <= leader_minus_other <= high, text
        assert (low > 0) == (leader_minus_other > 0), text
