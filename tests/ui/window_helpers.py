"""Helpers of the window tests (a module, not a conftest, so it can be imported by name)."""

from __future__ import annotations

from gmm_gui.ui.main_window import MainWindow


def show_window(qtbot, sample_key: str, size: tuple[int, int] = (1280, 800)) -> MainWindow:
    """A shown main window, animations off, with a bundled sample open (closed by qtbot)."""
    w = MainWindow()
    qtbot.addWidget(w)
    w.set_animation_ms(0)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    assert w.open_sample(sample_key)
    return w
