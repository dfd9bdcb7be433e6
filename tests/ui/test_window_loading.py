"""Large files are read, and their first start built, off the UI thread; progress and Cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QMessageBox

import gmm_gui.controller.loading as loading_module
from gmm_gui.controller.stepper import Stepper
from gmm_gui.ui.dialogs import ColumnPickerDialog
from gmm_gui.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, monkeypatch):
    shown = []

    def fake(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    for name in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(fake))
    # The window's own boxes are plain-text QMessageBox instances (gmm_gui.ui.dialogs.messages).
    monkeypatch.setattr(QMessageBox, "exec", lambda box: fake(None, box.windowTitle(), box.text()))
    w = MainWindow()
    qtbot.addWidget(w)
    w.set_animation_ms(0)
    w.show()
    qtbot.waitExposed(w)
    assert w.open_sample("faithful")  # small: read at once
    assert not w.loading
    w.workspace.background_load_bytes = 0  # from now on every file is read in the background
    w.messages = shown
    yield w
    w.close()


def write_csv(path, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)) + rng.integers(0, 3, size=(n, 1)) * [4.0, 1.0]
    np.savetxt(path, X, delimiter=",", header="a,b", comments="", fmt="%.6f")
    return X


def test_a_file_is_read_in_the_worker_and_then_shown(window, qtbot, tmp_path, monkeypatch):
    data = tmp_path / "big.csv"
    X = write_csv(data, 3000)
    threads = []
    original = loading_module.load_dataset

    def spy(*args, **kwargs):
        threads.append(QThread.currentThread())
        return original(*args, **kwargs)

    monkeypatch.setattr(loading_module, "load_dataset", spy)
    old = window.dataset
    assert window.open_file(data, n_components=3)
    assert window.loading and window.dataset is old  # the old data stays until the new is in
    assert "Loading big.csv" in window.statusBar().currentMessage()
    assert window.wait_loaded()
    assert threads and all(t is not QThread.currentThread() for t in threads)
    assert window.dataset.name == "big.csv" and window.dataset.n_samples == 3000
    np.testing.assert_allclose(window.session.stepper.X, X, atol=1e-6)
    # The same start as the window draws for a small file: K from the request, k-means++, seed.
    expected = Stepper.from_method(window.dataset.values, 3, "kmeans++", 0)
    assert window.session.stepper.start == expected.start
    assert window.k_spin.value() == 3
    assert window.view.snapshot() is window.session.snapshot
    assert window.recent_files()[0] == str(data.resolve())
    assert window.statusBar().currentMessage() == ""


def test_a_bad_large_file_shows_the_message_and_keeps_the_old_data(window, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02 binary junk \xff\xfe" * 100)
    old_dataset, old_snapshot = window.dataset, window.session.snapshot
    assert window.open_file(bad)
    assert window.wait_loaded()
    assert len(window.messages) == 1 and "broken.csv" in window.messages[0][1]
    assert window.dataset is old_dataset and window.session.snapshot is old_snapshot
    assert window.view.snapshot() is old_snapshot


def test_progress_and_cancel_appear_when_loading_lasts(window, qtbot, tmp_path, monkeypatch):
    data = tmp_path / "slow.csv"
    write_csv(data, 2000)
    gate = threading.Event()
    original = loading_module.load_dataset

    def slow(*args, **kwargs):
        assert gate.wait(30)  # a file that takes its time
        return original(*args, **kwargs)

    monkeypatch.setattr(loading_module, "load_dataset", slow)
    window.busy.progress_delay_ms = 50  # "lasts more than a second", without waiting a second
    old = window.dataset
    assert window.open_file(data)
    assert not window.progress_bar.isVisibleTo(window)  # not at once: most loads are quick
    qtbot.waitUntil(lambda: window.progress_bar.isVisibleTo(window))
    assert window.cancel_button.isVisibleTo(window)
    assert window.actions_by_name["cancel"].isEnabled()
    window.cancel_button.click()
    assert not window.loading
    assert not window.progress_bar.isVisibleTo(window)
    # Another file asked for while the cancelled read still runs waits for it (queued), and a
    # newer request replaces the waiting one: only the newest is shown.
    other = tmp_path / "other.csv"
    write_csv(other, 500, seed=1)
    assert window.open_file(data)
    replaced = window.workspace.jobs.running("loader")
    assert window.open_file(other)
    gate.set()
    assert window.wait_loaded()
    assert window.dataset is not old and window.dataset.name == "other.csv"
    assert replaced.wait_ran(30_000)
    qtbot.wait(50)
    assert window.dataset.name == "other.csv"
    assert not window.progress_bar.isVisibleTo(window)


def test_column_choice_after_a_background_read(window, monkeypatch, datasets_dir):
    iris = datasets_dir / "iris.csv"
    asked = []

    def choose(columns, *args, **kwargs):
        asked.append(tuple(columns))
        return [columns[2], columns[3]]

    monkeypatch.setattr(ColumnPickerDialog, "choose", staticmethod(choose))
    assert window.open_file(iris)
    assert window.wait_loaded()
    assert window.wait_loaded()  # the second read, with the columns chosen
    assert len(asked) == 1
    assert window.dataset.columns == ("Petal.Length", "Petal.Width")


def test_the_window_answers_while_a_large_file_loads(window, qtbot, tmp_path):
    data = tmp_path / "large.csv"
    write_csv(data, 300_000)
    ticks = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(window.loading))
    timer.start()
    clicked = []
    try:
        assert window.open_file(data)
        QTimer.singleShot(0, lambda: clicked.append(window.loading))  # a "click" meanwhile
        assert window.wait_loaded()
    finally:
        timer.stop()
    assert clicked == [True]
    assert sum(ticks) >= 2  # the UI-thread timer kept firing while the file was read
    assert window.dataset.n_samples == 300_000


def test_a_small_file_opened_while_a_large_one_loads_wins(window, qapp, tmp_path, monkeypatch):
    # Issue #12 item 5: the newest open request always wins, also over a background load.
    large, small = tmp_path / "large.csv", tmp_path / "small.csv"
    write_csv(large, 3000)
    write_csv(small, 50, seed=2)
    window.workspace.background_load_bytes = large.stat().st_size  # only the large one waits
    gate = threading.Event()
    original = loading_module.load_dataset

    def slow_for_large(path, *args, **kwargs):
        if Path(path).name == "large.csv":
            assert gate.wait(30)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(loading_module, "load_dataset", slow_for_large)
    assert window.open_file(large)
    assert window.loading
    late = window.workspace.jobs.running("loader")
    assert window.open_file(small)  # read at once, on the UI thread
    assert not window.loading and window.dataset.name == "small.csv"
    assert window.statusBar().currentMessage() == ""  # no "Loading large.csv…" left
    gate.set()
    assert late.wait_ran(30_000)  # the large file has been read ...
    qapp.processEvents()  # ... and its result handed over: dropped
    assert window.dataset.name == "small.csv" and window.session.stepper.n_samples == 50
    assert window.view.snapshot() is window.session.snapshot
    assert not window.loading and window.messages == []
