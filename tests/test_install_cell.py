"""A notebook opened where the course is not installed, and cannot be, stops at its first
cell with one message saying what to install (issue 19: no ``ModuleNotFoundError`` three
cells later).

The environment: a fresh virtual environment that sees this environment's third-party
packages (as in ``tests/test_install.py``: a ``.pth`` file) but not the course, no network
for pip (``PIP_NO_INDEX``), a chapter copied alone into an empty folder. Run as "Run All"
runs it (nbclient, stop at the first error), twice: with no course wheel at hand, and with a
broken one next to the notebook, whose install fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from test_install import _env, share_site_packages
from utils.grading.exercises import NOT_INSTALLED
from utils.site_config import wheel_name

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "ch4_gru_vs_lstm.ipynb"
KERNEL = "gru-course-missing"

pytestmark = pytest.mark.slow

RUNNER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import nbclient, nbformat
    from nbclient.exceptions import CellExecutionError

    path = Path(sys.argv[1])
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, startup_timeout=180,
                                     kernel_name=%(kernel)r, allow_errors=False,
                                     resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError:
        pass
    code = [c for c in nb.cells if c.cell_type == "code"]
    print(json.dumps({
        "ran": [i for i, c in enumerate(code) if c.get("execution_count") is not None],
        "errors": [{"cell": i, "ename": o["ename"], "evalue": o["evalue"]}
                   for i, c in enumerate(code) for o in c.get("outputs", [])
                   if o.get("output_type") == "error"],
        "streams": "".join(o.get("text", "") for c in code for o in c.get("outputs", [])
                           if o.get("output_type") == "stream"),
    }))
""") % {"kernel": KERNEL}


@pytest.fixture(scope="module")
def bare_env(tmp_path_factory) -> Path:
    """A fresh environment with a Jupyter kernel and without the course."""
    import sys

    env_dir = tmp_path_factory.mktemp("bare") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True,
                   timeout=120)
    python = env_dir / "bin" / "python"
    share_site_packages(python)
    subprocess.run([str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL,
                    "--display-name", "no course"], check=True, capture_output=True, timeout=120)
    probe = subprocess.run([str(python), "-c", "import utils.report"], capture_output=True,
                           text=True, cwd=env_dir, env=_env(env_dir))
    assert probe.returncode != 0, "the course is importable in the bare environment"
    return env_dir


def _run(env_dir: Path, folder: Path) -> dict:
    nb = folder / CHAPTER.name
    shutil.copy2(CHAPTER, nb)
    runner = folder.parent / f"{folder.name}-runner.py"
    runner.write_text(RUNNER)
    env = dict(_env(env_dir), PIP_NO_INDEX="1", PIP_CONFIG_FILE="/dev/null",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("GRU_DEMO_MODE", None)
    proc = subprocess.run([str(env_dir / "bin" / "python"), str(runner), str(nb)], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _assert_stops_at_install_cell(result: dict) -> None:
    assert result["ran"] == [0], f"ran code cells {result['ran']}, expected only the first"
    [error] = result["errors"]
    assert error["cell"] == 0 and error["ename"] == "RuntimeError", error
    assert NOT_INSTALLED in error["evalue"] and wheel_name() in error["evalue"], error
    assert "pip install" in error["evalue"], error


def test_without_a_wheel_the_first_cell_says_what_to_install(bare_env, tmp_path):
    folder = tmp_path / "nowheel"
    folder.mkdir()
    _assert_stops_at_install_cell(_run(bare_env, folder))


def test_when_the_install_fails_the_first_cell_says_what_to_install(bare_env, tmp_path):
    folder = tmp_path / "brokenwheel"
    folder.mkdir()
    (folder / wheel_name()).write_bytes(b"not a zip file")  # pip fails on it
    result = _run(bare_env, folder)
    _assert_stops_at_install_cell(result)
    assert "ERROR" in result["streams"] or "error" in result["streams"].lower(), (
        "pip was not run on the wheel next to the notebook: " + result["streams"][-500:])
