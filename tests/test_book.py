"""The built book (``_build/html``): every page, embedded widget state, no off-site assets.

Under ``make test`` these tests check the build ``make test`` just made (``GRU_BOOK_HTML``);
run alone they build the book first (``make book``, a few minutes from a clean clone).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from browser.site import (
    ROOT,
    Tag,
    book_html,
    expects_demo,
    parse_page,
    source_of,
    toc_docnames,
    widget_state,
    widget_views,
)

DOCNAMES = toc_docnames()
CHAPTERS = [d for d in DOCNAMES if d.startswith("chapters/")]
NOTEBOOK_PAGES = [d for d in DOCNAMES if (s := source_of(d)) is not None and s.suffix == ".ipynb"]
PAGE_BUDGET = 2_000_000  # bytes (the issue's 2 MB): a chapter page's HTML, frames, images
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
CSS_URL = re.compile(r"""url\(\s*['"]?\s*((?:https?:)?//[^'")\s]+)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+['"]((?:https?:)?//[^'"]+)""", re.I)
JS_URL = re.compile(r"""https?://[^\s'"`)<>]+""")
# Widget-state JSON may hold HTML (an HTML widget's value): an image or style in it loads;
# a link (<a href>) in it does not.
STATE_ASSET = re.compile(
    r"""(?:src|srcset)=\\?["']((?:https?:)?//[^"'\\]+)"""
    r"""|url\(\s*\\?["']?((?:https?:)?//[^"')\\]+)""",
    re.I,
)


@pytest.fixture(scope="module")
def html() -> Path:
    return book_html()


def page_path(html: Path, docname: str) -> Path:
    return html / f"{docname}.html"


def test_toc_lists_six_chapters_and_the_exercises() -> None:
    expected = [
        "chapters/ch1_why_grus",
        "chapters/ch2_two_gates",
        "chapters/ch3_interpolation",
        "chapters/ch4_gru_vs_lstm",
        "chapters/ch5_variants",
        "chapters/ch6_real_data",
    ]
    assert CHAPTERS[:6] == expected, f"expected chapters {expected}, got {CHAPTERS}"
    assert any(d.startswith("exercises/") for d in DOCNAMES), (
        f"expected an exercises/ page in _toc.yml, got {DOCNAMES}"
    )


@pytest.mark.parametrize("docname", DOCNAMES)
def test_every_toc_page_is_built(html: Path, docname: str) -> None:
    assert source_of(docname) is not None, f"_toc.yml lists {docname!r}: no .md/.ipynb for it"
    page = page_path(html, docname)
    assert page.is_file(), f"expected {page.relative_to(html.parent)}, not built"
    text = page.read_text(encoding="utf-8")
    assert "<h1" in text, f"{docname}: expected a page title (<h1>), found none"


def test_index_redirects_to_the_landing_page(html: Path) -> None:
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "intro.html" in index, "expected index.html to redirect to intro.html"


def test_build_config_is_offline_and_strict() -> None:
    """The settings the rest of this file relies on, read back from _config.yml."""
    execute = CONFIG["execute"]
    assert execute["execute_notebooks"] == "cache", (
        f"expected execute_notebooks: cache, got {execute['execute_notebooks']!r}"
    )
    assert execute["stderr_output"] in ("warn", "error", "severe"), (
        f"expected stderr_output to fail the -W build (warn), got {execute['stderr_output']!r}"
    )
    assert CONFIG["only_build_toc_files"] is True
    sphinx = CONFIG["sphinx"]["config"]
    assert not EXTERNAL.match(sphinx["mathjax_path"]), sphinx["mathjax_path"]
    for url in sphinx["nb_ipywidgets_js"]:
        assert not EXTERNAL.match(url), f"nb_ipywidgets_js: expected a local path, got {url}"
    assert CONFIG["launch_buttons"]["thebe"] is False, "thebe would load its kernel from unpkg"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_no_asset_is_loaded_from_another_host(html: Path, docname: str) -> None:
    """Only ``<a href>`` (a link the reader clicks) may point to another host."""
    page = page_path(html, docname)
    offenders: list[str] = []
    for tag in parse_page(page):
        offenders += _external_assets(tag)
    assert not offenders, f"{docname}: expected only local assets, found:\n" + "\n".join(
        offenders
    )


def _external_assets(tag: Tag) -> list[str]:
    found = []
    for attr in ("src", "srcset", "data", "poster", "background"):
        value = tag.attrs.get(attr, "")
        if any(EXTERNAL.match(part) for part in value.split(",") if part.strip()):
            found.append(f"<{tag.name} {attr}={value!r}>")
    if tag.name == "link" and EXTERNAL.match(tag.attrs.get("href", "")):
        found.append(f"<link href={tag.attrs['href']!r} rel={tag.attrs.get('rel')!r}>")
    for attr, value in tag.attrs.items():
        # data-jupyter-widgets-cdn=URL sets embed-amd.js's fallback; -cdn-only forces it.
        if attr.startswith("data-") and "cdn" in attr and (
            EXTERNAL.match(value) or attr.endswith("cdn-only")
        ):
            found.append(f"<{tag.name} {attr}={value!r}>")
    style = tag.attrs.get("style", "")
    found += [f"<{tag.name} style=url({u})>" for u in CSS_URL.findall(style)]
    if tag.name == "style":
        found += [f"<style> url({u})" for u in CSS_URL.findall(tag.text)]
        found += [f"<style> @import {u}" for u in CSS_IMPORT.findall(tag.text)]
    if tag.name == "script":
        kind = tag.attrs.get("type", "text/javascript")
        if kind == "application/vnd.jupyter.widget-state+json":
            found += [f"widget state: {a or b}" for a, b in STATE_ASSET.findall(tag.text)]
        elif kind in ("text/javascript", "module", "application/javascript"):
            found += [f"inline <script>: {u}" for u in JS_URL.findall(tag.text)]
    return found


def test_no_stylesheet_loads_from_another_host(html: Path) -> None:
    offenders = []
    for css in sorted((html / "_static").rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        rel = css.relative_to(html)
        offenders += [f"{rel}: url({u})" for u in CSS_URL.findall(text)]
        offenders += [f"{rel}: @import {u}" for u in CSS_IMPORT.findall(text)]
    assert not offenders, "expected stylesheets to use local files only:\n" + "\n".join(offenders)


@pytest.mark.parametrize("docname", DOCNAMES)
def test_local_scripts_and_stylesheets_exist(html: Path, docname: str) -> None:
    page = page_path(html, docname)
    missing = []
    for tag in parse_page(page):
        ref = tag.attrs.get("src") if tag.name == "script" else None
        if tag.name == "link" and "stylesheet" in tag.attrs.get("rel", ""):
            ref = tag.attrs.get("href")
        if not ref or EXTERNAL.match(ref):
            continue
        target = (page.parent / unquote(urlsplit(ref).path)).resolve()
        if not target.is_file():
            missing.append(ref)
    assert not missing, f"{docname}: expected these files in the site, missing: {missing}"


def test_vendored_assets_are_not_in_a_top_level_static_folder() -> None:
    """Jupyter Book 1 adds every .js/.css under a top-level _static/ to every page."""
    assert not (ROOT / "_static").exists(), "expected no top-level _static/ (see _config.yml)"
    paths = CONFIG["sphinx"]["config"]["html_static_path"]
    assert paths == ["_build/vendor"], f"expected html_static_path [_build/vendor], got {paths}"


def test_mathjax_is_vendored(html: Path) -> None:
    static = html / "_static"
    mathjax = static / CONFIG["sphinx"]["config"]["mathjax_path"]
    assert mathjax.is_file(), f"expected MathJax at {mathjax}, missing"
    fonts = list((static / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) >= 20, f"expected the MathJax CHTML woff-v2 fonts, found {len(fonts)}"
    intro = (html / "intro.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-chtml.js" in intro, "expected intro.html to load local MathJax"


@pytest.mark.parametrize("docname", NOTEBOOK_PAGES)
def test_widget_state_is_embedded_where_demos_are(html: Path, docname: str) -> None:
    tags = parse_page(page_path(html, docname))
    state = widget_state(tags)
    views = widget_views(tags)
    if not expects_demo(docname):
        assert not views, f"{docname}: widget views without widgets in the source?"
        return
    assert state.get("state"), (
        f"{docname}: its notebook creates widgets, expected embedded "
        f"application/vnd.jupyter.widget-state+json, found none (widgets would vanish)"
    )
    assert views, f"{docname}: expected at least one displayed widget view, found none"
    models = state["state"]
    for view in views:
        assert view["model_id"] in models, (
            f"{docname}: view of model {view['model_id']} has no state"
        )
    # Every IPY_MODEL_ reference inside the state must resolve (no truncated state).
    text = str(models)
    dangling = sorted(set(re.findall(r"IPY_MODEL_([0-9a-f]+)", text)) - set(models))
    assert not dangling, f"{docname}: state references missing models {dangling[:5]}"
    # The widget runtime is loaded from this site, in dependency order.
    scripts = [t.attrs["src"] for t in tags if t.name == "script" and t.attrs.get("src")]
    order = [
        next((i for i, s in enumerate(scripts) if name in s), -1)
        for name in ("require.js", "html-manager/widgets-setup.js", "html-manager/embed-amd.js")
    ]
    assert -1 not in order and order == sorted(order), (
        f"{docname}: expected require.js, widgets-setup.js, embed-amd.js in that order, "
        f"got {scripts}"
    )


class _ProseText(HTMLParser):
    """The page's text outside code, scripts and styles."""

    SKIP = {"pre", "code", "script", "style", "textarea"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.depth += tag in self.SKIP

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in self.SKIP and self.depth > 0

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


@pytest.mark.parametrize("docname", DOCNAMES)
def test_no_untypeset_dollar_math_in_prose(html: Path, docname: str) -> None:
    """Sphinx turns $...$ into \\(...\\) for MathJax; a $ left in the prose (e.g. Markdown
    glued from a notebook that the parser did not treat as math) is shown raw to the reader."""
    parser = _ProseText()
    parser.feed(page_path(html, docname).read_text(encoding="utf-8"))
    raw = re.findall(r"\$[^$\s][^$]{0,80}?\$", " ".join(parser.parts))
    assert not raw, f"{docname}: expected math typeset, found raw TeX in the text: {raw[:5]}"


@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_page_weight(html: Path, docname: str) -> None:
    """HTML (which embeds the demo frames) plus its images stays within the budget."""
    page = page_path(html, docname)
    total = page.stat().st_size
    for tag in parse_page(page):
        src = tag.attrs.get("src", "") if tag.name == "img" else ""
        if src and not src.startswith("data:") and not EXTERNAL.match(src):
            total += (page.parent / unquote(urlsplit(src).path)).stat().st_size
    assert total <= PAGE_BUDGET, (
        f"{docname}: expected at most {PAGE_BUDGET / 1e6:.1f} MB, got {total / 1e6:.2f} MB"
    )


@pytest.mark.parametrize("docname", NOTEBOOK_PAGES)
def test_launch_buttons(html: Path, docname: str) -> None:
    """Binder, Colab, JupyterHub and repository links for the page's notebook (links, not
    assets), exactly as a reader would click them, built from _config.yml."""
    text = page_path(html, docname).read_text(encoding="utf-8")
    hrefs = set(re.findall(r'href="([^"]*)"', text))
    launch, repository = CONFIG["launch_buttons"], CONFIG["repository"]
    url, branch = (repository["url"] or "").rstrip("/"), repository["branch"]
    if not url:  # unset (scripts/sphinx_launch.py): no button that cannot work
        services = [launch.get(k) for k in ("binderhub_url", "colab_url", "jupyterhub_url")]
        assert not [h for h in hrefs for s in services if s and h.startswith(s)], hrefs
        assert not [h for h in hrefs if "/hub/user-redirect/" in h], hrefs
        return
    owner_repo = url.removeprefix("https://github.com/")
    notebook = f"{repository.get('path_to_book') or ''}{docname}.ipynb".lstrip("/")
    ui = {"jupyterlab": "lab/tree", "classic": "tree"}[launch["notebook_interface"]]
    expected = {
        "Binder": f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{owner_repo}/{branch}"
        f"?urlpath={ui}/{notebook}",
        "Colab": f"{launch['colab_url'].rstrip('/')}/github/{owner_repo}/blob/{branch}/"
        f"{notebook}",
        "JupyterHub": f"{launch['jupyterhub_url'].rstrip('/')}/hub/user-redirect/git-pull"
        f"?repo={url.replace('https://', 'https%3A//')}&urlpath={ui}/"
        f"{owner_repo.split('/')[-1]}/{notebook}&branch={branch}",
        "repository": url,
    }
    if not launch.get("jupyterhub_url"):
        del expected["JupyterHub"]
    for service, link in expected.items():
        assert link in hrefs, (
            f"{docname}: expected the {service} link {link}, got "
            f"{sorted(h for h in hrefs if h.startswith('http'))}"
        )


def _load_sphinx_offline():  # the Sphinx extension lives in scripts/, not in a package
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "sphinx_offline", ROOT / "scripts" / "sphinx_offline.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("thebe", [False, True])
def test_sphinx_offline_drops_thebe_and_flags_cdn_assets(
    thebe: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Fast unit check of scripts/sphinx_offline.py, without a build."""
    from types import SimpleNamespace

    from sphinx.builders.html._assets import _CascadingStyleSheet, _JavaScript

    offline = _load_sphinx_offline()
    app = SimpleNamespace(
        config=SimpleNamespace(html_theme_options={"launch_buttons": {"thebe": thebe}})
    )
    thebe_inline = _JavaScript("", body='const THEBE_JS_URL = "https://unpkg.com/thebe"')
    scripts = [
        _JavaScript("_static/doctools.js"),
        thebe_inline,
        _JavaScript("_static/sphinx-thebe.js"),
        _JavaScript("https://cdn.example.org/lib.js"),
    ]
    styles = [_CascadingStyleSheet("_static/sphinx-thebe.css"), _CascadingStyleSheet("a.css")]
    context = {"script_files": scripts, "css_files": styles}
    with caplog.at_level("WARNING"):
        offline.clean_page_assets(app, "intro", "page.html", context, None)
    kept = [str(js.filename) for js in context["script_files"]]
    assert context["script_files"] is scripts, "expected the list filtered in place"
    if thebe:
        assert len(kept) == 4, f"thebe on: expected all 4 scripts kept, got {kept}"
    else:
        assert kept == ["_static/doctools.js", "https://cdn.example.org/lib.js"], kept
        assert [str(c.filename) for c in styles] == ["a.css"]
    flagged = [r.getMessage() for r in caplog.records if "another host" in r.getMessage()]
    assert len(flagged) == 1 and "cdn.example.org" in flagged[0], (
        f"expected one warning naming cdn.example.org, got {flagged}"
    )
