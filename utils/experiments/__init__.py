"""Slow experiments whose results are committed, with their provenance.

Some measurements (a grid of trainings over cells, budgets, tasks and seeds) take too long
for every book build. Each lives in a module ``utils/experiments/NAME.py`` that defines::

    CONFIGS: list[dict]            # every configuration of the grid (JSON-friendly values)
    def run_one(config: dict) -> dict: ...   # deterministic given the config (seeded)

and optionally ``QUICK: list[dict]`` (a small slice for a smoke run) and ``DESCRIPTION``.
``python -m utils.experiments NAME`` runs the grid with one torch thread and writes
``utils/results/NAME.json``::

    {"provenance": {"command", "experiment", "configs", "seeds", "versions", "machine",
                    "date", "wall_time_s", "git_commit"},
     "rows": [{**config, **result}, ...]}

A chapter reads it with :func:`load` (``importlib.resources``, so it works from an installed
wheel as well as from the repository), plots it, and runs a small slice live; a test re-runs
one configuration with :func:`rerun` and requires the committed numbers
(:func:`matches`), so the file cannot drift from the code.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import importlib.resources
import json
import math
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["provenance", "run", "save", "load", "find", "rerun", "matches", "main",
           "results_path"]

RESULTS_PACKAGE = "utils.results"


def _module(name: str) -> Any:
    if not name.isidentifier():
        raise ValueError(f"experiment name must be a Python identifier, got {name!r}")
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{name}":
            raise ValueError(f"no experiment {name!r}: expected a module "
                             f"utils/experiments/{name}.py") from None
        raise


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("numpy", "torch", "sklearn"):
        module = sys.modules.get(package)
        if module is None:
            try:
                module = importlib.import_module(package)
            except ImportError:
                continue
        versions[package] = getattr(module, "__version__", "?")
    return versions


def _machine() -> dict[str, Any]:
    from utils.costs import machine_description

    return machine_description()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def provenance(experiment: str, configs: Sequence[Mapping[str, Any]], *, command: str,
               wall_time_s: float, reused: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Where and how a results file was made: command, seeds, versions, machine, date.

    ``reused``: with ``--resume``, how many rows were kept from which earlier file (its
    ``git_commit`` and ``date``); those rows were not re-run.
    """
    seeds = sorted({c["seed"] for c in configs if "seed" in c})
    extra = {"reused": dict(reused)} if reused else {}
    return {
        "experiment": experiment,
        "command": command,
        "configs": len(configs),
        "seeds": seeds,
        "versions": _versions(),
        "machine": _machine(),  # torch_threads there is the default, not what run() used
        "torch_threads_per_run": 1,  # run() sets one intra-op thread for every configuration
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_time_s": round(float(wall_time_s), 1),
        "git_commit": _git_commit(),
        **extra,
    }


def _one_thread(fn: Callable[[], Any]) -> Any:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn()
    finally:
        torch.set_num_threads(threads)


def run(run_one: Callable[[dict], Mapping[str, Any]], configs: Iterable[Mapping[str, Any]],
        *, progress: bool = True) -> list[dict[str, Any]]:
    """``[{**config, **run_one(config)}, ...]`` with one torch thread (deterministic)."""
    configs = [dict(c) for c in configs]
    iterator: Iterable[dict] = configs
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(configs, desc="configurations")
    rows = []
    for config in iterator:
        result = _one_thread(lambda: run_one(dict(config)))
        clash = set(result) & set(config)
        if clash:
            raise ValueError(f"run_one returned keys that are also config keys: {sorted(clash)}")
        rows.append({**config, **result})
    return rows


def results_path(name: str) -> Path:
    """Where ``python -m utils.experiments NAME`` writes: ``utils/results/NAME.json``."""
    return Path(__file__).resolve().parents[1] / "results" / f"{name}.json"


def save(name: str, results: Mapping[str, Any], path: Path | None = None) -> Path:
    """Write ``results`` (``{"provenance", "rows"}``) as indented JSON; returns the path."""
    if set(results) != {"provenance", "rows"}:
        raise ValueError(f"results must have exactly 'provenance' and 'rows', got {sorted(results)}")
    path = Path(path) if path is not None else results_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, sort_keys=False, allow_nan=True) + "\n",
                    encoding="utf-8")
    return path


