"""A chapter reads once in real JupyterLab (issue 19): no raw MyST markup, and each sentence
the code writes (``md(...)``) shown once, not once as source and once as output.

JupyterLab is started as ``make lab`` starts it (tests/test_lab.py), on a copy of
``chapters/`` in a temporary folder (nothing is saved into the repository; autosave off), with
every cell attached to the page (``windowingMode: none``) and the app exposed to the page so
that the test can run "Run All". Headless Chromium (Debian's, as tests/test_browser.py)
opens

* every chapter, before running it: its visible text holds no MyST role, ``(label)=`` target
  or directive, and no ``md(`` source;
* every chapter after Run All: still no raw markup, its prose outputs rendered, and each of
  those sentences appears once in the page.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_browser import require_chromium
from test_lab import _free_port, lab_command, stop_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("GRU_CHROMIUM", "/usr/bin/chromium"))
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
RAW_MYST = re.compile(r"\{(?:doc|ref|numref|eq|download|dropdown|glue|eval)\}|^\([\w.-]+\)=\s*$|"
                      r":::\s*\{|```\s*\{", re.M)

pytestmark = pytest.mark.slow

require_chromium(CHROMIUM)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[str]:
    """JupyterLab on a copy of chapters/; yields its base URL (token in the query)."""
    cmd = [a for a in lab_command() if not a.startswith("--ServerApp.root_dir=")]
    if not Path(cmd[0]).exists():
        pytest.skip(f"{cmd[0]} is not installed")
    tmp = tmp_path_factory.mktemp("lab")
    work = tmp / "work"
    shutil.copytree(ROOT / "chapters", work / "chapters",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = tmp / "settings"
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                       "checkForUpdates": False},
    }.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    cmd += [f"--ServerApp.root_dir={work}", "--no-browser", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True"]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_DATA_DIR=str(tmp / "data"),
               JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"))
    env.pop("GRU_DEMO_MODE", None)  # live demos, as a reader gets them
    log = (tmp / "lab.log").open("w")
    server = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=10)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start:\n" + (tmp / "lab.log").read_text()[-3000:])
        yield f"{base}|{token}"
    finally:
        stop_server(server, log)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from test_browser import CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, lab: str, name: str):
    base, token = lab.split("|")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/lab/tree/chapters/{name}?token={token}&reset", timeout=120_000)
    page.wait_for_selector(".jp-NotebookPanel .jp-MarkdownCell .jp-RenderedMarkdown",
                           timeout=120_000)
    page.wait_for_timeout(1500)  # the remaining cells render
    return page


def _notebook_text(page) -> str:
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook").inner_text(timeout=60_000)


def _check_no_raw_markup(text: str, name: str) -> None:
    raw = RAW_MYST.findall(text)
    assert not raw, f"{name} shows raw MyST markup in JupyterLab: {raw[:10]}"
    assert "md(f\"\"\"" not in text and "md(\"" not in text, (
        f"{name} shows the source of a prose cell in JupyterLab")


@pytest.mark.parametrize("name", [p.name for p in CHAPTERS])
def test_chapter_reads_without_raw_markup_before_running(lab, browser, name):
    page = _open(browser, lab, name)
    try:
        text = _notebook_text(page)
        assert len(text) > 2000, text[:500]
        _check_no_raw_markup(text, name)
        # the prose cells' input is collapsed: Lab shows a placeholder instead of the code
        assert page.locator(".jp-CodeCell .jp-InputPlaceholder").count() > 0
    finally:
        page.close()


def _plain_fragment(paragraph: str) -> str | None:
    """The longest run of plain words (no math, no digits) in ``paragraph``: 30+ characters
    that identify it, as the page's text shows them."""
    runs = re.findall(r"[A-Za-z][A-Za-z ,;'’()-]{29,}", paragraph)
    return max(runs, key=len).strip() if runs else None


def _prose_cells(path: Path) -> int:
    """How many code cells of the chapter write prose (``md(...)``, input removed)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(1 for c in nb["cells"] if c["cell_type"] == "code"
               and "remove-input" in c.get("metadata", {}).get("tags", [])
               and "md(" in "".join(c["source"]))


@pytest.mark.parametrize("name", [p.name for p in CHAPTERS])
def test_chapter_after_run_all_shows_each_sentence_once(lab, browser, name):
    expected = _prose_cells(ROOT / "chapters" / name)
    assert expected >= 3, f"{name}: {expected} prose cells"
    page = _open(browser, lab, name)
    try:
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            page.wait_for_timeout(3000)
            # a cell whose input is hidden shows no prompt: only the visible ones are read
            prompts = [p.strip() for p in
                       page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]
            idle = page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext"
                                 ".session?.kernel?.status === 'idle'")
            if idle and any(re.fullmatch(r"\[\d+\]:", p) for p in prompts) \
                    and not any("*" in p or p == "[ ]:" for p in prompts):
                break
        else:
            pytest.fail(f"Run All did not finish: prompts {prompts[:20]}")
        errors = page.locator("[data-mime-type='application/vnd.jupyter.error']")
        assert not errors.count(), errors.all_inner_texts()[:3]
        page.wait_for_timeout(2000)  # MathJax typesets the outputs
        text = _notebook_text(page)
        _check_no_raw_markup(text, name)
        outputs = page.locator(".jp-OutputArea-output.jp-RenderedMarkdown, "
                               ".jp-OutputArea-output .jp-RenderedMarkdown").all_inner_texts()
        assert len(outputs) >= expected, (f"only {len(outputs)} of {expected} prose outputs "
                                          f"rendered; prompts "
                                    f"{prompts}; text {text[-1500:]!r}")
        counted = 0
        shown = "\n".join(outputs)
        for paragraph in shown.split("\n"):
            fragment = _plain_fragment(paragraph)
            # a phrase the prose itself repeats ("PyTorch's default initialisation") or that a
            # Markdown cell shares says nothing about the source being shown: only a long run
            # of plain words, written once by the outputs, identifies its sentence
            if fragment is None or len(fragment) < 45 or shown.count(fragment) != 1:
                continue
            counted += 1
            assert text.count(fragment) == 1, (
                f"shown {text.count(fragment)} times in JupyterLab: {fragment!r}")
        assert counted >= min(expected, 5), (counted, expected)
    finally:
        page.close()
