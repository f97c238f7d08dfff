"""Chapter 6's committed grids (practice, alternatives, forecast): complete, with provenance,
and reproduced by re-running one configuration of each (drift tests)."""

from __future__ import annotations

import pytest
import torch

from utils.experiments import (ch6_alternatives, ch6_forecast, ch6_grid, ch6_lstm_bias,
                               ch6_practice, ch6_reader, load, matches, rerun)
from utils.verdict import compare

GRIDS = {"ch6_practice": ch6_practice, "ch6_alternatives": ch6_alternatives,
         "ch6_forecast": ch6_forecast, "ch6_lstm_bias": ch6_lstm_bias,
         "ch6_reader": ch6_reader, "ch6_grid": ch6_grid}


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_committed_grid_is_complete_with_provenance(name):
    module = GRIDS[name]
    results = load(name)
    prov = results["provenance"]
    # a grid extended with --resume keeps its earlier rows and says where they came from
    resumed = f"python -m utils.experiments {name} --resume --no-progress"
    assert prov["command"] in (f"python -m utils.experiments {name} --no-progress", resumed)
    if prov["command"] == resumed:
        assert 0 < prov["reused"]["rows"] < len(results["rows"])
        assert prov["reused"]["from_git_commit"]
    assert prov["seeds"] == list(module.SEEDS)
    assert len(results["rows"]) == len(module.CONFIGS)
    for config in module.CONFIGS:
        assert sum(all(r.get(k) == v for k, v in config.items())
                   for r in results["rows"]) == 1, config


@pytest.mark.parametrize("name, config, keys", [
    ("ch6_practice", {"variant": "chrono", "seed": 2},
     ("params", "test_accuracy", "train_accuracy", "losses")),
    ("ch6_alternatives", {"model": "conv", "seed": 1},
     ("width", "params", "test_accuracy", "train_accuracy", "losses")),
    ("ch6_alternatives", {"model": "logistic"}, ("params", "test_accuracy")),
    ("ch6_lstm_bias", {"model": "lstm_bias1", "seed": 5},
     ("width", "params", "test_accuracy", "train_accuracy", "losses")),
    ("ch6_practice", {"variant": "plain", "seed": 12},
     ("params", "test_accuracy", "train_accuracy", "losses")),
    ("ch6_grid", {"hidden_size": 8, "dropout": 0.6, "seed": 1},
     ("params", "test_accuracy", "train_accuracy", "losses")),
    ("ch6_forecast", {"model": "ar", "back": 33}, ("ar_order", "mae", "mase", "forecast")),
    ("ch6_forecast", {"model": "gru", "back": 11, "seed": 3},
     ("mae", "mase", "forecast", "final_loss")),
])
def test_one_configuration_reproduces_the_committed_numbers(name, config, keys):
    committed = next(r for r in load(name)["rows"]
                     if all(r.get(k) == v for k, v in config.items())
                     and set(r) >= set(config) and ("seed" in config or "seed" not in r))
    torch.set_num_threads(2)
    fresh = rerun(name, committed)
    assert matches(fresh, committed, keys=keys, atol=1.5e-6, rtol=1e-5) == []


def test_practice_budget_and_variants():
    rows = load("ch6_practice")["rows"]
    params = {r["variant"]: r["params"] for r in rows}
    assert params["plain"] == params["clipped"] == params["chrono"]
    assert params["stacked"] > params["plain"] and params["bidirectional"] > params["plain"]


def test_alternatives_stay_within_the_grus_budget():
    rows = load("ch6_alternatives")["rows"]
    budget = ch6_alternatives.budget()
    for r in rows:
        assert r["budget"] == budget
        if r["model"] != "logistic":
            assert 0.9 * budget <= r["params"] <= budget, r


def test_forecast_rows_cover_the_last_55_years_without_overlap():
    rows = load("ch6_forecast")["rows"]
    starts = sorted({r["first_year"] for r in rows})
    assert starts == [1954, 1965, 1976, 1987, 1998]
    for r in rows:
        assert len(r["forecast"]) == r["horizon"] == ch6_forecast.HORIZON
        assert r["mase"] > 0


def test_alternative_verdicts_pair_the_grus_practice_runs():
    rows, practice = load("ch6_alternatives")["rows"], load("ch6_practice")["rows"]
    verdicts = ch6_alternatives.alternative_verdicts(rows, practice)
    assert set(verdicts) == set(ch6_alternatives.BUILDERS)
    plain = [r["test_accuracy"] for r in sorted(practice, key=lambda r: r["seed"])
             if r["variant"] == "plain"]
    for model, v in verdicts.items():
        assert v.paired and list(v.values_a) == plain
        assert v.seeds == ch6_alternatives.SEEDS
    with pytest.raises(ValueError, match="expected runs for seeds"):
        ch6_alternatives.alternative_verdicts(rows, practice[:3])


