"""No exercise's answer is printed in its chapter (issue 22): each solution's answer code,
names folded, against the chapter's visible code, the sources it prints and its outputs
(tests/exercise_copies.py says how). One case per chapter, so a failure names the chapter,
the question, the cell and the shared run; and tests that plant copies and see them caught."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from exercise_copies import (LONG_RUN, MIN_RUN, ROOT, Segment, answer_code, answers,
                             chapter_of, chapter_prose, chapter_segments, copies,
                             executed_copy, fold_prose, giveaways, prose_giveaways, tokens)
from utils.checks import ASSIGNMENTS

CHAPTERS = sorted(int(name[2]) for name in ASSIGNMENTS)
# Exercise sets whose chapter is written on another branch (chapter 6's set and its chapter
# were written in parallel): the guard skips them only while the chapter notebook is absent
# and checks them as soon as it exists.
CHAPTER_WRITTEN_ELSEWHERE = {6}


@pytest.mark.parametrize("n", CHAPTERS, ids=[f"ch{n}" for n in CHAPTERS])
def test_no_answer_is_printed_in_its_chapter(n):
    if n in CHAPTER_WRITTEN_ELSEWHERE and not list((ROOT / "chapters").glob(f"ch{n}_*.ipynb")):
        pytest.skip(f"chapter {n}'s notebook is not on this branch yet")
    chapter = chapter_of(n)
    found = copies(answers(ROOT / "solutions" / f"ch{n}_exercises.ipynb"),
                   chapter_segments(chapter, executed_copy(chapter)))
    assert not found, "\n".join(
        f"{c.question}: {c.shared} of its {c.of} answer tokens (names folded) stand in "
        f"{chapter.name}, {c.where}; longest shared run: {c.text}" for c in found)


def test_every_question_has_its_answer_code():
    for n in CHAPTERS:
        got = answers(ROOT / "solutions" / f"ch{n}_exercises.ipynb")
        assert got and all(code.strip() for code in got.values()), (n, got)


CH1 = answers(ROOT / "solutions" / "ch1_exercises.ipynb")


def _chapter_with(tmp_path: Path, source: str, tags: list[str] | None = None,
                  n: int = 1) -> Path:
    nb = nbformat.read(chapter_of(n), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags or []}))
    path = tmp_path / f"ch{n}_planted.ipynb"
    nbformat.write(nb, path)
    return path


def _renamed(code: str) -> str:
    """The same code with every local name changed (what folding must see through)."""
    import io
    import tokenize

    from exercise_copies import KEEP

    out, prev = [], ""
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        name = tok.string
        if tok.type == tokenize.NAME and name not in KEEP and prev != ".":
            name = f"my_{name}_v2"
        out.append(tok._replace(string=name))
        prev = tok.string
    return tokenize.untokenize(out)


MINE = {n: answers(ROOT / "solutions" / f"ch{n}_exercises.ipynb") for n in (1, 2, 3)}
PLANTABLE = [(n, q) for n in MINE for q in sorted(MINE[n]) if len(tokens(MINE[n][q])) >= MIN_RUN]


@pytest.mark.parametrize("n, question", PLANTABLE, ids=[q for _, q in PLANTABLE])
def test_a_planted_copy_is_caught_even_renamed(tmp_path, n, question):
    code = _renamed(MINE[n][question])
    assert code != MINE[n][question]
    chapter = _chapter_with(tmp_path, "# the chapter shows this\n" + code, n=n)
    found = copies(MINE[n], chapter_segments(chapter))
    assert question in {c.question for c in found}, found


def test_chapter_3_prints_only_the_reset_after_branches():
    """Chapter 3 prints ``gru_step_jacobian`` and ``GRUCell.backward`` for PyTorch's
    placement only: the reset-before branches are most of the MGU's Jacobian and backward
    step (3.4, 3.5). The guard sees what the cells display, not the whole functions."""
    printed = [s for s in chapter_segments(chapter_of(3)) if s.where.endswith("(printed source)")]
    assert len(printed) == 2, [s.where for s in printed]
    assert all("else" not in s.tokens for s in printed), printed
    assert not prose_giveaways(giveaways("ch3_exercises"), chapter_prose(chapter_of(3)))


@pytest.mark.parametrize("name, expected", [("gru_step_jacobian", "q3_4"),
                                            ("GRUCell.backward", "q3_5")])
def test_printing_a_whole_reset_before_branch_is_caught(tmp_path, name, expected):
    """If chapter 3 printed the whole function again (both reset placements), the MGU
    exercise its reset-before branch answers is flagged: by a code giveaway, as the token
    measure alone shares only about a third of 3.5's answer with it."""
    imports = ("from utils.jacobians import gru_step_jacobian\n"
               "from utils.numpy_cells import GRUCell\nimport inspect\n")
    chapter = _chapter_with(tmp_path, imports + f"print(inspect.getsource({name}))",
                            tags=["remove-input"], n=3)
    found = prose_giveaways(giveaways("ch3_exercises"), chapter_prose(chapter))
    assert any(f.startswith(f"{expected}:") for f in found), found


