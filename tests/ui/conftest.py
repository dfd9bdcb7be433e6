"""Shared fixtures of the window tests."""

from __future__ import annotations

import pytest
from window_helpers import show_window

from gmm_gui.ui.main_window import MainWindow


@pytest.fixture
def shown_window(qtbot):
    """A factory: ``shown_window("davis")``; every window made is closed after the test."""
    windows: list[MainWindow] = []

    def make(sample_key: str = "faithful") -> MainWindow:
        windows.append(show_window(qtbot, sample_key))
        return windows[-1]

    yield make
    for w in windows:
        w.close()
