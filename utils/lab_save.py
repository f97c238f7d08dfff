"""JupyterLab saves the chapters as they are committed: reading never dirties the clone.

``make lab`` starts JupyterLab with ``--ContentsManager.pre_save_hook=utils.lab_save.
strip_outputs``: before a notebook under ``chapters/`` is written (a save or an autosave), its
outputs, execution counts and what the kernel adds to the notebook's metadata are dropped,
exactly as the git filter does (nbstripout with :data:`EXTRA_KEYS`, ``.gitattributes``). The
file on disk then stays byte for byte the committed one, so ``git status`` is clean and a
later ``git pull`` does not conflict; the outputs stay on screen until the notebook is
closed. Exercise notebooks are saved as they are: they hold the learner's answers.
"""

from __future__ import annotations

from typing import Any

# nbstripout's own defaults, and the language details a kernel writes (the committed
# notebooks keep only the language's name). The Makefile's git filter uses the same list.
EXTRA_KEYS = (
    "metadata.signature", "metadata.widgets", "cell.metadata.collapsed",
    "cell.metadata.ExecuteTime", "cell.metadata.execution", "cell.metadata.heading_collapsed",
    "cell.metadata.hidden", "cell.metadata.scrolled",
    "metadata.language_info.codemirror_mode", "metadata.language_info.file_extension",
    "metadata.language_info.mimetype", "metadata.language_info.nbconvert_exporter",
    "metadata.language_info.pygments_lexer", "metadata.language_info.version",
)
FOLDERS = ("chapters/",)


def strip_outputs(model: dict, path: str, contents_manager: Any = None, **kwargs: Any) -> None:
    """Jupyter Server pre-save hook: strip a chapter notebook's ``model`` in place."""
    if model.get("type") != "notebook" or not model.get("content"):
        return
    if not str(path).lstrip("/").startswith(FOLDERS):
        return
    import nbformat
    from nbstripout import strip_output

    nb = nbformat.from_dict(model["content"])
    model["content"] = strip_output(nb, keep_output=False, keep_count=False, keep_id=True,
                                    extra_keys=list(EXTRA_KEYS))
