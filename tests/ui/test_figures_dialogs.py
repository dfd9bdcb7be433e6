"""The window's way to the figures: file dialogs, progress with Cancel, problems in words."""

from __future__ import annotations

from PIL import Image
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog, QProgressDialog

from gmm_gui.ui.figure_dialogs import record_run_dialog, small_multiples_dialog
from gmm_gui.ui.figures import PANEL_SIZE, PNG_SCALE
from gmm_gui.ui.recording import FRAME_MS


def answer_save(monkeypatch, path, chosen=""):
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), chosen))
    )


def test_record_asks_steps_and_file_and_writes_the_gif(shown_window, monkeypatch, tmp_path):
    window = shown_window("davis")
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (2, True)))
    answer_save(monkeypatch, tmp_path / "run")  # the suffix is added
    written = record_run_dialog(window)
    assert written == tmp_path / "run.gif"
    with Image.open(written) as image:
        assert image.n_frames == 5  # the window glides not at all: a frame per half-step
    assert "Recorded 5 frames" in window.statusBar().currentMessage()
    window.set_animation_ms(4 * FRAME_MS)  # the glide of the window's speed
    record_run_dialog(window)
    with Image.open(written) as image:
        assert image.n_frames == 5 + 4 * 4
    answer_save(monkeypatch, tmp_path / "video", "MP4 videos (*.mp4)")
    assert record_run_dialog(window) == tmp_path / "video.mp4"
    assert (tmp_path / "video.mp4").stat().st_size > 1000


def test_record_cancelled_in_the_dialogs_or_the_progress_writes_nothing(
    shown_window, monkeypatch, tmp_path
):
    window = shown_window("davis")
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (3, False)))
    assert record_run_dialog(window) is None
    answer_save(monkeypatch, "")
    assert record_run_dialog(window, n_steps=2) is None
    answer_save(monkeypatch, tmp_path / "run.gif")
    monkeypatch.setattr(QProgressDialog, "wasCanceled", lambda self: True)
    assert record_run_dialog(window, n_steps=2) is None
    assert list(tmp_path.iterdir()) == []


def test_a_problem_is_said_in_the_status_bar(shown_window, monkeypatch, tmp_path):
    window = shown_window("davis")
    answer_save(monkeypatch, tmp_path / "no such folder" / "run.gif")
    assert record_run_dialog(window, n_steps=1) is None
    assert "no such folder" in window.message_label.text()


def test_small_multiples_png_or_svg_by_the_filter(shown_window, monkeypatch, tmp_path):
    window = shown_window("faithful")
    answer_save(monkeypatch, tmp_path / "six", "SVG drawings (*.svg)")
    assert small_multiples_dialog(window) == tmp_path / "six.svg"
    assert (tmp_path / "six.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    answer_save(monkeypatch, tmp_path / "six.png", "PNG images (*.png)")
    assert small_multiples_dialog(window) == tmp_path / "six.png"
    assert QImage(str(tmp_path / "six.png")).width() == round(3 * PANEL_SIZE.width() * PNG_SCALE)
    assert "Small multiples" in window.statusBar().currentMessage()
