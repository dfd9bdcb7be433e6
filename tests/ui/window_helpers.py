"""Helpers of the window tests (a module, not a conftest, so it can be imported by name)."""

from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtCore import QCoreApplication

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
        cancel_event = should_cancel.__self__  # the runner's job.cancel_event.is_set

        def report(done, total):
            progress(done, total)
            cancel_event.wait(30)

        return real(*args, progress=report, should_cancel=should_cancel, **kwargs)

    monkeypatch.setattr(module, name, held)


@contextmanager
def work_returned(qtbot, dock, timeout: int = 60_000):
    """After the block, wait until the work ``dock`` ran when the block began, or started in
    it, has returned in its thread and what it reported was handled: delivered if current,
    dropped by the job runner if replaced or dropped (new data)."""
    runner, jobs = dock.workspace.jobs, []
    if dock.job is not None:
        jobs.append(dock.job)

    def started(job) -> None:
        if job.lane == dock.lane:
            jobs.append(job)

    runner.job_started.connect(started)
    try:
        yield
    finally:
        runner.job_started.disconnect(started)
    assert jobs, "no work ran"
    qtbot.waitUntil(lambda: all(job.wait_ran(0) for job in jobs), timeout=timeout)
    QCoreApplication.processEvents()  # what they posted: delivered or dropped
