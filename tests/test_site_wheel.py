"""The built site serves the course wheel (issue 19): ``make book`` builds it
(``scripts/site_wheel.py``) and the landing page and every exercise page link it, so that a
learner without a clone can install the course. ``tests/test_install.py`` installs this very
file (when ``GRU_BOOK_HTML`` names the built site) and runs every notebook from it.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from utils.site_config import wheel_name

ROOT = Path(__file__).resolve().parents[1]


def site_html() -> Path | None:
    """The built site ``make test`` points at (``GRU_BOOK_HTML``), if any."""
    html = os.environ.get("GRU_BOOK_HTML")
    return Path(html) if html and (Path(html) / "index.html").is_file() else None


def site_wheel() -> Path | None:
    """The course wheel inside the built site (``_downloads/<hash>/``), if there is one."""
    html = site_html()
    if html is None:
        return None
    found = sorted((html / "_downloads").glob(f"*/{wheel_name()}"))
    return found[0] if found else None


@pytest.fixture(scope="module")
def html() -> Path:
    html = site_html() or ROOT / "_build" / "html"
    if not (html / "index.html").is_file():
        pytest.skip("no built site (make book)")
    return html


def test_site_serves_the_wheel_and_links_it(html):
    found = sorted((html / "_downloads").glob(f"*/{wheel_name()}"))
    assert len(found) == 1, found
    wheel = found[0]
    names = zipfile.ZipFile(wheel).namelist()
    assert "utils/report.py" in names and "utils/checks/__init__.py" in names
    link = wheel.relative_to(html).as_posix()
    assert link in (html / "intro.html").read_text(encoding="utf-8")  # the landing page
    for page in sorted((html / "exercises").glob("ch?.html")):
        assert f"../{link}" in page.read_text(encoding="utf-8"), page.name


def test_no_launch_button_while_the_repository_url_is_unset(html):
    from utils.site_config import repository_url

    if repository_url():
        pytest.skip("the repository URL is set")
    for page in [html / "intro.html", *sorted((html / "chapters").glob("*.html"))]:
        text = page.read_text(encoding="utf-8")
        for service in ("mybinder.org", "colab.research.google.com", "launch-buttons",
                        "repository-button"):
            assert service not in text, (page.name, service)
