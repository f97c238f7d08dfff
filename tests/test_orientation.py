"""Orientation (issue 19): the landing page opens with the chapter map and the times; each
chapter and exercise page says how long it takes and what the reader can do afterwards.
The times are computed (utils.orientation) and checked against what cold readers took."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from utils.orientation import (MEASURED_EXERCISES, MEASURED_READING, ORIENTATION_ID,
                               Reading, exercise_minutes, hours_minutes, outcomes, reading)

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
PAGES = sorted((ROOT / "exercises").glob("ch*.md"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_reading_time_is_within_what_cold_readers_took(path):
    minutes = reading(path).rounded
    low, high = MEASURED_READING
    assert low - 5 <= minutes <= high + 5, (
        f"{path.stem}: estimated {minutes} min, cold readers took {low}-{high}: a chapter "
        "this long or short needs new measurements (utils/orientation.py)")


def test_reading_model_counts_words_code_and_figures():
    assert Reading(words=1500, code_lines=0, figures=0).minutes == pytest.approx(10)
    assert Reading(words=0, code_lines=60, figures=3).minutes == pytest.approx(5)
    assert Reading(words=1530, code_lines=0, figures=0).rounded == 10
    assert hours_minutes(60) == "1 h" and hours_minutes(75) == "1 h 15 min"


def test_exercise_time_counts_graded_predictions():
    assert exercise_minutes(4) == 40
    assert exercise_minutes(4, 4) == 55  # 40 + 12, up to the next 5


def test_exercise_time_is_about_an_hour():
    from utils.checks import ASSIGNMENTS, predictions, questions

    for name in ASSIGNMENTS:
        minutes = exercise_minutes(len(questions(name)), len(predictions(name)))
        assert MEASURED_EXERCISES[0] <= minutes <= MEASURED_EXERCISES[1], (name, minutes)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_opens_with_time_and_outcomes(path):
    nb = nbformat.read(path, as_version=4)
    cell = nb.cells[1]
    assert cell.get("id") == ORIENTATION_ID and cell.cell_type == "markdown"
    assert f"about {hours_minutes(reading(path).rounded)}" in cell.source
    for item in outcomes()["chapters"][path.stem]["outcomes"]:
        assert f"- {item}" in cell.source


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_exercise_page_shows_time_outcomes_and_the_wheel(page):
    from utils.site_config import wheel_name

    text = page.read_text(encoding="utf-8")
    assert re.search(r"\*\*Working time:\*\* about [\w ]+ "
                     r"\(\d+ exercises( and \d+ graded predictions?)?\)", text), page.name
    for item in outcomes()["exercises"][f"{page.stem}_exercises"]["outcomes"]:
        assert f"- {item}" in text
    assert f"</_build/wheel/{wheel_name()}>" in text


def test_landing_page_opens_with_the_chapter_map_and_times():
    text = (ROOT / "intro.md").read_text(encoding="utf-8")
    body = text.split("\n", 1)[1].lstrip()
    assert body.startswith("<!-- chapter-map:start -->\n| chapter |"), body[:200]
    for path in CHAPTERS:
        row = next(line for line in text.splitlines() if f"(chapters/{path.name})" in line)
        assert f"| {hours_minutes(reading(path).rounded)} |" in row, row
