"""Copy the browser assets the site needs from ``node_modules`` into ``_build/vendor/``.

The book is served with zero requests outside its own host, so MathJax, RequireJS and the
Jupyter widget runtime come from the npm registry (``npm ci`` against ``package-lock.json``)
and are copied here; ``_config.yml`` lists ``_build/vendor`` in ``html_static_path`` so Sphinx
publishes its contents in ``_build/html/_static/``. It lives under ``_build/``: generated,
git-ignored, removed by ``make clean``.

Layout produced (relative to ``_build/vendor/``)::

    mathjax/            MathJax 3 ``es5/`` tree: tex-chtml.js, CHTML woff-v2 fonts, extensions
    require.js          RequireJS, the AMD loader embed-amd.js needs
    html-manager/       @jupyter-widgets/html-manager dist/embed-amd.js and its icon fonts,
                        plus scripts/assets/widgets-setup.js

Usage: ``python scripts/vendor_assets.py [--node-modules DIR] [--dest DIR]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "assets"

# (package, version prefix the book was tested with)
EXPECTED = {
    "mathjax": "3.",
    "requirejs": "2.",
    "@jupyter-widgets/html-manager": "1.0.",
}
# html-manager ships source maps and non-AMD bundles we do not serve.
HTML_MANAGER_SKIP = {".map", ".txt"}
HTML_MANAGER_SKIP_NAMES = {"embed.js", "libembed-amd.js"}


def _check_version(node_modules: Path, package: str, prefix: str) -> None:
    """Fail with expected vs actual if ``package`` is missing or has the wrong major."""
    manifest = node_modules / package / "package.json"
    if not manifest.is_file():
        raise SystemExit(
            f"vendor_assets: expected {manifest} (run `npm ci` first), found nothing"
        )
    version = json.loads(manifest.read_text())["version"]
    if not version.startswith(prefix):
        raise SystemExit(
            f"vendor_assets: expected {package} {prefix}x, got {version}"
        )


def vendor(node_modules: Path, dest: Path) -> list[Path]:
    """Rebuild ``dest`` from ``node_modules``; return the top-level paths written."""
    for package, prefix in EXPECTED.items():
        _check_version(node_modules, package, prefix)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    shutil.copytree(node_modules / "mathjax" / "es5", tmp / "mathjax")
    shutil.copy2(node_modules / "requirejs" / "require.js", tmp / "require.js")

    manager_dist = node_modules / "@jupyter-widgets" / "html-manager" / "dist"
    (tmp / "html-manager").mkdir()
    for path in sorted(manager_dist.iterdir()):
        if path.suffix in HTML_MANAGER_SKIP or path.name in HTML_MANAGER_SKIP_NAMES:
            continue
        shutil.copy2(path, tmp / "html-manager" / path.name)
    # Our glue between RequireJS, embed-amd.js and MathJax 3 (see the file's header).
    shutil.copy2(ASSETS / "widgets-setup.js", tmp / "html-manager" / "widgets-setup.js")

    # Swap in one step so a failed copy never leaves a half-filled vendor folder behind.
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return sorted(dest.iterdir())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    parser.add_argument("--dest", type=Path, default=ROOT / "_build" / "vendor")
    args = parser.parse_args(argv)
    written = vendor(args.node_modules, args.dest)
    size = sum(f.stat().st_size for f in args.dest.rglob("*") if f.is_file())
    print(f"vendored {', '.join(p.name for p in written)} into {args.dest} "
          f"({size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
