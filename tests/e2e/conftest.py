"""Fixtures for the end-to-end tests."""

import pytest


@pytest.fixture
def var(tmp_path):
    """The data directory of the phone (and of `frontdesk` commands) under test."""
    d = tmp_path / "var"
    d.mkdir()
    return d
