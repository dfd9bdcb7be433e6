"""Hostile files and faults in the window (issue #12): refused with a message, nothing harmed."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from gmm_gui.io.mixture_file import write_mixture
from gmm_gui.model import Mixture
from gmm_gui.ui.main_window import MainWindow

HOSTILE = '<b>x</b>,<img src="file:///etc/hostname">'


@pytest.fixture
def boxes(monkeypatch):
    """The window's message boxes, as (title, text, text format), instead of showing them."""
    shown = []

    def record(box):
        shown.append((box.windowTitle(), box.text(), box.textFormat()))
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "exec", record)
    return shown


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    yield w
    w.close()


def write_points(path, header: str, n: int = 60, n_cols: int = 2, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, n_cols))
    lines = [header] + [",".join(f"{v:.6f}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_import_of_more_gaussians_than_points_is_refused_naming_the_file(
    window, tmp_path, boxes
):
    data = tmp_path / "sixty.csv"
    write_points(data, "a,b", n=60)
    assert window.open_file(data, interactive=False, n_components=2)
    before = window.session.stepper.start
    k = 1000
    rng = np.random.default_rng(1)
    many = Mixture(np.full(k, 1.0 / k), rng.normal(size=(k, 2)), np.tile(np.eye(2), (k, 1, 1)))
    params = tmp_path / "thousand.json"
    write_mixture(params, many, ("a", "b"))
    assert not window.import_parameters(params)
    assert len(boxes) == 1
    title, text, _ = boxes[0]
    assert title == "Cannot import parameters"
    assert str(params) in text and "1000" in text
    assert window.session.stepper.start == before
    assert window.session.stepper.start.n_components == 2
