"""Reading never dirties the clone (issue 19).

In a temporary git repository holding the Makefile, ``.gitattributes`` and a chapter, the
chapter is executed by nbclient (as JupyterLab's "Run All", demos live) and saved over itself:

* as ``make lab`` saves it: through Jupyter Server's contents manager with the pre-save hook
  ``make lab`` passes (``utils.lab_save``): the file stays the committed one, ``git status``
  is clean;
* as any other Jupyter saves it (outputs in the file), with ``make setup``'s git filter
  (``make git-filter``, nbstripout): ``git diff`` shows nothing and ``git add`` stages
  nothing, so outputs never reach a commit; without the filter the same save is a change.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from test_install import tracked_files

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "chapters/ch4_gru_vs_lstm.ipynb"  # the quickest chapter to run

pytestmark = pytest.mark.slow


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"git {args}: {proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def executed_chapter() -> nbformat.NotebookNode:
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / CHAPTER, as_version=4)
    mp = pytest.MonkeyPatch()
    mp.setenv("GRU_DEMO_MODE", "live")  # as in JupyterLab
    try:
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()
    finally:
        mp.undo()
    assert sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code") > 10
    assert nb.metadata.get("language_info", {}).get("version"), nb.metadata
    return nb


def _clone(tmp_path: Path, with_filter: bool) -> Path:
    files = tracked_files()
    if files is None or shutil.which("make") is None:
        pytest.skip("needs a git checkout and make")
    repo = tmp_path / "clone"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "test@example.invalid")
    _git(repo, "config", "user.name", "test")
    for rel in ("Makefile", ".gitattributes", ".gitignore", CHAPTER):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    if with_filter:
        proc = subprocess.run(["make", "--no-print-directory", "git-filter",
                               f"VENV={Path(sys.prefix)}"], cwd=repo, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0 and "nbstripout" in proc.stdout, proc.stdout + proc.stderr
        assert "nbstripout" in _git(repo, "config", "filter.nbstripout.clean")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "course")
    assert _git(repo, "status", "--porcelain") == ""
    return repo


def _lab_hook() -> str:
    """The pre-save hook ``make lab`` passes to Jupyter Server."""
    proc = subprocess.run(["make", "-n", "--no-print-directory", "lab", f"VENV={sys.prefix}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    [flag] = [a for a in proc.stdout.split() if a.startswith("--ContentsManager.pre_save_hook=")]
    return flag.split("=", 1)[1]


def test_saving_in_make_lab_leaves_git_status_clean(executed_chapter, tmp_path):
    from jupyter_server.services.contents.filemanager import FileContentsManager

    repo = _clone(tmp_path, with_filter=False)
    manager = FileContentsManager(root_dir=str(repo), pre_save_hook=_lab_hook())
    model = {"type": "notebook", "format": "json",
             "content": nbformat.from_dict(json.loads(nbformat.writes(executed_chapter)))}
    manager.save(model, CHAPTER)
    assert (repo / CHAPTER).read_bytes() == (ROOT / CHAPTER).read_bytes()
    assert _git(repo, "status", "--porcelain") == ""
    # an exercise notebook keeps what the learner saved (the hook touches chapters only)
    exercise = copy.deepcopy(executed_chapter)
    (repo / "exercises").mkdir()
    manager.save({"type": "notebook", "format": "json", "content": exercise},
                 "exercises/x.ipynb")
    assert '"output_type"' in (repo / "exercises" / "x.ipynb").read_text(encoding="utf-8")


def test_outputs_saved_elsewhere_never_reach_git(executed_chapter, tmp_path):
    repo = _clone(tmp_path, with_filter=True)
    nbformat.write(executed_chapter, repo / CHAPTER)
    assert '"output_type"' in (repo / CHAPTER).read_text(encoding="utf-8")
    assert _git(repo, "diff") == ""
    _git(repo, "add", "-A")
    assert _git(repo, "status", "--porcelain") == "", _git(repo, "diff", "--cached")[:3000]


def test_without_the_filter_the_same_save_is_a_change(executed_chapter, tmp_path):
    repo = _clone(tmp_path, with_filter=False)
    nbformat.write(executed_chapter, repo / CHAPTER)
    assert CHAPTER in _git(repo, "status", "--porcelain")
