r"""Real sequences that ship inside installed packages: nothing is downloaded at run time.

**Japanese Vowels** (Kudo, Toyama & Shimbo 1999, UCI): nine male speakers each say the vowel
pair /ae/; every 6.4 ms frame is described by 12 LPC cepstrum coefficients, so an utterance
is a sequence ``x_1 … x_L`` with ``x_t ∈ R^12`` and a length ``L`` between 7 and 29. The task
is to name the speaker (9 classes). The split is the authors' own: 270 training utterances
(30 per speaker) and 370 test utterances recorded on other occasions (24–88 per speaker).
The data is read from the ``.ts`` files bundled inside the ``sktime`` package
(``sktime/datasets/data/JapaneseVowels/``), located with ``importlib`` without importing
``sktime`` itself (its import pulls in pandas and scikit-learn and takes seconds).

**Sunspots**: the yearly mean sunspot number 1700–2008 bundled with ``statsmodels``
(``statsmodels.datasets.sunspots``), a classic series for ARIMA models with a cycle of about
eleven years.

    >>> from utils.realdata import japanese_vowels
    >>> train = japanese_vowels("train")
    >>> len(train.sequences), train.sequences[0].shape, train.labels[:3]
    (270, (20, 12), array([0, 0, 0]))
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = ["VOWELS_FEATURES", "VOWELS_CLASSES", "VowelsSplit", "japanese_vowels",
           "vowels_file", "sunspots"]

VOWELS_FEATURES = 12  # LPC cepstrum coefficients per frame
VOWELS_CLASSES = 9  # speakers
_SPLITS = {"train": "TRAIN", "test": "TEST"}


@dataclass(frozen=True)
class VowelsSplit:
    """One split of Japanese Vowels.

    ``sequences``: a list of ``N`` float64 arrays, the ``i``-th of shape ``(L_i, 12)``
    (frames × coefficients); ``lengths (N,)`` int64, the ``L_i``; ``labels (N,)`` int64,
    the speaker ``0 … 8`` (the file's classes ``1 … 9`` minus one).
    """

    sequences: list[NDArray[np.float64]]
    lengths: NDArray[np.int64]
    labels: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.sequences)


def _package_dir(package: str, purpose: str) -> Path:
    """The directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"{purpose} comes from the '{package}' package, which is not installed: "
            f"run `pip install -r requirements.txt` (or `pip install {package}`)",
            name=package)
    return Path(next(iter(spec.submodule_search_locations)))


def vowels_file(split: str) -> Path:
    """The bundled ``JapaneseVowels_TRAIN.ts`` / ``_TEST.ts`` inside the installed ``sktime``."""
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {sorted(_SPLITS)}, got {split!r}")
    root = _package_dir("sktime", "Japanese Vowels")
    path = root / "datasets" / "data" / "JapaneseVowels" / f"JapaneseVowels_{_SPLITS[split]}.ts"
    if not path.is_file():
        raise FileNotFoundError(f"expected the Japanese Vowels data at {path}: this sktime "
                                "install does not bundle it (see requirements.txt for the "
                                "version the course is tested with)")
    return path


def _parse_ts(text: str, source: str) -> VowelsSplit:
    """A multivariate, unequal-length ``.ts`` file: one case per line after ``@data``,
    dimensions separated by ``:`` (each a comma-separated series), the class label last."""
    lines = iter(text.splitlines())
    for line in lines:
        if line.strip().lower() == "@data":
            break
    else:
        raise ValueError(f"{source}: no @data line")
    sequences, labels = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        *dims, label = line.strip().split(":")
        if len(dims) != VOWELS_FEATURES:
            raise ValueError(f"{source}: case {number} has {len(dims)} dimensions, "
                             f"expected {VOWELS_FEATURES}")
        columns = [np.array(d.split(","), dtype=np.float64) for d in dims]
        if len({len(c) for c in columns}) != 1:
            raise ValueError(f"{source}: case {number} has dimensions of unequal length")
        sequences.append(np.stack(columns, axis=1))  # (L, 12): frames × coefficients
        labels.append(int(label) - 1)
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    return VowelsSplit(sequences, lengths, np.array(labels, dtype=np.int64))


@functools.cache
def _vowels(split: str) -> VowelsSplit:
    path = vowels_file(split)
    return _parse_ts(path.read_text(encoding="utf-8"), str(path))


def japanese_vowels(split: str) -> VowelsSplit:
    """The ``"train"`` (270 utterances) or ``"test"`` (370) split of Japanese Vowels.

    Each call returns fresh copies, so a caller may modify them.
    """
    data = _vowels(split)
    return VowelsSplit([s.copy() for s in data.sequences], data.lengths.copy(),
                       data.labels.copy())


def sunspots() -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Years ``(309,)`` 1700–2008 and the yearly mean sunspot number ``(309,)``, from the
    copy bundled inside ``statsmodels`` (read by ``statsmodels.datasets.sunspots``)."""
    _package_dir("statsmodels", "The sunspot series")  # a clear error if it is missing
    from statsmodels.datasets import sunspots as _sunspots  # reads a packaged CSV file

    table = _sunspots.load_pandas().data
    return (table["YEAR"].to_numpy().astype(np.int64),
            table["SUNACTIVITY"].to_numpy().astype(np.float64))
