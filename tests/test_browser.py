"""The built book in a real browser: headless Chromium (Debian's) driven by Playwright.

Every page of the toc is served from 127.0.0.1 and opened, and opened again from disk
(``file://``, a reader who unpacked the site); each test asserts that

- no request leaves 127.0.0.1 (from disk: no request other than ``file:``; every request is
  recorded, others are aborted) and every local request succeeds;
- no JavaScript error is raised, and the console shows no error;
- math is typeset by MathJax (CHTML) wherever the page has math;
- every widget view displayed in a cell output renders, with one control per control model;
- pressing the arrow keys on a demo's slider changes the frame it shows (the Stack child).

Every page served from 127.0.0.1 is screenshotted into ``_build/screenshots/``: look at them.

Chromium comes from the Debian package (``apt-get install chromium``, done by ``make test``
when root). Without it these tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from browser.site import (
    ROOT,
    book_html,
    expects_demo,
    parse_page,
    serve,
    toc_docnames,
    widget_state,
    widget_views,
)

CHROMIUM = Path(os.environ.get("GRU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
PILOT = "chapters/ch1_why_grus"
SCREENSHOTS = ROOT / "_build" / "screenshots"
DOCNAMES = toc_docnames()
# Pages Sphinx adds to the book's own: the search page and the index.
EXTRA_PAGES = ["search", "genindex"]
# Console errors that are not ours to fix and harmless: pydata-sphinx-theme logs this with
# console.error on a first visit (no theme saved in localStorage yet), then picks "auto".
HARMLESS_CONSOLE = ("Got invalid theme mode",)
# Control views the demos use, and the CSS class each renders with.
CONTROL_VIEWS = {
    "IntSliderView": "widget-slider",
    "FloatSliderView": "widget-slider",
    "SelectionSliderView": "widget-slider",
    "DropdownView": "widget-dropdown",
    "ToggleButtonsView": "widget-toggle-buttons",
    "RadioButtonsView": "widget-radio",
}
TIMEOUT_MS = 60_000  # generous: the CI box has 2 shared cores

def require_chromium(chromium: Path = CHROMIUM) -> None:
    """Skip the calling test module when Chromium is missing, or fail it when CI=true."""
    if not chromium.exists():
        reason = f"Chromium not found at {chromium} (make browser installs it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: browser tests must run. {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


require_chromium()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(book_html()) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """What happened while one page was open."""

    page: Page
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser: Browser, base_url: str) -> Iterator[Callable[..., Visit]]:
    contexts = []

    def open_page(docname: str, scheme: str = "http") -> Visit:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        seen = Visit(page)
        if scheme == "file":
            base = book_html().resolve().as_uri() + "/"
            own: tuple[str, ...] = (base, "data:", "blob:null/")
        else:
            base = base_url
            own = (base_url, "data:", f"blob:{base_url.rstrip('/')}")

        def route(r: Route) -> None:
            url = r.request.url
            if url.startswith(own):
                r.continue_()
            else:
                seen.blocked.append(url)
                r.abort()

        context.route("**/*", route)
        page.on("request", lambda r: seen.requests.append(r.url))
        page.on("requestfailed", lambda r: seen.failed.append(f"{r.url} ({r.failure})"))
        page.on(
            "response",
            lambda r: r.status >= 400 and seen.failed.append(f"{r.url} (HTTP {r.status})"),
        )
        page.on("pageerror", lambda e: seen.page_errors.append(f"{e.message}\n{e.stack}"))
        page.on(
            "console",
            lambda m: seen.console_errors.append(m.text)
            if m.type == "error" and not m.text.startswith(HARMLESS_CONSOLE)
            else None,
        )
        page.goto(f"{base}{docname}.html", wait_until="load")
        # MathJax typesets after load: wait for its first pass (if the page has math).
        page.evaluate(
            "async () => { const mj = window.MathJax;"
            " if (mj && mj.startup && mj.startup.promise) await mj.startup.promise; }"
        )
        return seen

    yield open_page
    for context in contexts:
        context.close()


def expected_controls(state: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for model in state.get("state", {}).values():
        css = CONTROL_VIEWS.get(model.get("state", {}).get("_view_name"))
        if css:
            counts[css] = counts.get(css, 0) + 1
    return counts


def wait_for_widgets(page: Page, n_views: int) -> None:
    """Wait until each of the page's ``n_views`` top-level widget views has rendered."""
    page.wait_for_function(
        """(n) => {
            const areas = document.querySelectorAll('.widget-subarea');
            return areas.length >= n
                && Array.from(areas).every(a => a.querySelector('.jupyter-widgets'));
        }""",
        arg=n_views,
    )


