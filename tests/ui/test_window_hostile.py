"""Hostile files and faults in the window (issue #12): refused with a message, nothing harmed."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
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


def rendered(rich_or_plain: str) -> str:
    """What Qt draws for a tooltip (Qt guesses rich text, as it does for tooltips)."""
    doc = QTextDocument()
    if QtGui.Qt.mightBeRichText(rich_or_plain):
        doc.setHtml(rich_or_plain)
    else:
        doc.setPlainText(rich_or_plain)
    return doc.toPlainText()


def test_column_names_and_file_names_are_shown_as_plain_text(window, tmp_path):
    data = tmp_path / "<b>f.csv"
    write_points(data, HOSTILE, n=30)
    assert window.open_file(data, interactive=False, n_components=2)
    assert window.dataset.columns == ("<b>x</b>", '<img src="file:///etc/hostname">')
    title = window.plot_area.view_title
    assert title.textFormat() == Qt.TextFormat.PlainText
    assert "<b>x</b>" in title.text() and '<img src="file:///etc/hostname">' in title.text()
    label = window.status_panel.data_label
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert "<b>f.csv" in label.text()
    assert window.message_label.textFormat() == Qt.TextFormat.PlainText


def test_a_message_box_quoting_a_file_is_plain_text(window, tmp_path, boxes):
    good = tmp_path / "good.csv"
    write_points(good, "a,b", n=30)
    assert window.open_file(good, interactive=False, n_components=2)
    bad = tmp_path / "<b>bad.csv"
    bad.write_text(HOSTILE + "\n1,2,3\n4\n", encoding="utf-8")
    assert not window.open_file(bad)
    assert len(boxes) == 1
    title, text, text_format = boxes[0]
    assert title == "Cannot open the file"
    assert text_format == Qt.TextFormat.PlainText
    assert "<b>bad.csv" in text
    assert window.dataset.path == str(good)  # the data open is kept


def test_the_status_line_shows_doubtful_readings_as_plain_text(window, tmp_path):
    data = tmp_path / "weights.csv"
    data.write_text("<b>weight</b>;height\n1,250;1\n2,500;2\n3,750;3\n4,125;5\n", encoding="utf-8")
    assert window.open_file(data, interactive=False, n_components=1)
    (note,) = window.dataset.notes
    assert "decimal comma" in note and "<b>weight</b>" in note
    label = window.status_panel.data_label
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert "note: column <b>weight</b>" in label.text()
    tip = rendered(label.toolTip())
    assert note in tip.splitlines()[-1]
    assert "<b>weight</b>" in tip


def test_a_file_without_doubtful_readings_has_no_note(window, tmp_path):
    data = tmp_path / "plain.csv"
    write_points(data, "a,b", n=30)
    assert window.open_file(data, interactive=False, n_components=2)
    assert window.dataset.notes == ()
    assert "note" not in window.status_panel.data_label.text()
    assert rendered(window.status_panel.data_label.toolTip()) == "No rows were dropped."
