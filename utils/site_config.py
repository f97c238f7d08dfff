"""Where the course is published: the one setting everything that links to it derives from.

The setting is ``repository.url`` in the book's ``_config.yml`` (with ``repository.branch``),
empty until the course has a public repository. From it come

* the install line of the README, the landing page and every notebook's install cell
  (:func:`utils.grading.exercises.install_cell`, :mod:`scripts.notebooks`);
* the launch buttons: the book's own (Binder, Colab, JupyterHub; ``scripts/sphinx_launch.py``
  turns them off while the URL is empty) and the links on the exercise pages
  (:func:`launch_links`).

While it is empty, nothing links to a repository: the course is installed from the wheel the
site serves (:func:`wheel_name`, built by ``make book``). Generators run in a clone, so this
module reads the files of the repository root; the installed package has no ``_config.yml``
and then reports the setting as unset.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import yaml

__all__ = ["ROOT", "config", "repository_url", "repository_branch", "github_repo",
           "launch_links", "version", "wheel_name"]

ROOT = Path(__file__).resolve().parents[1]


def config(root: Path = ROOT) -> dict:
    """The book's ``_config.yml`` (empty outside a clone)."""
    path = root / "_config.yml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def repository_url(root: Path = ROOT) -> str:
    """``repository.url`` without a trailing slash; ``""`` while it is unset."""
    url = (config(root).get("repository") or {}).get("url") or ""
    return str(url).strip().rstrip("/")


def repository_branch(root: Path = ROOT) -> str:
    return str((config(root).get("repository") or {}).get("branch") or "main")


def github_repo(url: str) -> tuple[str, str] | None:
    """``(owner, name)`` of a ``https://github.com/owner/name`` URL, else ``None``."""
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", url)
    return (m.group(1), m.group(2)) if m else None


def launch_links(path_in_repo: str, root: Path = ROOT) -> dict[str, str]:
    """Links that open ``path_in_repo`` (a notebook) live, by service name, in the order
    Binder, Colab, JupyterHub; only those that can work: none while the repository URL is
    unset, Binder and Colab only for a GitHub repository, JupyterHub only when
    ``launch_buttons.jupyterhub_url`` is set."""
    url = repository_url(root)
    if not url:
        return {}
    branch = repository_branch(root)
    buttons = config(root).get("launch_buttons") or {}
    links: dict[str, str] = {}
    gh = github_repo(url)
    binder = (buttons.get("binderhub_url") or "").rstrip("/")
    if gh and binder:
        links["Binder"] = (f"{binder}/v2/gh/{gh[0]}/{gh[1]}/{branch}"
                           f"?urlpath=lab/tree/{quote(path_in_repo)}")
    colab = (buttons.get("colab_url") or "").rstrip("/")
    if gh and colab:
        links["Colab"] = f"{colab}/github/{gh[0]}/{gh[1]}/blob/{branch}/{quote(path_in_repo)}"
    hub = (buttons.get("jupyterhub_url") or "").rstrip("/")
    if hub:
        name = url.rsplit("/", 1)[-1]
        links["JupyterHub"] = (f"{hub}/hub/user-redirect/git-pull?repo={quote(url, safe='')}"
                               f"&branch={branch}&urlpath=lab/tree/{name}/{quote(path_in_repo)}")
    return links


def version(root: Path = ROOT) -> str:
    """The package version (``pyproject.toml``; the installed metadata outside a clone)."""
    path = root / "pyproject.toml"
    if path.is_file():
        m = re.search(r'^version\s*=\s*"([^"]+)"', path.read_text(encoding="utf-8"), re.M)
        if m is None:
            raise ValueError(f"{path} has no `version = \"...\"` line")
        return m.group(1)
    from importlib.metadata import version as installed

    return installed("gru-course")


def wheel_name(root: Path = ROOT) -> str:
    """The file name of the course wheel ``make book`` builds and the site serves."""
    return f"gru_course-{version(root)}-py3-none-any.whl"
