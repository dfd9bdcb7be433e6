"""Find the QTimers and QThreads a test left running (used by tests/ui/conftest.py).

Two sources:

- every ``QTimer.start`` and ``QThread.start`` called from Python while a :class:`QtLeakTracker`
  is installed (weak references, so the tracker changes no object's lifetime), with the
  ``file:line`` of the call: this finds parentless objects too;
- the ``QThread`` children of every widget the application still has (a thread started by
  another thread's code, say).

Widgets' ``QTimer`` children are not walked: Qt's own widgets keep timers of their own that
outlive a close harmlessly (a status bar's message timeout runs on in a closed window and dies
with it), so only the timers the program started count.

A module, not a conftest, so that a test can import it by name.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field

import pytest
import shiboken6
from PySide6.QtCore import QObject, QThread, QTimer
from PySide6.QtWidgets import QApplication


@dataclass
class QtLeakTracker:
    """Remembers every QTimer and QThread started while installed.

    Use :meth:`install` (with pytest's ``monkeypatch``) before the code under test runs, and
    :meth:`running` after it has closed its windows.
    """

    _started: list[tuple[weakref.ReferenceType, str]] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Patch ``QTimer.start`` and ``QThread.start`` to remember what they start."""
        for cls in (QTimer, QThread):
            monkeypatch.setattr(cls, "start", self._tracking(cls.start))

    def _tracking(self, start):
        started = self._started

        def tracked_start(obj, *args, **kwargs):
            caller = sys._getframe(1)
            started.append((weakref.ref(obj), f"{caller.f_code.co_filename}:{caller.f_lineno}"))
            return start(obj, *args, **kwargs)

        return tracked_start

    def running(self) -> list[str]:
        """A description of every live QTimer still active and QThread still running."""
        found: dict[int, tuple[QObject, str]] = {}
        for ref, where in self._started:
            obj = ref()
            if obj is not None and shiboken6.isValid(obj):
                found.setdefault(id(obj), (obj, f"started at {where}"))
        # Only what was started through the patched QTimer.start and QThread.start (every
        # timer and thread of the app is): walking the widgets' trees with findChildren, as
        # this once also did, segfaulted the suite in 3 of 8 full runs on 2026-12-02, in Qt's
        # children list of a window torn down a moment before.
        leaks = []
        for obj, where in found.values():
            if not shiboken6.isValid(obj):
                continue
            if isinstance(obj, QTimer) and obj.isActive():
                leaks.append(f"active {describe(obj)} (every {obj.interval()} ms), {where}")
            elif isinstance(obj, QThread) and obj.isRunning():
                leaks.append(f"running {describe(obj)}, {where}")
        return sorted(leaks)


def describe(obj: QObject) -> str:
    """``ClassName 'objectName'`` of ``obj`` and of its parents, innermost first."""
    parts = []
    while obj is not None and shiboken6.isValid(obj):
        name = obj.objectName()
        parts.append(type(obj).__name__ + (f" {name!r}" if name else ""))
        obj = obj.parent()
    return " in ".join(parts)


def assert_nothing_left_running(tracker: QtLeakTracker) -> None:
    """Process pending events, then fail if ``tracker`` finds a timer or thread still running."""
    app = QApplication.instance()
    if app is not None:
        app.processEvents()
    leaks = tracker.running()
    assert leaks == [], "left running after the test:\n" + "\n".join(leaks)
