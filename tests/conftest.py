"""Shared fixtures: small hand-checkable instances built from tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.instance.io import load_instance

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def two_sites_path() -> Path:
    return DATA / "two_sites.yaml"


def load_two_sites(*overrides: str):
    """The two-site instance with ``--set`` style overrides."""
    return load_instance(DATA / "two_sites.yaml", list(overrides))