# What a demo shows, apart from its controls: images (blob URLs change per frame view),
# HTML and text. Only what is rendered and visible counts.
FRAME_SIGNATURE_JS = """(area) => {
    const parts = [];
    for (const el of area.querySelectorAll('img, .widget-html-content, .widget-htmlmath-content,'
                                           + ' .widget-output, pre')) {
        if (el.closest('.widget-slider, .widget-dropdown, .widget-toggle-buttons')) continue;
        if (!el.offsetParent) continue;
        parts.push(el.tagName === 'IMG' ? 'img:' + el.src : el.tagName + ':' + el.innerHTML);
    }
    return parts.join('|');
}"""


@pytest.mark.parametrize("scheme", ["http", "file"])
@pytest.mark.parametrize("docname", DOCNAMES + EXTRA_PAGES)
def test_page_in_browser(visit: Callable[..., Visit], docname: str, scheme: str) -> None:
    html = book_html() / f"{docname}.html"
    tags = parse_page(html)
    seen = visit(docname, scheme)
    page = seen.page
    where = f"{docname} ({scheme})"

    views = widget_views(tags)
    state = widget_state(tags)
    if views:
        wait_for_widgets(page, len(views))
        page.wait_for_timeout(300)  # let late requests (fonts) show up in the log

    assert seen.requests, f"{where}: no request recorded (is the listener attached?)"
    assert not seen.blocked, (
        f"{where}: expected no request outside the site's own files, got {len(seen.blocked)}:\n"
        + "\n".join(seen.blocked)
    )
    assert not seen.failed, f"{where}: failed local requests:\n" + "\n".join(seen.failed)
    assert not seen.page_errors, f"{where}: JavaScript errors:\n" + "\n".join(seen.page_errors)
    assert not seen.console_errors, f"{where}: console errors:\n" + "\n".join(
        seen.console_errors
    )

    n_math = page.locator(".math").count()
    if n_math:
        n_typeset = page.locator('mjx-container[jax="CHTML"]').count()
        assert n_typeset >= n_math, (
            f"{where}: expected MathJax CHTML output for each of {n_math} math elements, "
            f"got {n_typeset} mjx-container"
        )
        n_errors = page.locator("mjx-merror").count()
        assert n_errors == 0, f"{where}: MathJax reported {n_errors} TeX errors"

    if expects_demo(docname):
        assert views, f"{where}: its notebook creates widgets, but the page displays none"
    n_rendered = page.locator(".widget-subarea").count()
    assert n_rendered == len(views), (
        f"{where}: expected {len(views)} rendered widget views (one per widget-view "
        f"script), got {n_rendered}"
    )
    for css, expected in expected_controls(state).items():
        got = page.locator(f".widget-subarea .{css}").count()
        assert got == expected, (
            f"{where}: expected {expected} rendered .{css} controls (one per model in the "
            f"widget state), got {got}"
        )

    if scheme == "http":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{docname.replace('/', '_')}.png"),
                        full_page=True)


DEMO_PAGES = [d for d in DOCNAMES if expects_demo(d)] or [PILOT]


