"""Sphinx extension: keep every page of the book free of requests to other hosts.

Loaded from ``_config.yml`` (``sphinx: local_extensions``). On each HTML page it

1. drops sphinx-thebe's assets when the thebe launch button is off (``launch_buttons.thebe:
   false``). Jupyter Book always loads sphinx-thebe, which writes an inline
   ``const THEBE_JS_URL = "https://unpkg.com/..."`` twice per page (a JavaScript
   redeclaration error) and ``sphinx-thebe.js``, neither of which does anything without the
   button;
2. warns (an error under ``-W``) if any remaining ``<script src>`` or stylesheet points to
   another host, so a new extension or option that adds a CDN asset fails the build instead
   of silently breaking the offline site.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

THEBE_MARKERS = ("THEBE_JS_URL", "sphinx-thebe")


def _filename(asset: Any) -> str:
    return str(getattr(asset, "filename", asset) or "")


def _is_thebe(asset: Any) -> bool:
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return any(marker in _filename(asset) or marker in body for marker in THEBE_MARKERS)


def _thebe_enabled(app: Sphinx) -> bool:
    options = app.config.html_theme_options or {}
    return bool(options.get("launch_buttons", {}).get("thebe", False))


def clean_page_assets(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Filter ``context['script_files']``/``['css_files']`` in place for one page."""
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if assets is None:
            continue
        if not _thebe_enabled(app):
            # In place: Sphinx restores the site-wide list after each page from its backup.
            assets[:] = [asset for asset in assets if not _is_thebe(asset)]
        for asset in assets:
            if "://" in _filename(asset) or _filename(asset).startswith("//"):
                logger.warning(
                    f"[offline] {pagename}: {key} entry {_filename(asset)!r} is loaded from "
                    "another host; expected a path under _static/ (vendor it)",
                    type="offline",
                )


def setup(app: Sphinx) -> dict[str, Any]:
    # After myst-nb (priority 500) has added the per-page widget scripts.
    app.connect("html-page-context", clean_page_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