def test_a_copy_inside_a_printed_source_is_caught(tmp_path):
    """A chapter that prints a function's source (``inspect.getsource``) shows that code."""
    chapter = _chapter_with(tmp_path, "from utils.checks.ch1 import cell_path_norms\n"
                            "import inspect\nprint(inspect.getsource(cell_path_norms))",
                            tags=["remove-input"])
    segments = chapter_segments(chapter)
    assert any(s.where.endswith("(printed source)") for s in segments)
    planted = {"q_ref": "\n".join(
        line.strip() for line in __import__("inspect").getsource(
            __import__("utils.checks.ch1", fromlist=["x"]).cell_path_norms).split("\n")[4:]
        if line.strip() and not line.strip().startswith(('"', "#")))}
    assert copies(planted, segments), segments[-1]


def test_hidden_cells_and_short_idioms_are_not_copies(tmp_path):
    whole = CH1["q1_3"]
    hidden = _chapter_with(tmp_path, whole, tags=["remove-input"])
    assert not [c for c in copies(CH1, chapter_segments(hidden)) if c.question == "q1_3"]
    idiom = Segment("cell 1 (code)", tuple(tokens("hidden = np.floor(root).astype(np.int64)")))
    assert not copies({"q1_3": whole}, [idiom])
    assert len(tokens(whole)) > MIN_RUN and LONG_RUN > MIN_RUN


def test_answer_code_is_the_solution_region():
    src = ('def f(x):\n    """doc"""\n    """ # BEGIN PROMPT\n    y = ...\n    """ # END PROMPT\n'
           "    # BEGIN SOLUTION NO PROMPT\n    y = x + 1  # why\n    return y\n"
           "    # END SOLUTION\n")
    assert answer_code(src) == "y = x + 1  # why\nreturn y"
    assert answer_code("predicted_steps = 15  # SOLUTION\nother = 1") == "predicted_steps = 15"
    assert tokens("y = np.tanh(x_t @ W.T)  # c") == ["_", "=", "np", ".", "tanh", "(", "_",
                                                      "@", "_", ".", "T", ")"]


# ---------------------------------------------------------------------- prose giveaways

@pytest.mark.parametrize("n", CHAPTERS, ids=[f"ch{n}" for n in CHAPTERS])
def test_no_answer_is_stated_in_its_chapters_prose(n):
    """A formula or idea that answers an exercise is not in the chapter's words either
    (markdown cells, and the text its hidden cells print): the checker module's
    ``GIVEAWAYS``."""
    patterns = giveaways(f"ch{n}_exercises")
    found = prose_giveaways(patterns, chapter_prose(chapter_of(n)))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("n", CHAPTERS, ids=[f"ch{n}" for n in CHAPTERS])
