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


def hold_after_first_progress(monkeypatch, module, name: str) -> None:
    """Make ``module.name`` (an engine function taking progress/should_cancel) stop after its
    first progress report until Cancel is asked, so the test sees it running, whatever the load.
    """
    real = getattr(module, name)

    def held(*args, progress, should_cancel, **kwargs):
        cancel_event = should_cancel.__self__  # BackgroundTask's threading.Event.is_set

        def report(done, total):
            progress(done, total)
            cancel_event.wait(30)

        return real(*args, progress=report, should_cancel=should_cancel, **kwargs)

    monkeypatch.setattr(module, name, held)
