"""Damaged files given to ``gmm-gui`` and to File > Open: one line (or one message), no harm."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gmm_gui.ui.app import main
from gmm_gui.ui.main_window import MainWindow


def corrupt_npz(folder):
    path = folder / "crc.npz"
    buffer = io.BytesIO()
    np.savez(buffer, x=np.random.default_rng(0).normal(size=(50, 2)))
    data = bytearray(buffer.getvalue())
    data[120:160] = b"\xff" * 40  # inside the member: its CRC no longer matches
    path.write_bytes(bytes(data))
    return path


def not_a_zip(folder):
    path = folder / "bad.npz"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    return path


def lzma_npz(folder):
    path = folder / "lzma.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.ones((50, 2)))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_LZMA) as archive:
        archive.writestr("x.npy", buffer.getvalue())
    return path


def truncated_npy(folder):
    path = folder / "short.npy"
    buffer = io.BytesIO()
    np.save(buffer, np.ones((50, 2)))
    path.write_bytes(buffer.getvalue()[:40])
    return path


def fifo(folder):
    path = folder / "pipe.csv"
    os.mkfifo(path)  # io refuses it before opening it: nothing blocks
    return path


def symlink_loop(folder):
    path = folder / "loop.csv"
    path.symlink_to(path.name)
    return path


DAMAGED = [corrupt_npz, not_a_zip, lzma_npz, truncated_npy, fifo, symlink_loop]


@pytest.mark.parametrize("make", DAMAGED, ids=lambda f: f.__name__)
def test_gmm_gui_with_a_damaged_file_prints_one_line_and_exits_2(qapp, capsys, tmp_path, make):
    path = make(tmp_path)
    out = tmp_path / "shot.png"
    assert main([str(path), "--screenshot", str(out)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"gmm-gui: error: {path}: ")
    assert len(lines[0]) > len(f"gmm-gui: error: {path}: ")  # the problem is said
    assert "Traceback" not in captured.err and captured.out == ""
    assert not out.exists()


@pytest.mark.parametrize("make", [corrupt_npz, fifo, symlink_loop], ids=lambda f: f.__name__)
def test_gmm_gui_with_a_damaged_parameter_file_prints_one_line(qapp, capsys, tmp_path, make):
    data = tmp_path / "ok.csv"
    rows = np.random.default_rng(2).normal(size=(40, 2))
    data.write_text("a,b\n" + "\n".join(f"{x:.5f},{y:.5f}" for x, y in rows) + "\n")
    params = make(tmp_path)
    out = tmp_path / "shot.png"
    assert main([str(data), "--init", str(params), "--screenshot", str(out)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gmm-gui: error: {params}")
    assert not out.exists()


@pytest.mark.parametrize("make", DAMAGED, ids=lambda f: f.__name__)
def test_file_open_of_a_damaged_file_says_so_and_keeps_the_data(
    qtbot, monkeypatch, tmp_path, make
):
    window = MainWindow()
    qtbot.addWidget(window)
    good = tmp_path / "good.csv"
    rows = np.random.default_rng(1).normal(size=(40, 2))
    good.write_text("a,b\n" + "\n".join(f"{x:.5f},{y:.5f}" for x, y in rows) + "\n")
    assert window.open_file(good, interactive=False, n_components=2)
    start = window.session.stepper.start
    path = make(tmp_path)
    boxes = []

    def record(box):
        boxes.append((box.windowTitle(), box.text()))
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "exec", record)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions_by_name["open"].trigger()
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    assert len(boxes) == 1
    title, text = boxes[0]
    assert title == "Cannot open the file" and str(path.name) in text
    assert window.dataset.path == str(good)
    assert window.session.stepper.start == start
    window.close()