def test_forecast_verdict_pairs_origins_and_prefers_lower_mase():
    rows = load("ch6_forecast")["rows"]
    v = ch6_forecast.forecast_verdict(rows, "ar")
    assert v.paired and not v.higher_is_better and len(v.values_a) == 5
    gru_first = [r["mase"] for r in rows if r["model"] == "gru" and r["back"] == 55]
    assert v.values_a[0] == pytest.approx(sum(gru_first) / len(gru_first))
    # a planted GRU that is far better at every origin must win
    better = [dict(r, mase=r["mase"] / 10) if r["model"] == "gru" else r for r in rows]
    assert ch6_forecast.forecast_verdict(better, "ar").direction == "GRU"
    with pytest.raises(ValueError, match="baseline must be one of"):
        ch6_forecast.forecast_verdict(rows, "prophet")


def test_bias1_lstm_is_the_alternatives_lstm_with_its_forget_bias_raised():
    rows, alternatives = load("ch6_lstm_bias")["rows"], load("ch6_alternatives")["rows"]
    [width] = {r["width"] for r in alternatives if r["model"] == "lstm"}
    assert {r["width"] for r in rows} == {width}
    assert {r["params"] for r in rows} == {r["params"] for r in alternatives
                                           if r["model"] == "lstm"}
    model = ch6_lstm_bias.build(width)
    for name, b in model.rnn.named_parameters():
        if name.startswith("bias_ih"):
            assert (b[width:2 * width] == 1).all() and not (b[:width] == 1).all()
        elif name.startswith("bias_hh"):
            assert (b[width:2 * width] == 0).all()
    v = ch6_lstm_bias.lstm_bias_verdict(rows, load("ch6_practice")["rows"])
    assert v.paired and v.seeds == ch6_lstm_bias.SEEDS
    with pytest.raises(ValueError, match="expected runs for seeds"):
        ch6_lstm_bias.lstm_bias_verdict(rows[:3], load("ch6_practice")["rows"])


def test_reader_is_the_practice_grids_plain_seed_0():
    [reader] = load("ch6_reader")["rows"]
    plain = next(r for r in load("ch6_practice")["rows"]
                 if r["variant"] == "plain" and r["seed"] == 0)
    for key in ("params", "test_accuracy", "train_accuracy", "losses"):
        assert reader[key] == plain[key], key
    model = ch6_reader.load_model(reader)
    assert sum(p.numel() for p in model.parameters()) == reader["params"]


def test_the_headline_verdicts_rest_on_sixteen_seeds():
    assert ch6_practice.SEEDS == ch6_alternatives.SEEDS == tuple(range(16))
    practice = load("ch6_practice")["rows"]
    assert {r["seed"] for r in practice} == set(range(16))
    for v in ch6_practice.variant_verdicts(practice).values():
        assert v.seeds == tuple(range(16)) and len(v.values_a) == 16


def test_seed_halves_recompute_the_verdict_on_each_half():
    a = [0.9, 0.91, 0.92, 0.93, 0.95, 0.96, 0.97, 0.98]
    b = [0.89, 0.905, 0.91, 0.925, 0.95, 0.97, 0.96, 0.99]
    v = compare("A", a, "B", b, metric="accuracy", seeds=range(8), paired=True)
    halves = ch6_practice.seed_halves(v)
    assert list(halves) == ["seeds 0–3", "seeds 4–7"]
    first, second = halves.values()
    assert first.values_a == tuple(a[:4]) and second.values_b == tuple(b[4:])
    assert first.seeds == (0, 1, 2, 3) and first.paired
    assert first.direction == "A" and second.direction == "unresolved"  # A leads only early
    with pytest.raises(ValueError, match="paired comparison over at least four seeds"):
        ch6_practice.seed_halves(compare("A", a, "B", b, seeds=range(8)))


def test_forecast_verdict_names_its_unit_the_forecast_origin():
    rows = load("ch6_forecast")["rows"]
    for baseline in ("ar", "seasonal_naive", "ets"):
        text = ch6_forecast.origins_headline(ch6_forecast.forecast_verdict(rows, baseline))
        assert "five forecast origins" in text and "runs" not in text and "seeds" not in text
    better = [dict(r, mase=r["mase"] / 10) if r["model"] == "gru" else r for r in rows]
    text = ch6_forecast.origins_headline(ch6_forecast.forecast_verdict(better, "ar"))
    assert text.startswith("GRU has a lower MASE than AR, paired over the five forecast")


def test_grid_cells_at_size_32_are_the_practice_grids_two_layer_runs():
    """The grid and ch6_practice share a recipe: where they meet, the numbers are the same."""
    grid, practice = load("ch6_grid")["rows"], load("ch6_practice")["rows"]
    for dropout, variant in ((0.0, "stacked"), (0.3, "stacked_dropout")):
        for seed in ch6_grid.SEEDS:
            [g] = [r for r in grid if (r["hidden_size"], r["dropout"], r["seed"])
                   == (32, dropout, seed)]
            [p] = [r for r in practice if (r["variant"], r["seed"]) == (variant, seed)]
            assert (g["test_accuracy"], g["losses"], g["params"]) == (
                p["test_accuracy"], p["losses"], p["params"])
    params = {(r["hidden_size"], r["dropout"]): r["params"] for r in grid}
    assert params[(8, 0.0)] < params[(16, 0.0)] < params[(32, 0.0)] == params[(32, 0.6)]