def load(name: str) -> dict[str, Any]:
    """The committed results of experiment ``name`` (from the installed package)."""
    resource = importlib.resources.files(RESULTS_PACKAGE).joinpath(f"{name}.json")
    if not resource.is_file():
        raise FileNotFoundError(f"no committed results for {name!r}: run "
                                f"`python -m utils.experiments {name}` and commit "
                                f"utils/results/{name}.json")
    return json.loads(resource.read_text(encoding="utf-8"))


def find(results: Mapping[str, Any], **config: Any) -> list[dict[str, Any]]:
    """The rows of ``results`` whose fields equal every given ``config`` value."""
    return [row for row in results["rows"] if all(row.get(k) == v for k, v in config.items())]


def _close(a: Any, b: Any, rtol: float, atol: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or a is None:
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= atol + rtol * abs(b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rtol, atol) for k in a)
    return a == b


def matches(fresh: Mapping[str, Any], committed: Mapping[str, Any], *,
            keys: Sequence[str] | None = None, rtol: float = 1e-6,
            atol: float = 1e-9) -> list[str]:
    """The fields (``keys``, default all of ``committed``) where ``fresh`` differs; [] if none.

    Fields measured in seconds are machine-dependent: leave them out of ``keys``.
    """
    keys = list(committed) if keys is None else list(keys)
    return [k for k in keys
            if k not in fresh or not _close(fresh[k], committed[k], rtol, atol)]


def rerun(name: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """Run again the configuration behind a committed ``row`` of experiment ``name``."""
    module = _module(name)
    config = next((c for c in module.CONFIGS if all(row.get(k) == v for k, v in c.items())),
                  None)
    if config is None:
        raise ValueError(f"the row {dict(row)} matches no configuration of {name}.CONFIGS")
    return run(module.run_one, [config], progress=False)[0]


def _reusable(rows: Sequence[Mapping[str, Any]], configs: Sequence[Mapping[str, Any]]
              ) -> dict[int, dict[str, Any]]:
    """``{i: row}`` for every ``configs[i]`` that a row of an earlier results file ran."""
    out = {}
    for i, config in enumerate(configs):
        row = next((r for r in rows if all(k in r and r[k] == v for k, v in config.items())
                    and set(config) <= set(r)), None)
        if row is not None:
            out[i] = dict(row)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m utils.experiments",
        description="Run a slow experiment's grid and write utils/results/NAME.json.")
    parser.add_argument("name", help="the experiment: a module utils/experiments/NAME.py")
    parser.add_argument("--quick", action="store_true",
                        help="run the module's QUICK slice only (smoke test; writes --out)")
    parser.add_argument("--out", type=Path, default=None,
                        help="write here instead of utils/results/NAME.json")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows of the existing results file whose configuration "
                             "is still in the grid and run only the missing ones (runs are "
                             "deterministic, so a kept row equals a re-run)")
    args = parser.parse_args(argv)
    try:
        module = _module(args.name)
    except ValueError as exc:
        parser.error(str(exc))
    configs = getattr(module, "QUICK", None) if args.quick else module.CONFIGS
    if not configs:
        parser.error(f"{args.name} defines no {'QUICK' if args.quick else 'CONFIGS'}")
    if args.quick and args.out is None:
        parser.error("--quick writes a partial grid: give --out so the committed file stays whole")
    command = "python -m utils.experiments " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]))
    old: dict[int, dict[str, Any]] = {}
    reused = None
    target = args.out if args.out is not None else results_path(args.name)
    if args.resume and Path(target).is_file():
        previous = json.loads(Path(target).read_text(encoding="utf-8"))
        old = _reusable(previous["rows"], configs)
        prov = previous.get("provenance", {})
        reused = {"rows": len(old), "from_git_commit": prov.get("git_commit"),
                  "from_date": prov.get("date")}
        if prov.get("reused"):  # that file reused rows too: keep the chain
            reused["earlier"] = prov["reused"]
    missing = [c for i, c in enumerate(configs) if i not in old]
    start = time.perf_counter()
    fresh = iter(run(module.run_one, missing, progress=not args.no_progress))
    rows = [old[i] if i in old else next(fresh) for i in range(len(configs))]
    results = {"provenance": provenance(args.name, configs, command=command,
                                        wall_time_s=time.perf_counter() - start,
                                        reused=reused),
               "rows": rows}
    path = save(args.name, results, args.out)
    print(f"{len(rows)} configurations in {results['provenance']['wall_time_s']} s -> {path}")
    return 0
