"""Fixtures shared by the whole test suite (kept small; add new ones through the maintainer)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A NumPy generator seeded from the test's id: reproducible, and different per test
    and per parameter set (unlike one global seed, which makes every case draw the same)."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
