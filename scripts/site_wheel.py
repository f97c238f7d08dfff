"""Build the course wheel the site serves: ``python scripts/site_wheel.py OUT_DIR``.

``make book`` runs it before the build; the landing page and the exercise pages link the file
(``utils.site_config.wheel_name``), which a learner without a clone installs with
``pip install gru_course-<version>-py3-none-any.whl`` (or puts next to a notebook, whose
install cell then installs it). The wheel is built from a copy of the git-tracked files, so
that nothing untracked in the work tree slips in and the build leaves nothing behind.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.site_config import wheel_name  # noqa: E402


def source_files(root: Path = ROOT) -> list[str]:
    """The tracked files (``git ls-files``), or outside a git checkout pyproject.toml,
    README.md and utils/ without caches."""
    proc = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True) \
        if shutil.which("git") else None
    if proc is not None and proc.returncode == 0:
        return [f for f in proc.stdout.splitlines() if f and (root / f).is_file()]
    return ["pyproject.toml", "README.md",
            *(str(p.relative_to(root)) for p in (root / "utils").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")]


def build(out_dir: Path, root: Path = ROOT) -> Path:
    """``pip wheel --no-deps`` of the tracked files into ``out_dir`` (older course wheels
    there are removed); returns the wheel."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("gru_course-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        for rel in source_files(root):
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, src / rel)
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-q",
               "--no-build-isolation", "-w", str(out_dir), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"building the wheel failed:\n{proc.stdout}\n{proc.stderr}")
    wheel = out_dir / wheel_name(root)
    if not wheel.is_file():
        raise RuntimeError(f"expected {wheel}, found {sorted(out_dir.iterdir())}")
    return wheel


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(f"wrote {build(Path(sys.argv[1]).resolve())}")
