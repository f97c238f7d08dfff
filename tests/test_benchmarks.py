"""Smoke test for benchmarks/cells.py: it runs and prints what it promises (not how fast)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "cells.py"
EXPECTED = ["numpy_gru_forward_vs_torch", "torch_cells_gru_train_step_vs_torch"]
RATIO_LINE = re.compile(r"^(?P<name>[a-z0-9_]+) ratio (?P<ratio>\d+\.\d{2})$")


def test_cells_benchmark_quick_output_parses():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True, text=True, timeout=300, cwd=SCRIPT.parents[1],
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\n{proc.stderr}"
    lines = proc.stdout.splitlines()
    context = [line for line in lines if line.startswith("# ")]
    ratios = [RATIO_LINE.match(line) for line in lines if not line.startswith("#")]
    assert all(ratios), f"lines that are neither '# ...' nor 'NAME ratio X.XX': {lines}"
    names = [m["name"] for m in ratios]
    assert names == EXPECTED, f"expected ratio lines for {EXPECTED}, got {names}"
    text = "\n".join(context)
    for needle in ("torch ", "threads", "CPU", "(quick)"):
        assert needle in text, f"context lines lack {needle!r}:\n{text}"
    for name in EXPECTED:
        assert re.search(rf"# {name}: own \d+\.\d+ ms, reference \d+\.\d+ ms", text), (
            f"no absolute medians for {name}:\n{text}"
        )


def test_cells_benchmark_rejects_bad_arguments():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--repeats", "0"],
        capture_output=True, text=True, timeout=60, cwd=SCRIPT.parents[1],
    )
    assert proc.returncode == 2 and "--repeats must be >= 1, got 0" in proc.stderr
