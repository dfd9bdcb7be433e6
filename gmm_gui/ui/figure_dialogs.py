"""The window's way to the figures: ask for a file, show progress with Cancel, say how it went.

The window's menu adds one line for each (File menu)::

    menu.addAction("Record run (GIF or MP4)…", lambda: record_run_dialog(window))
    menu.addAction("Export small multiples…", lambda: small_multiples_dialog(window))

The figures are drawn on the UI thread (they are drawn by plot views); the progress dialog keeps
the window responsive, and Cancel stops the work with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QProgressDialog, QWidget

from gmm_gui.ui.figures import Cancelled, small_multiples
from gmm_gui.ui.recording import RecordingUnavailable, record_run

__all__ = ["DEFAULT_RECORD_STEPS", "record_run_dialog", "small_multiples_dialog"]

#: Iterations a recording offers by default.
DEFAULT_RECORD_STEPS = 10


def _suggest(window: object, name: str) -> str:
    dataset = getattr(window, "dataset", None)
    stem = Path(dataset.path).stem if dataset is not None else "gmm"
    return str(Path.cwd() / f"{stem}-{name}")


def _with_progress(
    window: QWidget, label: str, work: Callable[[Callable, Callable], object]
) -> object | None:
    """Run ``work(progress, should_cancel)`` behind a progress dialog with Cancel.

    Returns what ``work`` returns, or ``None`` if cancelled or it failed (the problem is shown
    in the window's status bar).
    """
    dialog = QProgressDialog(label, "Cancel", 0, 1, window)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)

    def progress(done: int, total: int) -> None:
        dialog.setMaximum(max(1, int(total)))
        dialog.setValue(min(int(done), max(1, int(total))))

    try:
        return work(progress, dialog.wasCanceled)
    except Cancelled:
        return None
    except (RecordingUnavailable, OSError, ValueError) as exc:
        show = getattr(window, "show_problem", None)
        if show is not None:
            show(str(exc))
        return None
    finally:
        dialog.close()
        dialog.deleteLater()


def _status(window: object, text: str) -> None:
    bar = getattr(window, "statusBar", None)
    if bar is not None:
        bar().showMessage(text, 6000)


def record_run_dialog(window: QWidget, n_steps: int | None = None) -> Path | None:
    """File > Record run: ask for the number of iterations and the file (GIF or MP4), then
    record.

    Parameters
    ----------
    window : MainWindow
    n_steps : int, optional
        Iterations to record; asked for when not given.

    Returns
    -------
    Path or None
        The file written, or ``None`` (cancelled, or a problem the status bar shows).
    """
    if n_steps is None:
        n_steps, ok = QInputDialog.getInt(
            window,
            "Record run",
            "EM iterations to record (a frame for each half-step):",
            DEFAULT_RECORD_STEPS,
            1,
            200,
        )
        if not ok:
            return None
    path, chosen = QFileDialog.getSaveFileName(
        window,
        "Record run",
        _suggest(window, "em.gif"),
        "GIF animations (*.gif);;MP4 videos (*.mp4)",
    )
    if not path:
        return None
    if not path.lower().endswith((".gif", ".mp4")):
        path += ".mp4" if "mp4" in chosen.lower() else ".gif"
    frames = _with_progress(
        window,
        "Recording the run…",
        lambda progress, cancel: record_run(window, int(n_steps), path, progress, cancel),
    )
    if frames is None:
        return None
    _status(window, f"Recorded {frames} frames to {path}")
    return Path(path)


def small_multiples_dialog(window: QWidget) -> Path | None:
    """File > Export small multiples: six panels of the run (PRML figure 9.8) as PNG or SVG.

    Returns
    -------
    Path or None
        The file written, or ``None`` (cancelled, or a problem the status bar shows).
    """
    path, chosen = QFileDialog.getSaveFileName(
        window,
        "Export small multiples",
        _suggest(window, "small-multiples.png"),
        "PNG images (*.png);;SVG drawings (*.svg)",
    )
    if not path:
        return None
    if not path.lower().endswith((".png", ".svg")):
        path += ".svg" if "svg" in chosen.lower() else ".png"
    states = _with_progress(
        window,
        "Drawing six panels of the run…",
        lambda progress, cancel: small_multiples(window, path, progress, cancel),
    )
    if states is None:
        return None
    _status(window, f"Small multiples written to {path}")
    return Path(path)