def test_every_question_lists_its_giveaways(n):
    """Every computing question (predictions are answered by their question) names at least
    one phrase that would state its answer: a formula the token comparison cannot see (it
    stands in prose, or in one short line) is then caught if a chapter edit brings it in."""
    from utils.checks import items, questions

    patterns = giveaways(f"ch{n}_exercises")
    names = {q.name for q in questions(f"ch{n}_exercises")}
    missing = sorted(q for q in names if not patterns.get(q))
    assert not missing, f"chapter {n}: no GIVEAWAYS pattern for {', '.join(missing)}"
    assert set(patterns) <= {q.name for q in items(f"ch{n}_exercises")}, patterns
    for regexes in patterns.values():
        assert isinstance(regexes, tuple) and all(isinstance(r, str) for r in regexes)
        for regex in regexes:
            re.compile(regex)


# The sentence chapter 2 (main, 22805f2) says about the update gate: it states the fix of the
# old exercise 2.5 (negate the update gate's rows).
CH2_UPDATE_SENTENCE = (
    "Since $1 - \\sigma(a) = \\sigma(-a)$, the two blends are the same model with the update "
    "gate's weights and biases negated (`chung_to_pytorch`), **for a fixed reset placement**.")


def _with_prose(tmp_path: Path, markdown: str = "", printed: str = "") -> Path:
    nb = nbformat.read(chapter_of(2), as_version=4)
    if markdown:
        nb.cells.append(nbformat.v4.new_markdown_cell(markdown))
    if printed:
        nb.cells.append(nbformat.v4.new_code_cell(
            f"md(f'''{printed}''', x=1)", metadata={"tags": ["remove-input"]}))
    path = tmp_path / "ch2_planted.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_stated_fix_is_caught_in_markdown_and_in_printed_text(tmp_path):
    old = {"q2_5_old": (r"updategate'?s?(weights|rows|parameters)[^.]{0,60}negat",)}
    assert prose_giveaways(old, chapter_prose(_with_prose(tmp_path, CH2_UPDATE_SENTENCE)))
    planted = ("The fix: the reset gate's weights and biases negated, since "
               "$1 - \\sigma(a_r) = \\sigma(-a_r)$.")
    for where in ({"markdown": planted}, {"printed": planted.replace("\\", "\\\\")}):
        found = prose_giveaways(giveaways("ch2_exercises"),
                                chapter_prose(_with_prose(tmp_path, **where)))
        assert any(f.startswith("q2_5:") for f in found), (where, found)


@pytest.mark.parametrize("assignment, statement", [
    ("ch4_exercises", "The gradient through the output gate is $o_t (1 - o_t)$ times $p_o$."),
    ("ch5_exercises", "Backwards, $\\delta_t = g_t + a_{t+1} \\odot \\delta_{t+1}$."),
    ("ch5_exercises", "Combined: $(a_1 + a_2, \\max(a_2 + b_1, b_2))$."),
    ("ch2_exercises", "So $z_t = (h_t - n_t) / (h_{t-1} - n_t)$."),
    ("ch3_exercises", "For the MGU, $\\partial h_t / \\partial h_{t-1} = D(f_t) + \\dots$"),
    ("ch3_exercises", "The gate's slope is $f_t \\odot (1 - f_t)$."),
    ("ch6_exercises", "The mean is $\\sum_{t,i} m_{t,i} \\ell_{t,i} / \\sum_{t,i} m_{t,i}$."),
    ("ch6_exercises", "The earliest origin leaves 232 training windows."),
    ("ch6_exercises", "After `pad_packed_sequence`, `output[-1]` holds zeros for short rows."),
    ("ch6_exercises", "Read `h_n` as `h_n.view(num_layers, 2, N, H)`: layer, then direction."),
])
def test_planted_formulas_are_caught_however_spaced(assignment, statement):
    found = prose_giveaways(giveaways(assignment), [("planted", fold_prose(statement))])
    assert found, statement
