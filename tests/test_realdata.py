"""utils.realdata: Japanese Vowels and the sunspots, read offline from installed packages."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from utils import realdata
from utils.realdata import VOWELS_CLASSES, VOWELS_FEATURES, japanese_vowels, sunspots

# The UCI description (Kudo et al.'s files size_ae.train / size_ae.test): utterances per speaker
TRAIN_PER_SPEAKER = [30] * 9
TEST_PER_SPEAKER = [31, 35, 88, 44, 29, 24, 40, 50, 29]


@pytest.mark.parametrize("split, n, per_speaker", [("train", 270, TRAIN_PER_SPEAKER),
                                                   ("test", 370, TEST_PER_SPEAKER)])
def test_vowels_split_has_the_published_shape(split, n, per_speaker):
    data = japanese_vowels(split)
    assert len(data) == n == len(data.lengths) == len(data.labels)
    assert data.labels.dtype == np.int64 and data.lengths.dtype == np.int64
    assert sorted(set(data.labels.tolist())) == list(range(VOWELS_CLASSES))
    assert np.bincount(data.labels).tolist() == per_speaker
    # speakers come in consecutive blocks, as in ae.train / ae.test
    assert (np.diff(data.labels) >= 0).all()
    for seq, L in zip(data.sequences, data.lengths):
        assert seq.shape == (L, VOWELS_FEATURES) and seq.dtype == np.float64
        assert np.isfinite(seq).all()
    assert 7 <= data.lengths.min() and data.lengths.max() <= 29


def test_vowels_lengths_span_7_to_29_over_both_splits():
    lengths = np.concatenate([japanese_vowels(s).lengths for s in ("train", "test")])
    assert (lengths.min(), lengths.max()) == (7, 29)


def test_vowels_first_frame_is_the_files_first_values():
    """The first utterance of ae.train starts 1.860936 -0.207383 0.261557 (UCI's file)."""
    first = japanese_vowels("train").sequences[0]
    np.testing.assert_allclose(first[0, :3], [1.860936, -0.207383, 0.261557])
    assert first.shape == (20, 12)


def test_vowels_match_sktimes_own_loader():
    """Our parser reads the same numbers as sktime's loader (the reference)."""
    pytest.importorskip("sktime")
    from sktime.datasets import load_japanese_vowels

    for split in ("train", "test"):
        X, y = load_japanese_vowels(split=split.upper(), return_X_y=True)
        ours = japanese_vowels(split)
        assert len(X) == len(ours)
        np.testing.assert_array_equal(np.asarray(y).astype(int) - 1, ours.labels)
        for i in (0, 1, len(X) // 2, len(X) - 1):
            theirs = np.stack([np.asarray(X.iloc[i, d], dtype=float)
                               for d in range(VOWELS_FEATURES)], axis=1)
            np.testing.assert_array_equal(theirs, ours.sequences[i])


def test_vowels_returns_copies():
    a = japanese_vowels("train")
    a.sequences[0][:] = 0
    a.labels[:] = 5
    b = japanese_vowels("train")
    assert b.sequences[0][0, 0] != 0 and b.labels[0] == 0


def test_vowels_unknown_split_names_the_choices():
    with pytest.raises(ValueError, match=r"\['test', 'train'\]"):
        japanese_vowels("validation")


def test_missing_package_fails_clearly(monkeypatch):
    monkeypatch.setattr(realdata.importlib.util, "find_spec", lambda name: None)
    realdata._vowels.cache_clear()
    try:
        with pytest.raises(ModuleNotFoundError, match=r"'sktime' package.*pip install"):
            japanese_vowels("train")
        with pytest.raises(ModuleNotFoundError, match=r"'statsmodels' package"):
            sunspots()
    finally:
        monkeypatch.undo()
        realdata._vowels.cache_clear()


def test_parser_rejects_a_case_with_missing_dimensions():
    text = "@data\n" + ":".join(["1,2"] * 11) + ":3\n"
    with pytest.raises(ValueError, match="11 dimensions, expected 12"):
        realdata._parse_ts(text, "bad.ts")


def test_sunspots_are_the_yearly_series_1700_2008():
    years, values = sunspots()
    assert years.shape == values.shape == (309,)
    assert years[0] == 1700 and years[-1] == 2008 and (np.diff(years) == 1).all()
    assert values[:3].tolist() == [5.0, 11.0, 16.0]
    assert (values >= 0).all() and values.max() > 150


def test_data_is_read_without_network(tmp_path):
    """In a fresh interpreter whose sockets all fail, both loaders still work."""
    script = textwrap.dedent("""
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network use during the data load")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from utils.realdata import japanese_vowels, sunspots
        print(len(japanese_vowels("train")), len(japanese_vowels("test")), len(sunspots()[1]))
    """)
    env = {**os.environ, "no_proxy": "*", "HTTP_PROXY": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["270", "370", "309"]


def test_vowels_file_lives_inside_the_installed_package():
    path = realdata.vowels_file("test")
    assert path.name == "JapaneseVowels_TEST.ts"
    assert "sktime" in Path(path).parts
