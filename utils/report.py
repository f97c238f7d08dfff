"""Prose that carries computed numbers, visible in every front end.

A chapter's sentences that depend on a measurement are produced by the code cell that makes
the measurement::

    md(f"With forget bias 1 the gradient shrinks by a factor {rate:.2f} per step.",
       rate=rate)

``md`` displays the text as a Markdown output. JupyterLab, classic Notebook, Colab and the
book all render Markdown outputs (math included), whereas a MyST role such as ``{glue:text}``
is rendered by the book alone and shows as raw markup everywhere else. On the site the
cell's code is hidden (tag ``remove-input``), so the page reads as prose.

The keyword arguments are the numbers the sentence depends on. They are not shown: they are
recorded in the output's metadata under ``"computed"`` so that tests can check what the
prose claims without parsing it (:func:`computed` collects them from an executed notebook).
"""

from __future__ import annotations

import math
import numbers
import textwrap
from typing import Any

__all__ = ["md", "sci", "computed", "METADATA_KEY"]

METADATA_KEY = "computed"


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of ``value`` (NumPy and torch scalars become Python numbers)."""
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # 0-d array or tensor
        return _plain(value.item())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    raise TypeError(f"md(): value of type {type(value).__name__} cannot be recorded; "
                    "pass numbers, strings, or lists/dicts of them")


def md(text: str, **values: Any) -> None:
    """Display ``text`` (Markdown, ``$...$`` math allowed) as the cell's output.

    ``text`` is dedented and stripped, so a triple-quoted f-string can be indented with the
    code. ``values`` are recorded in the output's metadata (see the module docstring).
    Returns nothing, so a trailing ``md(...)`` does not print a second copy.
    """
    from IPython.display import Markdown, display

    if not isinstance(text, str):
        raise TypeError(f"md() takes the Markdown text as a str, got {type(text).__name__}")
    body = textwrap.dedent(text).strip()
    if not body:
        raise ValueError("md() was given empty text")
    metadata = {METADATA_KEY: {k: _plain(v) for k, v in values.items()}} if values else None
    display(Markdown(body), metadata=metadata)


def sci(x: float, digits: int = 1) -> str:
    r"""``x`` in scientific notation as inline math: ``sci(1.23e-13)`` → ``$1.2 \times 10^{-13}$``.

    For the very small and very large numbers of gradient measurements; format ordinary
    numbers with an f-string.
    """
    x = float(x)
    if not math.isfinite(x):
        return "$\\infty$" if x > 0 else ("$-\\infty$" if x < 0 else "NaN")
    if x == 0:
        return "$0$"
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return rf"${mantissa} \times 10^{{{int(exponent)}}}$"


def computed(notebook: Any) -> dict[str, Any]:
    """Every value recorded by :func:`md` in an executed notebook (``nbformat`` node or dict).

    Raises ``ValueError`` when two cells record the same name with different values, so a
    test never checks the wrong one.
    """
    found: dict[str, Any] = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        for output in cell.get("outputs", []):
            recorded = output.get("metadata", {}).get(METADATA_KEY)
            if not recorded:
                continue
            for name, value in recorded.items():
                if name in found and found[name] != value:
                    raise ValueError(f"{name!r} is recorded twice with different values: "
                                     f"{found[name]!r} and {value!r}")
                found[name] = value
    return found
