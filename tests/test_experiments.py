"""utils.experiments: the committed-results mechanism (run, provenance, save/load, rerun)."""

from __future__ import annotations

import json
import sys
import types

import pytest

from utils import experiments


@pytest.fixture
def toy(monkeypatch):
    """A registered experiment module `utils.experiments.toy` with a deterministic grid."""
    import torch

    module = types.ModuleType("utils.experiments.toy")
    module.CONFIGS = [{"seed": s, "size": n} for s in (0, 1) for n in (2, 3)]
    module.QUICK = module.CONFIGS[:1]

    def run_one(config):
        g = torch.Generator().manual_seed(config["seed"])
        x = torch.randn(config["size"], generator=g, dtype=torch.float64)
        return {"norm": float(x.norm()), "threads": torch.get_num_threads(), "seconds": 0.1}

    module.run_one = run_one
    monkeypatch.setitem(sys.modules, "utils.experiments.toy", module)
    return module


def test_main_writes_rows_and_provenance_and_rerun_matches(toy, tmp_path, capsys):
    out = tmp_path / "toy.json"
    assert experiments.main(["toy", "--out", str(out), "--no-progress"]) == 0
    results = json.loads(out.read_text())
    assert len(results["rows"]) == 4
    assert all(row["threads"] == 1 for row in results["rows"])  # one thread while running
    p = results["provenance"]
    assert p["experiment"] == "toy" and p["configs"] == 4 and p["seeds"] == [0, 1]
    assert p["command"] == f"python -m utils.experiments toy --out {out} --no-progress"
    assert {"python", "numpy", "torch"} <= set(p["versions"])
    assert p["machine"]["logical_cpus"] >= 1 and p["date"].endswith("UTC")
    assert p["wall_time_s"] >= 0 and p["torch_threads_per_run"] == 1
    (row,) = experiments.find(results, seed=1, size=3)
    fresh = experiments.rerun("toy", row)
    assert experiments.matches(fresh, row, keys=["seed", "size", "norm"]) == []
    assert experiments.matches({**fresh, "norm": fresh["norm"] * 1.001}, row) == ["norm"]
    assert "4 configurations" in capsys.readouterr().out


def test_quick_needs_out_and_unknown_experiments_are_usage_errors(toy, tmp_path, capsys):
    with pytest.raises(SystemExit):
        experiments.main(["toy", "--quick"])
    assert "--out" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        experiments.main(["no_such_experiment"])
    assert "no experiment 'no_such_experiment'" in capsys.readouterr().err
    assert experiments.main(["toy", "--quick", "--out", str(tmp_path / "q.json"),
                             "--no-progress"]) == 0
    assert len(json.loads((tmp_path / "q.json").read_text())["rows"]) == 1


def test_rerun_refuses_a_row_of_no_configuration(toy):
    with pytest.raises(ValueError, match="matches no configuration"):
        experiments.rerun("toy", {"seed": 7, "size": 2})


def test_run_refuses_results_that_overwrite_the_config():
    with pytest.raises(ValueError, match="also config keys"):
        experiments.run(lambda c: {"seed": 1}, [{"seed": 0}], progress=False)


def test_save_and_load_through_the_package(monkeypatch, tmp_path):
    import importlib.resources

    results = {"provenance": {"experiment": "x"}, "rows": [{"a": 1.5}]}
    with pytest.raises(ValueError, match="exactly"):
        experiments.save("x", {"rows": []}, tmp_path / "x.json")
    path = experiments.save("x", results, tmp_path / "x.json")
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    assert experiments.load("x") == results
    assert path == tmp_path / "x.json"
    with pytest.raises(FileNotFoundError, match="python -m utils.experiments missing"):
        experiments.load("missing")


def test_matches_compares_nested_values_with_tolerance():
    committed = {"curve": [1.0, 0.5], "name": "gru", "nan": float("nan"), "n": 3}
    assert experiments.matches({"curve": [1.0, 0.5 + 1e-12], "name": "gru",
                                "nan": float("nan"), "n": 3}, committed) == []
    assert experiments.matches({"curve": [1.0], "name": "lstm", "n": 3}, committed) == [
        "curve", "name", "nan"]


def test_resume_keeps_the_rows_still_in_the_grid_and_runs_only_the_missing(toy, tmp_path,
                                                                           monkeypatch):
    out = tmp_path / "toy.json"
    toy.CONFIGS = [{"seed": 0, "size": 2}]
    assert experiments.main(["toy", "--out", str(out), "--no-progress"]) == 0
    first = json.loads(out.read_text())
    first["rows"][0]["norm"] = -1.0  # marks the kept row: a re-run would give a norm >= 0
    out.write_text(json.dumps(first))
    toy.CONFIGS = [{"seed": 0, "size": 2}, {"seed": 1, "size": 2}]
    calls = []
    run_one = toy.run_one
    monkeypatch.setattr(toy, "run_one", lambda c: calls.append(c) or run_one(c))
    assert experiments.main(["toy", "--out", str(out), "--resume", "--no-progress"]) == 0
    results = json.loads(out.read_text())
    assert calls == [{"seed": 1, "size": 2}]
    assert [r["seed"] for r in results["rows"]] == [0, 1]
    assert results["rows"][0]["norm"] == -1.0 and results["rows"][1]["norm"] > 0
    assert results["provenance"]["reused"]["rows"] == 1
    assert results["provenance"]["configs"] == 2
    assert "earlier" not in results["provenance"]["reused"]
    # resuming a resumed file keeps the chain of where the rows came from
    assert experiments.main(["toy", "--out", str(out), "--resume", "--no-progress"]) == 0
    chained = json.loads(out.read_text())["provenance"]["reused"]
    assert chained["rows"] == 2 and chained["earlier"] == results["provenance"]["reused"]
    # without --resume everything runs again
    calls.clear()
    assert experiments.main(["toy", "--out", str(out), "--no-progress"]) == 0
    assert len(calls) == 2 and "reused" not in json.loads(out.read_text())["provenance"]
