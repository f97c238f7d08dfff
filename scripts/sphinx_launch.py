"""Sphinx extension: the book's repository and launch buttons follow one setting.

Loaded from ``_config.yml`` (``sphinx: local_extensions``). ``repository.url`` there is the
course's one repository setting (:mod:`utils.site_config`). While it is empty, no button
that needs it is shown: the repository and issues buttons are off, and the launch buttons
(Binder, Colab, JupyterHub) are dropped, since each of them opens the notebook from the
repository. Once it is set, the repository and issues buttons are on, and each launch
service whose URL is set in ``launch_buttons`` gets its button (Jupyter Book's own).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config


def _follow_repository_url(app: Sphinx, config: Config) -> None:
    options = dict(config.html_theme_options or {})
    url = str(options.get("repository_url") or "").strip()
    options["use_repository_button"] = options["use_issues_button"] = bool(url)
    if not url:
        options["launch_buttons"] = {}
    config.html_theme_options = options


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _follow_repository_url, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
