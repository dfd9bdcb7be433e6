"""Hostile files and faults in the window (issue #12): refused with a message, nothing harmed."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QMessageBox

import gmm_gui.controller.halfsteps as halfsteps_module
from gmm_gui.controller.jobs import describe_exception
from gmm_gui.io.mixture_file import write_mixture
from gmm_gui.model import Mixture
from gmm_gui.ui.app import install_excepthook
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
    # pyqtgraph draws axis labels as rich text: the column names are escaped for it, so the
    # label shows them literally and no <img> is loaded.
    for side, name in (("bottom", "<b>x</b>"), ("left", '<img src="file:///etc/hostname">')):
        shown = window.view.plot.getAxis(side).label.toPlainText()
        assert name in shown


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


FAULTS = [
    RuntimeError("the engine broke"),
    ZeroDivisionError("division by zero"),
    MemoryError(),
    FloatingPointError("overflow encountered in exp"),
]


@pytest.fixture
def hooked(monkeypatch):
    """Install the application's excepthook on a window; the test's hook is put back after."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)

    return install_excepthook


def fail_e_step(monkeypatch, exc: BaseException) -> None:
    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(halfsteps_module, "e_step", broken)


def open_points(window, tmp_path, n: int) -> None:
    data = tmp_path / f"points{n}.csv"
    write_points(data, "a,b", n=n)
    assert window.open_file(data, interactive=False, n_components=2)


@pytest.mark.parametrize("exc", FAULTS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("action", ["step_m", "next_iteration", "run"])
def test_a_fault_on_the_ui_thread_is_told_and_the_window_goes_on(
    window, tmp_path, monkeypatch, hooked, qtbot, exc, action
):
    open_points(window, tmp_path, 60)
    assert not window.session._offload()  # 60 points: computed on the UI thread
    hooked(window)
    window.actions_by_name["step_e"].trigger()  # the start's responsibilities: no e_step call
    assert window.session.snapshot.phase == "E"
    with monkeypatch.context() as patch:
        fail_e_step(patch, exc)
        window.actions_by_name[action].trigger()
        expected = describe_exception(exc)
        assert window.message_label.text() == expected
    assert window.session.snapshot.phase == "E"  # nothing half-done was kept
    assert not window.session.playing
    window.actions_by_name["step_m"].trigger()  # usable again
    qtbot.waitUntil(lambda: window.session.snapshot.phase == "M", timeout=10_000)


@pytest.mark.parametrize("exc", FAULTS, ids=lambda e: type(e).__name__)
def test_a_fault_looks_the_same_in_the_worker(window, tmp_path, monkeypatch, hooked, qtbot, exc):
    open_points(window, tmp_path, 60)
    window.session.offload_threshold = 0
    assert window.session._offload()
    hooked(window)
    window.actions_by_name["step_e"].trigger()
    qtbot.waitUntil(lambda: window.session.snapshot.phase == "E", timeout=10_000)
    with monkeypatch.context() as patch:
        fail_e_step(patch, exc)
        window.actions_by_name["step_m"].trigger()
        expected = describe_exception(exc)
        qtbot.waitUntil(lambda: window.message_label.text() == expected, timeout=10_000)
        qtbot.waitUntil(lambda: not window.session.busy, timeout=10_000)
    assert window.session.snapshot.phase == "E"
    window.actions_by_name["step_m"].trigger()
    qtbot.waitUntil(lambda: window.session.snapshot.phase == "M", timeout=10_000)


@pytest.mark.parametrize("exc", FAULTS, ids=lambda e: type(e).__name__)
def test_a_new_start_that_fails_reaches_the_hook_and_is_told(
    window, tmp_path, monkeypatch, hooked, qtbot, exc, capsys
):
    open_points(window, tmp_path, 60)
    before = window.session.stepper.start
    hooked(window)
    window.actions_by_name["play"].trigger()
    assert window.session.playing
    with monkeypatch.context() as patch:
        fail_e_step(patch, exc)
        window.new_start_button.click()  # raises inside the slot, on the UI thread
        expected = describe_exception(exc)
        assert window.message_label.text() == expected
        assert window.last_problem == expected
    assert type(exc).__name__ in capsys.readouterr().err  # the traceback, for a bug report
    assert not window.session.playing  # stopped, as a fault in the worker stops it
    assert window.session.stepper.start == before
    window.seed_spin.setValue(window.seed_spin.value() + 1)
    window.new_start_button.click()  # usable again
    assert window.session.stepper.start != before


def test_the_hook_is_put_back(monkeypatch, window):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    before = sys.excepthook
    uninstall = install_excepthook(window)
    assert sys.excepthook is not before
    uninstall()
    assert sys.excepthook is before


def test_recent_files_menu_shows_a_file_name_literally(window, tmp_path):
    data = tmp_path / "<b>r.csv"
    write_points(data, HOSTILE, n=30)
    assert window.open_file(data, interactive=False, n_components=2)
    actions = window.recent_menu.actions()
    assert actions
    doc = QTextDocument()
    doc.setHtml(actions[0].toolTip())
    assert "<b>r.csv" in doc.toPlainText()
