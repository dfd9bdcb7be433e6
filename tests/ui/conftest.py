"""Shared fixtures of the window tests; no test may leave a timer or thread running."""

from __future__ import annotations

import pytest
from qt_leaks import QtLeakTracker, assert_nothing_left_running
from window_helpers import show_window

from gmm_gui.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _no_timer_or_thread_left_running(qapp, monkeypatch):
    """Fail a test that leaves a QTimer active or a QThread running once its windows are closed.

    Set up before (so torn down after) qtbot's and the window fixtures' teardown, which close
    the widgets; the events that closing posted are processed before the check.
    """
    tracker = QtLeakTracker()
    tracker.install(monkeypatch)
    yield tracker
    assert_nothing_left_running(tracker)


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
