"""The built book, as the tests see it: where it is, which pages it has, how to serve it.

``book_html()`` returns ``_build/html``. Under ``make test`` the book has just been built and
``GRU_BOOK_HTML`` names it; run on their own (``pytest tests/test_book.py``) the tests build
it once per session with ``make book`` (which also installs the npm assets).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML_ENV_VAR = "GRU_BOOK_HTML"
TOC_ENV_VAR = "GRU_BOOK_TOC"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
# A notebook whose code mentions one of these is expected to display widgets.
DEMO_MARKERS = ("ipywidgets", "utils.demos", "utils.widgets", "from utils import demos")


class BookBuildError(RuntimeError):
    """``make book`` failed; the message carries the end of its output."""


@functools.cache
def book_html() -> Path:
    """The built site's folder, building it (once per process) if nobody has."""
    given = os.environ.get(HTML_ENV_VAR)
    if given:
        html = Path(given)
        if not (html / "index.html").is_file():
            raise BookBuildError(
                f"{HTML_ENV_VAR}={given}: expected a built book with index.html, found none"
            )
        return html
    proc = subprocess.run(
        ["make", "book"], cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        raise BookBuildError(f"`make book` exited with {proc.returncode}:\n{tail}")
    return ROOT / "_build" / "html"


def toc_docnames(toc: Path | None = None) -> list[str]:
    """Every document in the table of contents, root first, in reading order.

    The toc is ``_toc.yml`` unless ``GRU_BOOK_TOC`` names another (for a book built with
    ``jupyter-book build --toc``).
    """
    toc = toc or Path(os.environ.get(TOC_ENV_VAR, ROOT / "_toc.yml"))
    data = yaml.safe_load(toc.read_text())
    names = [data["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            for key in ("chapters", "sections"):
                walk(entry.get(key, []))

    walk(data.get("parts", []))
    walk(data.get("chapters", []))
    walk(data.get("sections", []))
    return [re.sub(r"\.(md|ipynb)$", "", name) for name in names]


def source_of(docname: str) -> Path | None:
    """The source file of a docname (``.ipynb`` or ``.md``), or None if there is none."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{docname}{suffix}"
        if path.is_file():
            return path
    return None


def expects_demo(docname: str) -> bool:
    """True if the page's notebook code creates widgets (see ``DEMO_MARKERS``)."""
    source = source_of(docname)
    if source is None or source.suffix != ".ipynb":
        return False
    cells = json.loads(source.read_text())["cells"]
    code = "\n".join(
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells
        if c["cell_type"] == "code"
    )
    return any(marker in code for marker in DEMO_MARKERS)


@dataclass
class Tag:
    name: str
    attrs: dict[str, str]
    text: str = ""  # body of <script>/<style>


class PageParser(HTMLParser):
    """Collects every start tag with its attributes, and the bodies of script/style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []
        self._open: Tag | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        item = Tag(tag, {k: v or "" for k, v in attrs})
        self.tags.append(item)
        if tag in ("script", "style"):
            self._open = item

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._open = None


def parse_page(path: Path) -> list[Tag]:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def widget_state(tags: list[Tag]) -> dict:
    """The page's embedded widget state (``{"state": {model_id: ...}, ...}``), or {}."""
    blocks = [t for t in tags if t.name == "script" and t.attrs.get("type") == WIDGET_STATE_MIME]
    if len(blocks) > 1:
        raise AssertionError(f"expected at most 1 widget-state script, got {len(blocks)}")
    return json.loads(blocks[0].text) if blocks else {}


def widget_views(tags: list[Tag]) -> list[dict]:
    """The top-level widget views displayed in cell outputs (one per displayed widget)."""
    return [
        json.loads(t.text)
        for t in tags
        if t.name == "script" and t.attrs.get("type") == WIDGET_VIEW_MIME
    ]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) from a thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