def wait_for_new_frame(page: Page, area: Locator, before: str, what: str) -> None:
    """Wait until the demo in ``area`` shows something other than ``before``."""
    try:
        page.wait_for_function(
            f"(area) => ({FRAME_SIGNATURE_JS})(area) !== {json.dumps(before)}",
            arg=area.element_handle(),
            timeout=15_000,
        )
    except PlaywrightTimeoutError as exc:
        raise AssertionError(f"{what}, but the frame shown did not change") from exc


@pytest.mark.parametrize("docname", DEMO_PAGES)
def test_arrow_keys_change_the_frame(visit: Callable[..., Visit], docname: str) -> None:
    """Focus each slider of each demo; an arrow key must show another Stack child."""
    views = widget_views(parse_page(book_html() / f"{docname}.html"))
    assert views, f"{docname}: expected a demo on this page, found no widget view"
    seen = visit(docname)
    page = seen.page
    wait_for_widgets(page, len(views))
    areas = page.locator(".widget-subarea")
    n_sliders = 0
    for i in range(areas.count()):
        area = areas.nth(i)
        handles = area.locator(".widget-slider .noUi-handle")
        for j in range(handles.count()):
            n_sliders += 1
            handle = handles.nth(j)
            readout = area.locator(".widget-slider .widget-readout").nth(j)
            before = area.evaluate(FRAME_SIGNATURE_JS)
            before_value = readout.inner_text()
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute(
                "aria-valuemax"
            )
            handle.focus()
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
            wait_for_new_frame(
                page, area, before,
                f"{docname}: demo {i}, slider {j}: an arrow key moved the readout from "
                f"{before_value!r} to {readout.inner_text()!r}",
            )
            assert readout.inner_text() != before_value, (
                f"{docname}: demo {i}, slider {j}: the arrow key did not move the slider"
            )
    assert n_sliders, f"{docname}: expected at least one slider in its demos, found none"
    assert not seen.page_errors, f"{docname}: JavaScript errors:\n" + "\n".join(seen.page_errors)
    assert not seen.blocked, f"{docname}: requests outside 127.0.0.1: {seen.blocked}"


@pytest.mark.parametrize("docname", DEMO_PAGES)
def test_buttons_and_dropdowns_change_the_frame(
    visit: Callable[..., Visit], docname: str
) -> None:
    """Each toggle-button group and dropdown of each demo: another choice, another frame."""
    views = widget_views(parse_page(book_html() / f"{docname}.html"))
    seen = visit(docname)
    page = seen.page
    wait_for_widgets(page, len(views))
    areas = page.locator(".widget-subarea")
    n_controls = 0
    for i in range(areas.count()):
        area = areas.nth(i)
        groups = area.locator(".widget-toggle-buttons")
        for j in range(groups.count()):
            n_controls += 1
            other = groups.nth(j).locator("button:not(.mod-active)").first
            label = other.inner_text()
            before = area.evaluate(FRAME_SIGNATURE_JS)
            other.click()
            wait_for_new_frame(
                page, area, before, f"{docname}: demo {i}, buttons {j}: clicked {label!r}"
            )
        dropdowns = area.locator(".widget-dropdown select")
        for j in range(dropdowns.count()):
            select = dropdowns.nth(j)
            options = select.locator("option").all_inner_texts()
            current = select.evaluate("(s) => s.selectedIndex")
            if len(options) < 2:
                continue
            n_controls += 1
            before = area.evaluate(FRAME_SIGNATURE_JS)
            select.select_option(index=(current + 1) % len(options))
            wait_for_new_frame(
                page, area, before, f"{docname}: demo {i}, dropdown {j}: chose another option"
            )
    assert not seen.page_errors, f"{docname}: JavaScript errors:\n" + "\n".join(seen.page_errors)
    assert not seen.blocked, f"{docname}: requests outside 127.0.0.1: {seen.blocked}"
    if not n_controls:
        pytest.skip(f"{docname}: no toggle buttons or dropdowns in its demos")
